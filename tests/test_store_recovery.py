"""A lost, damaged or foreign article store: the crawl refuses in one line, `scrapy rebuild-state` repairs it."""

from __future__ import annotations

import fcntl
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.conftest import PROJECT, run_crawl, scrapy_command


@pytest.fixture(scope="module")
def crawled(portal, tmp_path_factory) -> Path:
    """A data dir after one crawl of the demo portal, gzipped and in files of 10 records."""
    data_dir = tmp_path_factory.mktemp("crawled") / "data"
    result = run_crawl("tftnews", portal.url, data_dir, "CAIJI_COMPRESS=gzip", "CAIJI_FILE_RECORDS=10")
    assert result.code == 0, result.stderr[-2000:]
    return data_dir


def copy_of(crawled: Path, tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    shutil.copytree(crawled, data_dir)
    return data_dir


def rows(path: Path) -> dict[str, tuple]:
    db = sqlite3.connect(path)
    try:
        return {r[0]: r[1:5] for r in db.execute("SELECT identity, url, spider, content_hash, timestamp FROM articles")}
    finally:
        db.close()


def rebuild(data_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        scrapy_command("rebuild-state", str(data_dir)), cwd=PROJECT, capture_output=True, text=True, timeout=120
    )


def data_files(data_dir: Path) -> list[str]:
    return sorted(p.name for p in data_dir.glob("tftnews/*/articles-*"))


def lose(path: Path) -> None:
    path.unlink()


def empty(path: Path) -> None:
    path.write_bytes(b"")


def truncate(path: Path) -> None:
    with path.open("r+b") as f:
        f.truncate(path.stat().st_size // 2)


def scribble(path: Path) -> None:
    # Garbage over the pages after the first (the header stays valid).
    with path.open("r+b") as f:
        f.seek(4096)
        f.write(bytes(range(256)) * 16)


def overwrite_header(path: Path) -> None:
    with path.open("r+b") as f:
        f.write(b"not a database at all")


@pytest.mark.parametrize(
    ("damage", "said"),
    [
        (lose, "is missing"),
        (empty, "is empty"),
        (truncate, "is damaged"),
        (scribble, "is damaged"),
        (overwrite_header, "is damaged"),
    ],
)
def test_damaged_store_stops_the_crawl_and_rebuild_state_repairs_it(portal, crawled, tmp_path, damage, said):
    data_dir = copy_of(crawled, tmp_path)
    store = data_dir / "state.sqlite"
    before = rows(store)
    files = data_files(data_dir)
    damage(store)

    refused = run_crawl("tftnews", portal.url, data_dir, "CAIJI_COMPRESS=gzip", "CAIJI_FILE_RECORDS=10")
    assert refused.code == 1
    failed = [line for line in refused.stderr.splitlines() if line.startswith("caiji: run FAILED:")]
    assert len(failed) == 1 and said in failed[0] and f"scrapy rebuild-state {data_dir}" in failed[0], refused.stderr[-2000:]
    assert "Traceback" not in refused.stderr
    assert data_files(data_dir) == files, "nothing may be written without the store"

    done = rebuild(data_dir)
    assert done.returncode == 0, done.stderr
    assert f"rebuilt {store}: {len(before)} articles" in done.stdout
    assert rows(store) == before
    if damage is not lose:
        assert "the previous store is kept as" in done.stdout

    again = run_crawl("tftnews", portal.url, data_dir, "CAIJI_COMPRESS=gzip", "CAIJI_FILE_RECORDS=10")
    assert again.code == 0, again.stderr[-2000:]
    assert data_files(data_dir) == files, "the rerun wrote articles again"


def test_store_of_a_newer_version_is_refused(portal, crawled, tmp_path):
    data_dir = copy_of(crawled, tmp_path)
    db = sqlite3.connect(data_dir / "state.sqlite")
    db.execute("PRAGMA user_version=99")
    db.close()
    result = run_crawl("tftnews", portal.url, data_dir)
    assert result.code == 1
    assert "is of version 99, written by a newer caiji (this one reads up to 1)" in result.stderr


def test_store_of_an_unknown_layout_is_refused(portal, tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    db = sqlite3.connect(data_dir / "state.sqlite")
    db.execute("CREATE TABLE articles (identity TEXT PRIMARY KEY, hash TEXT)")
    db.close()
    result = run_crawl("tftnews", portal.url, data_dir)
    assert result.code == 1
    assert "is of an unknown layout (no content_hash, first_stored, last_stored, spider, timestamp, url)" in result.stderr


def test_store_written_before_versions_is_migrated(portal, crawled, tmp_path):
    data_dir = copy_of(crawled, tmp_path)
    db = sqlite3.connect(data_dir / "state.sqlite")
    db.execute("PRAGMA user_version=0")
    db.close()
    files = data_files(data_dir)
    result = run_crawl("tftnews", portal.url, data_dir)
    assert result.code == 0, result.stderr[-2000:]
    assert "version 0 brought up to version 1" in result.stderr
    db = sqlite3.connect(data_dir / "state.sqlite")
    assert db.execute("PRAGMA user_version").fetchone()[0] == 1
    db.close()
    assert data_files(data_dir) == files


def test_rebuild_state_waits_for_a_running_crawl(crawled, tmp_path):
    data_dir = copy_of(crawled, tmp_path)
    fd = os.open(data_dir / ".tftnews.lock", os.O_RDWR | os.O_CREAT)
    try:
        os.pwrite(fd, b"pid 1 on host run X\n", 0)
        fcntl.flock(fd, fcntl.LOCK_EX)
        done = rebuild(data_dir)
    finally:
        os.close(fd)
    assert done.returncode == 1
    assert "a crawl is running on" in done.stderr and "pid 1 on host run X" in done.stderr


def test_rebuild_state_reports_what_it_could_not_use(crawled, tmp_path):
    data_dir = copy_of(crawled, tmp_path)
    first = sorted(data_dir.glob("tftnews/*/articles-*.jsonl.gz"))[0]
    first.write_bytes(first.read_bytes()[:-20])  # cut short
    done = rebuild(data_dir)
    assert done.returncode == 0, done.stderr
    assert f"warning: {first} is not a complete gzip file" in done.stderr


def test_rebuild_state_needs_a_folder(tmp_path):
    done = rebuild(tmp_path / "nowhere")
    assert done.returncode == 2
    assert "is not a folder" in done.stderr
