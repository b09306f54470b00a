"""Real crawls of the bundled portal over a real loopback server (issue 2's end-to-end path)."""

import fcntl
import json
import os
import re
import socket
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft202012Validator

from crawler.extraction.items import FIELDS
from schema import article_schema
from tests.conftest import PROJECT, run_crawl, scrapy_command

PORTAL = PROJECT / "fixtures" / "portal" / "tftnews"
SEED_EXPECTED = PROJECT / "fixtures" / "pages" / "tftnews" / "seed.json"
# Article pages of the portal; split articles' continuation pages (1010_2.html) are not articles.
ARTICLE_IDS = sorted(p.stem for p in (PORTAL / "news").glob("*.html") if "_" not in p.stem)


@pytest.fixture(scope="module")
def demo_crawl(portal, tmp_path_factory):
    data = tmp_path_factory.mktemp("data")
    return run_crawl("tftnews", portal.url, data, options=("-O", str(data / "feed.jsonl")))


def canonical(record):
    return record["canonical_url"] or record["url"]


def test_crawl_succeeds(demo_crawl):
    assert demo_crawl.code == 0, demo_crawl.stderr[-3000:]
    assert "Traceback" not in demo_crawl.stderr


def test_every_article_exactly_once(demo_crawl):
    records = demo_crawl.records()
    ids = sorted(re.search(r"/news/(\d+)\.html$", canonical(r)).group(1) for r in records)
    assert ids == ARTICLE_IDS
    assert len(ARTICLE_IDS) >= 31


def test_records_are_valid(demo_crawl):
    validator = Draft202012Validator(article_schema())
    for record in demo_crawl.records():
        assert not list(validator.iter_errors(record)), record["url"]
        assert re.search(r"/news/\d+\.html$", record["url"]), "a list page was taken for an article"


def test_feed_export_holds_the_dataset_records(demo_crawl):
    # -O keeps Scrapy's meaning (SPEC §2) and its lines are records (§1): every key, in order,
    # null where the page has no value (news/1013.html shows no time).
    lines = (demo_crawl.data_dir / "feed.jsonl").read_text(encoding="utf-8").splitlines()
    feed = [json.loads(line) for line in lines]
    assert all(list(record) == list(FIELDS) for record in feed)
    assert any(record["timestamp"] is None for record in feed)
    assert sorted(feed, key=canonical) == sorted(demo_crawl.records(), key=canonical)


def test_split_article_is_one_record(demo_crawl):
    (record,) = [r for r in demo_crawl.records() if canonical(r).endswith("/news/1010.html")]
    pages = [PORTAL / "news" / name for name in ("1010.html", "1010_2.html", "1010_3.html")]
    assert all(p.exists() for p in pages)
    assert "第一关" in record["body"] and "第二关" in record["body"]
    assert record["body"].count("\n") >= 8
    assert record["author"], "the byline on the last page belongs to the article"
    assert len(record["images"]) >= 1


def test_404_is_counted_and_recorded(demo_crawl):
    rejects = demo_crawl.rejects()
    assert {"url": rejects[0]["url"], "reason": "http 404", "stage": "fetch"} == {
        k: rejects[0][k] for k in ("url", "reason", "stage")
    }
    assert [r["url"].rsplit("/", 1)[1] for r in rejects] == ["9999.html"]
    (manifest,) = demo_crawl.manifests()
    assert manifest["counts"]["rejected"] == {"http 404": 1}
    assert manifest["counts"]["written"] == len(ARTICLE_IDS)


def test_seed_record_matches_expected(demo_crawl, portal):
    expected = json.loads(SEED_EXPECTED.read_text(encoding="utf-8"))
    (record,) = [r for r in demo_crawl.records() if canonical(r) == expected["canonical_url"]]
    local = json.loads(json.dumps(record).replace(portal.url, "https://www.tftnews.com/"))
    for key in expected:
        if key != "crawled_at":
            assert local[key] == expected[key], key


def test_sitemap_start_gives_the_same_articles(portal, tmp_path):
    result = run_crawl("tftnews", portal.url + "sitemap.xml", tmp_path)
    assert result.code == 0, result.stderr[-2000:]
    assert sorted(re.search(r"/news/(\d+)\.html$", canonical(r)).group(1) for r in result.records()) == ARTICLE_IDS


def test_unreachable_portal_exits_1(tmp_path):
    # A port bound but not listening refuses connections, and no other server can take it meanwhile.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        result = run_crawl("tftnews", f"http://127.0.0.1:{port}/", tmp_path, "RETRY_TIMES=0")
    assert result.code == 1
    assert "run FAILED" in result.stderr


@pytest.mark.parametrize(
    "setting",
    [
        "CAIJI_SCRIPT_TARGET=klingon",
        "CAIJI_FILE_RECORDS=2.5",
        "CAIJI_FSYNC=sometimes",
        "CAIJI_FSYNC_RECORDS=0",
        "CAIJI_REDIS_URL=http://127.0.0.1:6379/0",
        "CAIJI_REDIS_URL=redis://:x/0",
        "CAIJI_EXTRACT_WORKERS=-1",
        "CAIJI_EXTRACT_WORKERS=many",
        "CAIJI_EXTRACT_TIMEOUT=soon",
        "CAIJI_EXTRACT_QUEUE=0",
        "CAIJI_EXTRACT_HOOK=tests.worker_hooks.no_such_hook",
        "CAIJI_DEFAULT_TIMEZONE=Mars/Olympus",
    ],
)
def test_bad_setting_is_a_usage_error(portal, tmp_path, setting):
    result = run_crawl("tftnews", portal.url, tmp_path, setting)
    assert result.code == 2
    assert setting.split("=")[0] in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_spider_is_a_usage_error(tmp_path):
    result = run_crawl("nosuchspider", "http://127.0.0.1:1/", tmp_path)
    assert result.code == 2
    assert "no spider named 'nosuchspider'" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_redis_fails_in_one_line(portal, tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        result = run_crawl("tftnews", portal.url, tmp_path, f"CAIJI_REDIS_URL=redis://127.0.0.1:{port}/0")
    assert result.code == 1
    assert f"caiji: run FAILED: cannot reach Redis at redis://127.0.0.1:{port}/0" in result.stderr
    assert "Traceback" not in result.stderr


def test_second_run_while_locked_exits_75(portal, tmp_path):
    tmp_path.mkdir(exist_ok=True)
    with open(tmp_path / ".tftnews.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = run_crawl("tftnews", portal.url, tmp_path)
    assert result.code == 75
    assert "holds the lock" in result.stderr
    assert not list(tmp_path.glob("tftnews/*/*"))


def test_demo_script(tmp_path):
    # `make demo` minus the virtualenv set-up: serve, crawl into data/demo, stop, summarize.
    done = subprocess.run([sys.executable, "fixtures/demo.py"], cwd=PROJECT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Dataset: data/demo/tftnews/" in done.stdout
    files = list((PROJECT / "data" / "demo").glob("tftnews/*/articles-*.jsonl"))
    assert sum(len(f.read_text(encoding="utf-8").splitlines()) for f in files) == len(ARTICLE_IDS)


def test_scrapy_list():
    done = subprocess.run(scrapy_command("list"), cwd=PROJECT, capture_output=True, text=True, env={**os.environ})
    assert "tftnews" in done.stdout.split()


def test_generic_spider_finds_every_article(portal, tmp_path):
    result = run_crawl("generic", portal.url, tmp_path)
    assert result.code == 0, result.stderr[-2000:]
    records = result.records("generic")
    assert sorted(re.search(r"/news/(\d+)\.html$", canonical(r)).group(1) for r in records) == ARTICLE_IDS
    (seed,) = [r for r in records if canonical(r).endswith("/news/1000.html")]
    assert seed["site"] == "generic"
    assert seed["title"] == "深化民族团结进步创建工作"
    assert seed["timestamp"] == "2025-03-31T13:17:35+08:00"
    assert seed["breadcrumbs"] == ["首页", "每日头条", "民俗"]
    assert "代洪" in seed["author"]
    assert [i["caption"] for i in seed["images"]][1:] == [
        "新滩中学民族团结文体艺术节活动。供图",
        "绥江县创建省级民族团结进步示范县业务培训会。供图",
        "专题文艺演出。供图",
    ]
    assert len(seed["related_links"]) == 5
    assert all(urlsplit(r["url"]).hostname == "127.0.0.1" for r in records)


def test_generic_spider_max_pages(portal, tmp_path):
    capped = subprocess.run(
        scrapy_command(
            "crawl",
            "generic",
            "-a",
            f"start_url={portal.url}",
            "-a",
            "max_pages=5",
            "-s",
            f"CAIJI_DATA_DIR={tmp_path / 'capped'}",
        ),
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert capped.returncode == 0, capped.stderr[-2000:]
    (manifest,) = [json.loads(p.read_text()) for p in (tmp_path / "capped").glob("generic/*/manifest-*.json")]
    assert manifest["finish_reason"] == "finished"
    # The start page and 4 articles (articles come first); robots.txt and the continuation pages
    # of a split article (1010_2, 1010_3) are fetched beyond the budget.
    assert manifest["counts"]["written"] == 4
    assert manifest["counts"]["pages"] <= 5 + 1 + 2


def test_generic_spider_bad_argument_is_a_usage_error(portal, tmp_path):
    done = subprocess.run(
        scrapy_command(
            "crawl", "generic", "-a", f"start_url={portal.url}", "-a", "max_pages=lots", "-s", f"CAIJI_DATA_DIR={tmp_path}"
        ),
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "max_pages" in done.stderr
