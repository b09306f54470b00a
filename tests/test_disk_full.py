"""A data dir that fills up mid-run, or cannot be written at all: one line, exit 1, nothing lost.

The data dir is on a small tmpfs the test mounts (root), so the crawl meets a real ENOSPC. Where
mounting is not allowed (not root), the same crawl runs with RLIMIT_FSIZE set instead, which
fails writes past the limit with EFBIG: a per-file limit rather than a full disk, said so here.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.conftest import PROJECT, CrawlResult, run_crawl, scrapy_command

ARTICLES = 40  # the demo portal's article pages that give a record


def _mount(target: Path, *options: str) -> bool:
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", ",".join(options), f"caiji-{uuid.uuid4().hex[:8]}", str(target)], capture_output=True
    )
    return done.returncode == 0


@pytest.fixture
def small_disk(tmp_path):
    """``(data_dir, grow)``: a data dir on a 160 KB tmpfs, and a function giving it room again."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = os.geteuid() == 0 and _mount(mount_point, "size=160k", "mode=0755")
    limit: list[int | None] = [160 * 1024 if not mounted else None]

    def grow() -> None:
        if mounted:
            subprocess.run(["mount", "-o", "remount,size=16m", str(mount_point)], check=True)
        limit[0] = None

    yield mount_point / "data", grow, limit
    if mounted:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def crawl(url: str, data_dir: Path, file_limit: int | None) -> CrawlResult:
    if file_limit is None:
        return run_crawl("tftnews", url, data_dir)

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))

    command = scrapy_command("crawl", "tftnews", "-a", f"start_url={url}", "-s", f"CAIJI_DATA_DIR={data_dir}")
    done = subprocess.run(command, cwd=PROJECT, capture_output=True, text=True, timeout=300, preexec_fn=limited)
    return CrawlResult(done.returncode, done.stdout, done.stderr, data_dir)


def complete_records(data_dir: Path) -> list[dict]:
    """Every complete record anywhere in the data dir, temporary files included."""
    found = []
    for path in sorted(data_dir.glob("tftnews/*/*.jsonl")):
        if path.name.startswith(("articles-", ".part-")):
            for line in path.read_bytes().splitlines():
                with contextlib.suppress(ValueError):  # the line the full disk cut short
                    found.append(json.loads(line))
    return found


def test_full_disk_stops_the_run_and_a_rerun_completes_exactly_once(portal, small_disk):
    data_dir, grow, limit = small_disk
    full = crawl(portal.url, data_dir, limit[0])
    assert full.code == 1, full.stderr[-3000:]
    failed = [line for line in full.stderr.splitlines() if line.startswith("caiji: run FAILED:")]
    assert len(failed) == 1, full.stderr[-3000:]
    assert "cannot write to the dataset" in failed[0] or "cannot write" in failed[0], failed
    assert "No space left on device" in failed[0] or "File too large" in failed[0], failed
    assert "Traceback" not in full.stderr, full.stderr[-3000:]
    kept = complete_records(data_dir)
    assert 0 < len(kept) < ARTICLES, "the disk should fill up mid-run"

    grow()
    rerun = crawl(portal.url, data_dir, limit[0])
    assert rerun.code == 0, rerun.stderr[-3000:]
    records = rerun.records()
    urls = [r["canonical_url"] or r["url"] for r in records]
    assert len(urls) == len(set(urls)) == ARTICLES, (len(urls), len(set(urls)))
    # What the first run had written is there, not fetched again.
    assert {r["content_hash"] for r in kept} <= {r["content_hash"] for r in records}
    assert not list(data_dir.glob("tftnews/*/.part-*"))
    done = subprocess.run(scrapy_command("validate", str(data_dir / "tftnews")), cwd=PROJECT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_read_only_data_dir_fails_in_one_line(portal, tmp_path):
    """A read-only tmpfs (root), else a folder without write permission."""
    place = tmp_path / "ro"
    place.mkdir()
    mounted = os.geteuid() == 0 and _mount(place, "size=1m", "ro")
    if not mounted:
        place.chmod(0o555)
    try:
        result = run_crawl("tftnews", portal.url, place / "data")
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(place)], check=False)
        place.chmod(0o755)
    assert result.code == 1
    failed = [line for line in result.stderr.splitlines() if line.startswith("caiji: run FAILED:")]
    reason = "Read-only file system" if mounted else "Permission denied"
    assert len(failed) == 1 and f"is not writable: {reason}" in failed[0], result.stderr[-2000:]
