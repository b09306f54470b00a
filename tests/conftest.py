"""Shared fixtures: the demo portal on a real loopback server, and running real crawls."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT / "fixtures"))

from serve import DEFAULT_ROOT, PortalServer  # noqa: E402


@pytest.fixture(scope="session")
def portal():
    """The bundled tftnews portal, served on a free 127.0.0.1 port for the whole session."""
    with PortalServer(DEFAULT_ROOT) as server:
        yield server


@dataclass
class CrawlResult:
    """What a finished ``scrapy crawl`` left behind."""

    code: int
    stdout: str
    stderr: str
    data_dir: Path

    def records(self, spider: str = "tftnews") -> list[dict]:
        """Every record of every finished data file, in file order."""
        found = []
        for path in sorted(self.data_dir.glob(f"{spider}/*/articles-*.jsonl")):
            found += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        return found

    def manifests(self, spider: str = "tftnews") -> list[dict]:
        """Every manifest, oldest run first."""
        paths = sorted(self.data_dir.glob(f"{spider}/*/manifest-*.json"))
        return [json.loads(p.read_text(encoding="utf-8")) for p in paths]

    def rejects(self, spider: str = "tftnews") -> list[dict]:
        """Every rejected page of every run."""
        found = []
        for path in sorted(self.data_dir.glob(f"{spider}/*/rejects-*.jsonl")):
            found += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        return found


def scrapy_command(*args: str) -> list[str]:
    """The project's ``scrapy`` command line, from this interpreter's virtualenv."""
    return [str(Path(sys.executable).with_name("scrapy")), *args]


def run_crawl(
    spider: str, start_url: str, data_dir: Path, *settings: str, timeout: float = 300, options: tuple[str, ...] = ()
) -> CrawlResult:
    """Run ``scrapy crawl`` as a user would, in a subprocess from the project root (``options``:
    more of its command line, such as ``-O FILE``)."""
    command = scrapy_command(
        "crawl", spider, "-a", f"start_url={start_url}", "-s", f"CAIJI_DATA_DIR={data_dir}", "-s", "LOG_LEVEL=INFO", *options
    )
    for setting in settings:
        command += ["-s", setting]
    done = subprocess.run(
        command, cwd=PROJECT, capture_output=True, text=True, timeout=timeout, env={**os.environ, "PYTHONUNBUFFERED": "1"}
    )
    return CrawlResult(done.returncode, done.stdout, done.stderr, data_dir)


@pytest.fixture
def crawl():
    """``crawl(spider, start_url, data_dir, *settings)`` → CrawlResult."""
    return run_crawl
