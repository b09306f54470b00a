"""Extraction in worker processes (crawler/workers/): the same records as in the crawl's thread,
and a page that kills or hangs its worker is that page's rejection, never the crawl's end."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler.workers.page import ARTICLE, CRASHED, NO_ARTICLE, TIMED_OUT, PageJob, PageWork, WorkConfig
from crawler.workers.pool import ExtractionPool
from tests.conftest import PROJECT, run_crawl, scrapy_command

PAGES = PROJECT / "fixtures" / "pages"
CASES = sorted(PAGES.glob("*/*.html"))
FETCHED_AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
WORKER_MODULE = "crawler.workers.worker"


def job_for(page: Path) -> PageJob:
    url = json.loads(page.with_suffix(".json").read_text(encoding="utf-8"))["url"]
    return PageJob(url=url, body=page.read_bytes(), content_type="text/html", rules=page.parent.name, fetched_at=FETCHED_AT)


def run_pool(jobs: list[PageJob], size: int = 2, timeout: float = 0, config: WorkConfig | None = None, env=None):
    """Every job's result through a real pool, all submitted at once."""
    saved = dict(os.environ)
    os.environ.update(env or {})

    async def main():
        pool = ExtractionPool(size, config or WorkConfig(), timeout)
        await pool.start()
        try:
            return await asyncio.gather(*(pool.run(job) for job in jobs)), pool.replaced
        finally:
            await pool.close()

    try:
        return asyncio.run(main())
    finally:
        os.environ.clear()
        os.environ.update(saved)


def comparable(result) -> tuple:
    return (result.kind, result.item, result.reason, result.next_url, result.related, result.shell, result.schema_checked)


def test_pool_gives_what_the_crawl_thread_gives_on_every_fixture_page():
    jobs = [job_for(page) for page in CASES]
    inline = PageWork(WorkConfig())
    expected = [comparable(inline.run(job)) for job in jobs]
    results, replaced = run_pool(jobs)
    assert [comparable(r) for r in results] == expected
    assert replaced == 0
    assert {r.kind for r in results} >= {ARTICLE, NO_ARTICLE}


def test_a_page_that_kills_its_worker_is_the_only_one_lost():
    jobs = [job_for(page) for page in CASES if page.parent.name == "tftnews"][:6]
    marked = jobs[2].url
    config = WorkConfig(hook="tests.worker_hooks.abort_on_marker")
    # One worker: the pages queued behind the fatal one must go to its replacement.
    results, replaced = run_pool(jobs, size=1, config=config, env={"CAIJI_TEST_MARKER": marked})
    assert results[2].kind == CRASHED
    assert results[2].reason == "extraction crashed: the worker was killed by SIGABRT"
    inline = PageWork(WorkConfig())
    for n, (job, result) in enumerate(zip(jobs, results, strict=True)):
        if n != 2:
            assert comparable(result) == comparable(inline.run(job)), job.url
    assert replaced == 1


def test_a_page_past_the_timeout_is_cut_off_and_the_worker_replaced():
    jobs = [job_for(page) for page in CASES if page.parent.name == "tftnews"][:4]
    config = WorkConfig(hook="tests.worker_hooks.hang_on_marker")
    started = time.monotonic()
    results, replaced = run_pool(jobs, size=1, timeout=3, config=config, env={"CAIJI_TEST_MARKER": jobs[0].url})
    assert time.monotonic() - started < 30
    assert results[0].kind == TIMED_OUT and results[0].reason == "extraction timed out after 3 s"
    inline = PageWork(WorkConfig())
    assert [comparable(r) for r in results[1:]] == [comparable(inline.run(job)) for job in jobs[1:]]
    assert replaced == 1


# --- real crawls ---------------------------------------------------------------------------


def normalized(records: list[dict]) -> dict[str, dict]:
    return {r["url"]: {k: v for k, v in r.items() if k != "crawled_at"} for r in records}


def test_demo_crawl_gives_the_same_records_with_and_without_workers(portal, tmp_path):
    inline = run_crawl("tftnews", portal.url, tmp_path / "w0", "CAIJI_EXTRACT_WORKERS=0")
    pooled = run_crawl("tftnews", portal.url, tmp_path / "w2", "CAIJI_EXTRACT_WORKERS=2")
    assert inline.code == pooled.code == 0, pooled.stderr[-2000:]
    assert "'caiji/extract/workers': 0" in inline.stderr and "'caiji/extract/workers': 2" in pooled.stderr
    a, b = normalized(inline.records()), normalized(pooled.records())
    assert set(a) == set(b) and len(a) == 40
    for url in a:
        if "前" in (a[url]["timestamp_raw"] or ""):
            # "3小時前" is resolved against the moment the page was fetched, which differs.
            shift = datetime.fromisoformat(b[url].pop("timestamp")) - datetime.fromisoformat(a[url].pop("timestamp"))
            assert abs(shift.total_seconds()) < 120
        assert a[url] == b[url], url
    assert inline.rejects() == pooled.rejects()


def test_a_crawl_survives_a_page_that_aborts_its_worker(portal, tmp_path, monkeypatch):
    monkeypatch.setenv("CAIJI_TEST_MARKER", "/news/1003.html")
    result = run_crawl("tftnews", portal.url, tmp_path, "CAIJI_EXTRACT_HOOK=tests.worker_hooks.abort_on_marker")
    assert result.code == 0, result.stderr[-2000:]
    urls = [r["url"] for r in result.records()]
    assert len(urls) == len(set(urls)) == 39
    assert not any(u.endswith("/news/1003.html") for u in urls)
    crashed = [r for r in result.rejects() if r["url"].endswith("/news/1003.html")]
    assert crashed == [
        {
            "url": portal.url + "news/1003.html",
            "reason": "extraction crashed: the worker was killed by SIGABRT",
            "stage": "extract",
            "record": None,
        }
    ]
    assert "'caiji/extract/workers_replaced': 1" in result.stderr


def test_a_crawl_cuts_off_a_page_that_hangs_its_worker(portal, tmp_path, monkeypatch):
    monkeypatch.setenv("CAIJI_TEST_MARKER", "/news/1005.html")
    result = run_crawl(
        "tftnews", portal.url, tmp_path, "CAIJI_EXTRACT_HOOK=tests.worker_hooks.hang_on_marker", "CAIJI_EXTRACT_TIMEOUT=2"
    )
    assert result.code == 0, result.stderr[-2000:]
    assert len({r["url"] for r in result.records()}) == len(result.records()) == 39
    reasons = {r["url"].rsplit("/", 1)[1]: r["reason"] for r in result.rejects()}
    assert reasons["1005.html"] == "extraction timed out after 2 s"


def test_workers_that_cannot_start_leave_the_crawl_to_its_own_thread(portal, tmp_path, monkeypatch):
    monkeypatch.setenv("CAIJI_TEST_WORKERS_CANNOT_START", "1")
    monkeypatch.setenv("CAIJI_TEST_MARKER", "nothing")
    result = run_crawl("tftnews", portal.url, tmp_path, "CAIJI_EXTRACT_HOOK=tests.worker_hooks.abort_on_marker")
    assert result.code == 0, result.stderr[-2000:]
    assert len(result.records()) == 40
    assert "exited before it was ready" in result.stderr
    assert "extracting in the crawl's process from now on" in result.stderr


# --- no worker outlives its crawl --------------------------------------------------------------


def workers_of(parent: int) -> list[int]:
    """Worker processes started by ``parent`` (found by the pid they were given), alive or zombie."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            environ = (proc / "environ").read_bytes().split(b"\0")
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if WORKER_MODULE.encode() in cmdline and f"CAIJI_WORKER_PARENT={parent}".encode() in environ and state != "Z":
            found.append(int(proc.name))
    return found


def start_crawl(portal, data_dir: Path, *settings: str) -> subprocess.Popen:
    command = scrapy_command(
        "crawl", "tftnews", "-a", f"start_url={portal.url}", "-s", f"CAIJI_DATA_DIR={data_dir}", "-s", "LOG_LEVEL=INFO"
    )
    for setting in settings:
        command += ["-s", setting]
    return subprocess.Popen(command, cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("busy", [False, True], ids=["idle", "busy"])
def test_kill_9_of_the_crawl_leaves_no_worker(portal, tmp_path, monkeypatch, busy):
    # Busy: every page hangs its worker, which then never reads the end of its stdin; only the
    # request to die with its parent can end it.
    monkeypatch.setenv("CAIJI_TEST_MARKER", "*" if busy else "nothing")
    crawl = start_crawl(
        portal, tmp_path, "CAIJI_EXTRACT_WORKERS=2", "CAIJI_EXTRACT_HOOK=tests.worker_hooks.hang_on_marker", "DOWNLOAD_DELAY=5"
    )
    try:
        assert wait_for(lambda: len(workers_of(crawl.pid)) == 2, 30), "the workers did not start"
        if busy:
            time.sleep(1.0)
        os.kill(crawl.pid, signal.SIGKILL)
        crawl.wait(10)
        assert wait_for(lambda: not workers_of(crawl.pid), 10), f"workers left running: {workers_of(crawl.pid)}"
    finally:
        crawl.kill()
        crawl.wait()
        for pid in workers_of(crawl.pid):
            os.kill(pid, signal.SIGKILL)


def test_sigterm_drains_the_pages_being_extracted(portal, tmp_path):
    crawl = start_crawl(portal, tmp_path, "CAIJI_EXTRACT_WORKERS=1", "DOWNLOAD_DELAY=0.2")
    try:
        assert wait_for(lambda: len(workers_of(crawl.pid)) == 1, 30)
        time.sleep(2.0)
        crawl.send_signal(signal.SIGTERM)
        _, stderr = crawl.communicate(timeout=60)
    finally:
        crawl.kill()
    assert "(shutdown)" in stderr
    assert not workers_of(crawl.pid)
    assert "extraction crashed" not in stderr and "Traceback" not in stderr
    data = list(tmp_path.glob("tftnews/*/articles-*.jsonl"))
    records = [json.loads(line) for path in data for line in path.read_text(encoding="utf-8").splitlines()]
    assert records and len({r["url"] for r in records}) == len(records)


def test_the_crawls_settings_reach_the_workers(portal, tmp_path):
    # The demo portal served on 127.0.0.1 has no country domain: the generic rules read its
    # times in CAIJI_DEFAULT_TIMEZONE, which only the worker's own copy of the settings can apply.
    result = run_crawl(
        "generic",
        portal.url,
        tmp_path,
        "CAIJI_DEFAULT_TIMEZONE=UTC",
        "CAIJI_EXTRACT_WORKERS=1",
        "CAIJI_SCRIPT_TARGET=hant",
        options=("-a", "max_pages=12"),
    )
    assert result.code in (0, 1), result.stderr[-2000:]  # a short crawl may fail its coverage checks
    records = result.records("generic")
    assert records and all(r["script"]["target"] == "hant" for r in records)
    stamped = [r["timestamp"] for r in records if r["timestamp"]]
    assert stamped and all(t.endswith("+00:00") for t in stamped), stamped
