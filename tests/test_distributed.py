"""Distributed crawling on scrapy-redis (crawler/distributed/addon.py): a real redis-server, real workers."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crawler.distributed.addon import unreachable
from tests.conftest import PROJECT, scrapy_command

sys.path.insert(0, str(PROJECT / "fixtures"))

from redis_server import RedisServer
from serve import PortalServer
from synthetic_portal import article_urls, build

ARTICLES = 500


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    """A redis-server of our own on a unix socket (no TCP port to race for), no persistence, stopped afterwards."""
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server.url


@pytest.fixture
def redis_client(redis_url):
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushall()
    yield client
    client.close()


@pytest.fixture(scope="module")
def synthetic_root(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("portal"), ARTICLES)


def _worker(start_url: str, data_dir: Path, redis_url: str, log: Path, *settings: str) -> subprocess.Popen:
    command = scrapy_command(
        "crawl",
        "tftnews",
        "-a",
        f"start_url={start_url}",
        "-s",
        f"CAIJI_DATA_DIR={data_dir}",
        "-s",
        f"CAIJI_REDIS_URL={redis_url}",
        "-s",
        "CAIJI_REDIS_DEAD_AFTER=3",
        "-s",
        "LOG_LEVEL=INFO",
    )
    for setting in settings:
        command += ["-s", setting]
    return subprocess.Popen(
        command,
        cwd=PROJECT,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _records(data_dir: Path) -> list[dict]:
    found = []
    for path in sorted(data_dir.glob("tftnews/*/articles-*.jsonl")):
        found += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return found


def _wait(process: subprocess.Popen, log: Path, timeout: float = 120) -> int:
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        pytest.fail(f"worker did not finish:\n{log.read_text()[-3000:]}")


def _assert_each_article_once(data_dir: Path, base_url: str) -> list[dict]:
    records = _records(data_dir)
    urls = [r["url"] for r in records]
    assert len(urls) == len(set(urls)), "an article was written twice"
    assert sorted(urls) == sorted(article_urls(base_url, ARTICLES))
    assert not list(data_dir.glob("tftnews/*/.part-*")), "a temporary file was left"
    return records


def test_two_workers_write_each_article_once(tmp_path, redis_url, redis_client, synthetic_root):
    data_dir = tmp_path / "data"
    with PortalServer(synthetic_root) as server:
        logs = [tmp_path / "w1.log", tmp_path / "w2.log"]
        workers = [_worker(server.url, data_dir, redis_url, logs[0])]
        time.sleep(0.3)
        workers.append(_worker(server.url, data_dir, redis_url, logs[1]))
        codes = [_wait(w, log) for w, log in zip(workers, logs, strict=True)]
        assert codes == [0, 0], [log.read_text()[-2000:] for log in logs]
        _assert_each_article_once(data_dir, server.url)
        manifests = [json.loads(p.read_text()) for p in data_dir.glob("tftnews/*/manifest-*.json")]
        # A second distributed run: the crawl was reset, the store says everything is in the
        # dataset, nothing is written again.
        again = _worker(server.url, data_dir, redis_url, tmp_path / "w3.log", "CAIJI_MIN_ARTICLES=0")
        assert _wait(again, tmp_path / "w3.log") == 0
    assert len(_records(data_dir)) == ARTICLES
    assert len(manifests) == 2
    # Each worker did part of the work, under its own automatic id (host-pid) and lock.
    assert all(m["counts"]["written"] > 0 for m in manifests), [m["counts"] for m in manifests]
    assert {m["worker_id"] for m in manifests} == {f"{socket.gethostname().split('.')[0]}-{w.pid}" for w in workers}
    assert sum(m["counts"]["written"] for m in manifests) == ARTICLES
    # The crawl finished: its frontier is reset, its record stays for `scrapy runs`.
    assert not redis_client.exists("caiji:tftnews:requests", "caiji:tftnews:dupefilter", "caiji:tftnews:crawl")
    assert redis_client.hlen("caiji:store:articles") == ARTICLES
    shown = subprocess.run(
        scrapy_command("runs", "tftnews", "--last", "2", "-s", f"CAIJI_REDIS_URL={redis_url}"),
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.count("complete") == 2
    pages = sum(m["counts"]["pages"] for m in manifests)
    assert f"2 workers, {pages} pages, {ARTICLES} records written, 2 files" in shown.stdout


def test_killed_worker_loses_no_article(tmp_path, redis_url, redis_client, synthetic_root):
    data_dir = tmp_path / "data"
    # A slower portal, so that the kill lands mid-crawl with requests in flight.
    with PortalServer(synthetic_root, delay=0.03) as server:
        logs = [tmp_path / f"w{n}.log" for n in (1, 2, 3)]
        first = _worker(server.url, data_dir, redis_url, logs[0])
        time.sleep(0.3)
        second = _worker(server.url, data_dir, redis_url, logs[1])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            parts = list(data_dir.glob(f"tftnews/*/.part-*-{first.pid}-*.jsonl"))
            if parts and sum(1 for _ in parts[0].open("rb")) >= 60:
                break
            time.sleep(0.1)
        else:
            pytest.fail("the first worker wrote nothing")
        inflight = redis_client.hlen(f"caiji:tftnews:processing:{socket.gethostname().split('.')[0]}-{first.pid}")
        first.send_signal(signal.SIGKILL)
        first.wait()
        assert inflight > 0, "the kill should catch requests in flight"
        # The same command line again: a new worker (new pid, new id).
        third = _worker(server.url, data_dir, redis_url, logs[2])
        codes = [_wait(second, logs[1]), _wait(third, logs[2])]
    assert codes == [0, 0], [log.read_text()[-2000:] for log in logs[1:]]
    _assert_each_article_once(data_dir, server.url)
    text = logs[1].read_text() + logs[2].read_text()
    assert "back on the queue" in text
    # The killed run's records were recovered into a finished file, with a manifest saying so.
    killed = [json.loads(p.read_text()) for p in data_dir.glob("tftnews/*/manifest-*.json") if f"-{first.pid}-" in p.name]
    assert killed and killed[0]["finish_reason"] == "killed"
    assert not (data_dir / f".tftnews.{socket.gethostname().split('.')[0]}-{first.pid}.lock").exists()


def test_store_claims_are_exclusive_between_live_workers(redis_url, redis_client):
    from crawler.distributed.store import RedisArticleStore, heartbeat

    one = RedisArticleStore(redis_url, "caiji", "w1", "run1", dead_after=30)
    two = RedisArticleStore(redis_url, "caiji", "w2", "run2", dead_after=30)
    record = {"url": "http://x/a.html", "content_hash": "h1", "timestamp": None}
    assert one.claim("http://x/a", "h1") == "new"
    assert two.claim("http://x/a", "h1") == "claimed"
    assert one.claim("http://x/a", "h1") == "new"  # its own claim
    # A dead worker's claim is taken over; its unmarked record is then not recovered.
    redis_client.delete("caiji:alive:w1")
    assert two.claim("http://x/a", "h1") == "new"
    assert not one.keep_recovered(record, "http://x/a", "run0")
    two.mark(record, "http://x/a", "tftnews")
    assert two.claim("http://x/a", "h1") == "unchanged"
    assert two.stored_hash("http://x/a") == "h1"
    assert two.lookup_url("http://x/a.html")[0] is None
    assert two.claim("http://x/a", "h2") == "changed"
    assert two.hash_elsewhere("h1", "http://x/b") and not two.hash_elsewhere("h1", "http://x/a")
    # A record the dead run marked itself stays; one nobody stored is adopted by the recovering run.
    heartbeat(one.server, "caiji", "w1", "run1", 30)
    assert one.keep_recovered(record, "http://x/a", "run2")
    assert one.keep_recovered({**record, "content_hash": "h9"}, "http://x/c", "run0")
    assert two.claim("http://x/c", "h9") == "claimed"
    assert one.count() == 1
    one.close()
    two.close()


def test_without_redis_url_nothing_imports_redis():
    code = (
        "import sys\n"
        "from scrapy.utils.project import get_project_settings\n"
        "from scrapy.crawler import Crawler\n"
        "from crawler.spiders.tftnews import TftnewsSpider\n"
        "c = Crawler(TftnewsSpider, get_project_settings())\n"
        "c.addons.load_settings(c.settings)\n"
        "import crawler.state.run, crawler.state.store, pipelines.dedup, pipelines.dataset, crawler.commands.runs\n"
        "print(c.settings['SCHEDULER'], c.settings.get('CAIJI_WORKER_ID'))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('redis', 'scrapy_redis')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["scrapy.core.scheduler.Scheduler None", "[]"]


def test_unreachable_redis_message_hides_the_password():
    # A port bound but not listening refuses connections, and no other server can take it meanwhile.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        message = unreachable(f"redis://:hunter2@127.0.0.1:{port}/0", timeout=2)
    assert message.startswith(f"cannot reach Redis at redis://:***@127.0.0.1:{port}/0: ")
    assert "hunter2" not in message
