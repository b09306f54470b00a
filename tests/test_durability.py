"""CAIJI_FSYNC: a power cut must never leave the store naming a record that is not on disk.

Checked on the system calls of real crawls (strace): in the order the kernel saw them, the article
store's files are written only when every byte written to a data file has been fsynced. A power
cut keeps what was fsynced and may lose the rest, so a mark the store could keep always follows
the record it names onto the disk. With CAIJI_FSYNC=off the same check finds the store written
ahead of its data, which shows it can tell.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT, CrawlResult, scrapy_command

sys.path.insert(0, str(PROJECT / "fixtures"))

from serve import DEFAULT_ROOT, PortalServer

_CALL = re.compile(r"^\d+\s+(?P<call>write|pwrite64|writev|fsync|fdatasync)\(\d+<(?P<path>[^>]*)>")


def traced_crawl(url: str, data_dir: Path, *settings: str) -> tuple[CrawlResult, list[tuple[str, str]]]:
    """A crawl under strace: its result and its (call, path) writes and syncs, in order."""
    strace = shutil.which("strace")
    assert strace, "strace is missing: `make test` installs it (apt-get install strace)"
    log = data_dir.parent / f"{data_dir.name}.strace"
    command = scrapy_command("crawl", "tftnews", "-a", f"start_url={url}", "-s", f"CAIJI_DATA_DIR={data_dir}")
    for setting in settings:
        command += ["-s", setting]
    done = subprocess.run(
        [strace, "-f", "-y", "-qq", "-o", str(log), "-e", "trace=write,pwrite64,writev,fsync,fdatasync", *command],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    calls = [(m["call"], m["path"]) for line in log.read_text().splitlines() if (m := _CALL.match(line))]
    return CrawlResult(done.returncode, done.stdout, done.stderr, data_dir), calls


def store_written_ahead(calls: list[tuple[str, str]]) -> list[str]:
    """The data files that had unsynced bytes when the article store was written, once each."""
    unsynced: set[str] = set()
    ahead: list[str] = []
    for call, path in calls:
        name = Path(path).name
        if name.startswith(".part-") and ".jsonl" in name:
            if call in ("fsync", "fdatasync"):
                unsynced.discard(path)
            else:
                unsynced.add(path)
        elif name.startswith("state.sqlite") and call not in ("fsync", "fdatasync") and unsynced:
            ahead += sorted(unsynced - set(ahead))
    return ahead


@pytest.fixture(scope="module")
def slow_portal():
    with PortalServer(DEFAULT_ROOT, delay=0.05) as server:
        yield server


@pytest.mark.parametrize(
    ("mode", "extra"),
    [("batch", ("CAIJI_FSYNC_RECORDS=5",)), ("batch", ("CAIJI_COMPRESS=gzip", "CAIJI_FILE_RECORDS=7")), ("every", ())],
)
def test_store_never_gets_ahead_of_the_data(portal, tmp_path, mode, extra):
    result, calls = traced_crawl(portal.url, tmp_path / "data", f"CAIJI_FSYNC={mode}", *extra)
    assert result.code == 0, result.stderr[-2000:]
    assert len(result.records()) + len([p for p in (tmp_path / "data").glob("tftnews/*/articles-*.gz")]) > 0
    assert any(Path(p).name.startswith("state.sqlite") for _, p in calls), "the store was not seen being written"
    assert sum(1 for call, p in calls if call == "fsync" and ".part-" in p) >= 2
    assert store_written_ahead(calls) == []


def test_without_fsync_the_store_gets_ahead(portal, tmp_path):
    result, calls = traced_crawl(portal.url, tmp_path / "data", "CAIJI_FSYNC=off")
    assert result.code == 0, result.stderr[-2000:]
    assert store_written_ahead(calls), "CAIJI_FSYNC=off should write the store before the data is on disk"


def test_a_slow_batch_is_synced_within_the_seconds(slow_portal, tmp_path):
    """Records trickling in never fill a batch: the timer syncs them every CAIJI_FSYNC_SECONDS."""
    result, calls = traced_crawl(slow_portal.url, tmp_path / "data", "CAIJI_FSYNC_RECORDS=100000", "CAIJI_FSYNC_SECONDS=0.2")
    assert result.code == 0, result.stderr[-2000:]
    data_syncs = sum(1 for call, p in calls if call == "fsync" and ".part-" in p)
    # Not only the one at close: the crawl takes a few seconds at 0.05 s a page.
    assert data_syncs >= 3, data_syncs
    assert store_written_ahead(calls) == []
