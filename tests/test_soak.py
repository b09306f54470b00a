"""The soak (bench/soak.py), small: 300 articles with faults, 2 SIGKILLs, then every check.

The full one (2,000 articles, 5 kills, three seeds and the distributed variant) is run by hand;
its figures are in docs/reliability.md.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import PROJECT


def soak(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(PROJECT / "bench" / "soak.py"), "--articles", "300", "--kills", "2", "--kill-window", "6", *args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=600,
    )


def checks(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(("ok   ", "MISS "))]


@pytest.mark.parametrize(
    "options",
    [
        ("--faults", "--seed", "18"),
        ("--faults", "--seed", "7", "--gzip", "--file-records", "100"),
        ("--faults", "--seed", "3", "--redis"),
    ],
    ids=["faults", "gzip-rotation", "redis"],
)
def test_small_soak_passes(options):
    done = soak(*options)
    lines = checks(done.stdout)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert len(lines) >= 15 and all(line.startswith("ok   ") for line in lines), "\n".join(lines)
    assert "2 runs killed with SIGKILL" in done.stdout
    if "--gzip" in options:
        assert "ok   data files are .jsonl.gz" in lines and "ok   files rotated at 100 records" in lines


def test_soak_checks_find_a_duplicate_and_a_changed_file(tmp_path):
    """The checks have teeth: a record written twice and a file that no longer matches its manifest."""
    work = tmp_path / "soak"
    done = subprocess.run(
        [sys.executable, str(PROJECT / "bench" / "soak.py"), "--articles", "60", "--kills", "0", "--keep", str(work)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    (data_file,) = work.glob("data/tftnews/*/articles-*.jsonl")
    lines = data_file.read_bytes().splitlines(keepends=True)
    data_file.write_bytes(b"".join([*lines, lines[0]]))
    again = subprocess.run(
        [sys.executable, str(PROJECT / "bench" / "soak.py"), "--check", str(work)], cwd=PROJECT, capture_output=True, text=True
    )
    assert again.returncode == 1
    missed = [line for line in checks(again.stdout) if line.startswith("MISS")]
    assert any("no article written twice with the same text" in line for line in missed), again.stdout
    assert any("every listed file there, with its sha256" in line for line in missed), again.stdout
