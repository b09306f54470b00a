"""The dataset on disk (SPEC §5): manifests, dedup across runs, validation, DuckDB, kills, bad paths."""

import gzip
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import time
import zlib
from pathlib import Path

import duckdb
import pytest
from serve import DEFAULT_ROOT, PortalServer

from crawler.extraction.items import FIELDS
from crawler.state.run import safe_name
from tests.conftest import PROJECT, CrawlResult, run_crawl, scrapy_command
from tests.test_crawl import ARTICLE_IDS


def article_id(record: dict) -> str:
    return re.search(r"/news/(\d+)\.html$", record["canonical_url"] or record["url"]).group(1)


def read_lines(path: Path) -> list[bytes]:
    data = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
    return data.splitlines(keepends=True)


def all_records(data_dir: Path) -> list[dict]:
    """Every record of every complete data file, gzipped or not."""
    paths = sorted(data_dir.glob("tftnews/*/articles-*.jsonl*"))
    return [json.loads(line) for path in paths for line in read_lines(path)]


def validate(*paths: Path | str) -> subprocess.CompletedProcess:
    return subprocess.run(scrapy_command("validate", *map(str, paths)), cwd=PROJECT, capture_output=True, text=True, timeout=60)


def assert_manifests_match_disk(data_dir: Path) -> None:
    for manifest_path in data_dir.glob("tftnews/*/manifest-*.json"):
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        for entry in manifest["files"]:
            path = manifest_path.parent / entry["name"]
            assert entry["bytes"] == path.stat().st_size, entry["name"]
            assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest(), entry["name"]
            assert entry["records"] == len(read_lines(path)), entry["name"]
        assert manifest["counts"]["written"] == sum(f["records"] for f in manifest["files"])


# --- two runs into one data dir ------------------------------------------------------------


@pytest.fixture(scope="module")
def two_runs(portal, tmp_path_factory):
    """A first crawl, then a second that fetches everything again (CAIJI_INCREMENTAL=0)."""
    data_dir = tmp_path_factory.mktemp("data")
    first = run_crawl("tftnews", portal.url, data_dir)
    second = run_crawl("tftnews", portal.url, data_dir, "CAIJI_INCREMENTAL=0")
    return first, second


def test_two_runs_succeed(two_runs):
    for run in two_runs:
        assert run.code == 0, run.stderr[-3000:]
        assert "Traceback" not in run.stderr


def test_manifests_match_the_files(two_runs):
    data_dir = two_runs[0].data_dir
    assert len(two_runs[0].manifests()) == 2
    assert_manifests_match_disk(data_dir)
    assert not list(data_dir.rglob(".part-*"))


def test_second_run_adds_nothing_unchanged(two_runs):
    first, second = (json.loads(p.read_text(encoding="utf-8")) for p in sorted(two_runs[0].data_dir.glob("tftnews/*/manifest-*")))
    assert first["counts"]["written"] == len(ARTICLE_IDS)
    assert second["settings"]["CAIJI_INCREMENTAL"] is False
    assert second["files"] == []
    assert second["counts"]["written"] == 0
    assert second["counts"]["unchanged"] == len(ARTICLE_IDS)
    assert second["counts"]["duplicates"] >= len(ARTICLE_IDS)
    assert sorted(article_id(r) for r in two_runs[0].records()) == ARTICLE_IDS


def test_manifest_settings_are_typed(portal, crawl, tmp_path):
    result = crawl("tftnews", portal.url, tmp_path, "CAIJI_FILE_RECORDS=100", "CAIJI_REFRESH_DAYS=3")
    (manifest,) = result.manifests()
    assert manifest["settings"] == {
        "CAIJI_SCRIPT_TARGET": "hans",
        "CAIJI_INCREMENTAL": True,
        "CAIJI_REFRESH_DAYS": 3.0,
        "CAIJI_FILE_RECORDS": 100,
        "CAIJI_COMPRESS": None,
    }


# --- scrapy validate -------------------------------------------------------------------------


def test_validate_passes_the_dataset(two_runs):
    done = validate(two_runs[0].data_dir)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == f"1 files, {len(ARTICLE_IDS)} records, 0 invalid; 2 manifests, 0 mismatches"


def test_validate_names_a_bad_line(two_runs, tmp_path):
    (source,) = two_runs[0].data_dir.glob("tftnews/*/articles-*.jsonl")
    bad = tmp_path / "articles-copy-0001.jsonl"
    shutil.copy(source, bad)
    with bad.open("a", encoding="utf-8") as f:
        f.write('{"url": "http://127.0.0.1/news/1.html", "title": \n')
    done = validate(bad)
    assert done.returncode == 1
    assert f"{bad}:{len(ARTICLE_IDS) + 1}: not JSON" in done.stdout
    assert done.stdout.splitlines()[-1] == f"1 files, {len(ARTICLE_IDS) + 1} records, 1 invalid"


def test_validate_names_a_missing_key_and_key_order(two_runs, tmp_path):
    (source,) = two_runs[0].data_dir.glob("tftnews/*/articles-*.jsonl")
    first, second, third = (json.loads(line) for line in source.read_text(encoding="utf-8").splitlines()[:3])
    del second["author"]
    third = {key: third[key] for key in reversed(FIELDS)}
    folder = tmp_path / "tftnews" / "2026-01-01"
    folder.mkdir(parents=True)
    path = folder / "articles-x-0001.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in (first, second, third)), encoding="utf-8")
    done = validate(tmp_path)
    assert done.returncode == 1
    assert f"{path}:2: missing key: author" in done.stdout
    assert f"{path}:3: keys not in SPEC order" in done.stdout
    assert f"{path}:1:" not in done.stdout


def test_validate_checks_manifests_against_files(two_runs, tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(two_runs[0].data_dir / "tftnews", copy / "tftnews")
    (data,) = copy.glob("tftnews/*/articles-*.jsonl")
    lines = data.read_text(encoding="utf-8").splitlines(keepends=True)
    data.write_text("".join(lines[:-1]), encoding="utf-8")  # a record lost: still valid lines
    done = validate(copy)
    assert done.returncode == 1
    assert f"{data.name}: {data.stat().st_size} bytes on disk" in done.stdout
    assert done.stdout.splitlines()[-1].endswith("0 invalid; 2 manifests, 1 mismatches")


def test_validate_with_nothing_to_check(tmp_path):
    assert validate(tmp_path).returncode == 1
    assert validate(tmp_path / "missing").returncode == 1
    assert validate().returncode == 2


# --- DuckDB ----------------------------------------------------------------------------------


def test_duckdb_reads_the_dataset(two_runs):
    pattern = f"{two_runs[0].data_dir}/tftnews/*/articles-*.jsonl"
    con = duckdb.connect()
    source = f"read_json_auto('{pattern}')"
    # DuckDB 2 relations have no fetchone(): each fetch runs the query again.
    ((count, articles, with_images),) = con.sql(
        f"SELECT count(*), count(DISTINCT canonical_url), count(*) FILTER (WHERE len(images) > 0) FROM {source}"
    ).fetchall()
    assert count == articles == len(ARTICLE_IDS)
    assert with_images > 0
    types = {name: kind for name, kind, *_ in con.sql(f"DESCRIBE SELECT * FROM {source}").fetchall()}
    assert list(types) == list(FIELDS)
    assert types["title"] == "VARCHAR"
    assert types["body"] == "VARCHAR"
    assert types["breadcrumbs"] == "VARCHAR[]"
    assert types["images"] == "STRUCT(url VARCHAR, alt VARCHAR, caption VARCHAR)[]"
    assert types["script"] == 'STRUCT(detected VARCHAR, "target" VARCHAR)'
    # ISO 8601 with an offset: DuckDB reads the times as instants, not as text.
    assert types["timestamp"] == "TIMESTAMP WITH TIME ZONE"
    assert types["crawled_at"] == "TIMESTAMP WITH TIME ZONE"
    ((seed_time,),) = con.sql(
        f"SELECT epoch(timestamp) FROM {source} WHERE canonical_url = 'https://www.tftnews.com/news/1000.html'"
    ).fetchall()
    assert seed_time == 1743398255  # 2025-03-31T13:17:35+08:00


# --- a run killed with SIGKILL ---------------------------------------------------------------


@pytest.fixture(scope="module")
def slow_portal():
    """The demo portal answering each request after 0.1 s, so a crawl lasts a few seconds."""
    with PortalServer(DEFAULT_ROOT, delay=0.1) as server:
        yield server


def start_crawl(url: str, data_dir: Path, *settings: str) -> subprocess.Popen:
    command = scrapy_command("crawl", "tftnews", "-a", f"start_url={url}", "-s", f"CAIJI_DATA_DIR={data_dir}")
    for setting in settings:
        command += ["-s", setting]
    return subprocess.Popen(command, cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def holds_complete_record(part: Path) -> bool:
    """True when a temporary data file holds at least one whole line (gzip: flushed block)."""
    data = part.read_bytes()
    if part.name.endswith(".gz"):
        data = zlib.decompressobj(wbits=31).decompress(data)
    return b"\n" in data


def wait_for_moment(data_dir: Path, process: subprocess.Popen, moment: str) -> Path | None:
    """Wait for the moment to kill the crawl; the temporary file it is writing, if any.

    ``early``: the run holds the lock and has written nothing. ``mid``: the temporary file holds a
    complete record. ``rotation``: a file was finished (renamed) and the next holds a record.
    """
    deadline = time.monotonic() + 30
    lock = data_dir / ".tftnews.lock"
    while time.monotonic() < deadline and process.poll() is None:
        if moment == "early":
            if lock.exists() and lock.read_text().startswith(f"pid {process.pid} "):
                return None
        else:
            parts = list(data_dir.glob("tftnews/*/.part-*.jsonl*"))
            finished = list(data_dir.glob("tftnews/*/articles-*.jsonl*"))
            try:
                if parts and holds_complete_record(parts[0]) and len(finished) >= (moment == "rotation"):
                    return parts[0]
            except (FileNotFoundError, zlib.error):  # renamed as it was complete; a block half-written
                pass
        time.sleep(0.01)
    raise AssertionError("the crawl ended before it could be killed")


def kill_at(url: str, data_dir: Path, moment: str, settings: list[str]) -> str | None:
    """Start a crawl, SIGKILL it at ``moment``; the run id of the temporary file it left, if any."""
    process = start_crawl(url, data_dir, *settings)
    try:
        part = wait_for_moment(data_dir, process, moment)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.wait(timeout=10)
    # What a reader can see is whole: complete files only, each line a record.
    for path in data_dir.glob("tftnews/*/articles-*.jsonl*"):
        assert all(json.loads(line) for line in read_lines(path))
    return re.match(r"\.part-(.+)-\d{4}\.jsonl", part.name).group(1) if part else None


@pytest.mark.parametrize(
    "moments, settings",
    [
        (["early"], []),  # lock taken, nothing written yet
        (["mid"], []),  # records in the temporary file
        (["rotation"], ["CAIJI_FILE_RECORDS=5"]),  # finished files and a temporary one
        (["rotation"], ["CAIJI_FILE_RECORDS=1"]),  # every record starts a file: kills land in renames
        (["mid"], ["CAIJI_COMPRESS=gzip"]),  # a gzip stream cut short
        (["early", "mid", "rotation"], ["CAIJI_FILE_RECORDS=3"]),  # three killed runs in a row
    ],
    ids=["early", "mid", "rotation-5", "rotation-1", "mid-gzip", "three-kills"],
)
def test_killed_run_is_recovered(slow_portal, crawl, tmp_path, moments, settings):
    throttle = ["CONCURRENT_REQUESTS_PER_DOMAIN=2"]
    killed_runs = []
    for moment in moments:
        killed_runs.append(kill_at(slow_portal.url, tmp_path, moment, throttle + settings))
    left = {run for run in killed_runs if run}
    # A killed run writes no manifest of its own (a later killed run may write an earlier one's).
    assert all(m["finish_reason"] == "killed" for m in CrawlResult(0, "", "", tmp_path).manifests())

    # The same command again.
    result = crawl("tftnews", slow_portal.url, tmp_path, *settings)
    assert result.code == 0, result.stderr[-3000:]
    assert not list(tmp_path.rglob(".part-*"))
    assert not list(tmp_path.rglob(".run-*"))

    manifests = {m["run_id"]: m for m in result.manifests()}
    (current,) = [m for m in manifests.values() if m["finish_reason"] == "finished"]
    for run in left:
        assert manifests[run]["finish_reason"] == "killed"
        assert manifests[run]["recovered_by"] in manifests
        # What the killed run noted when it started, as its own manifest would have said it.
        assert manifests[run]["settings"] == current["settings"]
        assert manifests[run]["counts"]["rejected"] == {} and manifests[run]["counts"]["duplicates"] is None
    if killed_runs[-1]:
        # The last killed run's leftovers are recovered by this run, and it says so.
        assert f"of killed run {killed_runs[-1]}" in result.stderr
        assert "recovered " in result.stderr  # the run summary
        assert manifests[killed_runs[-1]]["recovered_by"] == current["run_id"]
        assert current["recovered"] and all(r["run_id"] in left for r in current["recovered"])
        assert current["counts"]["recovered"] == sum(r["records"] for r in current["recovered"]) > 0
    if moments == ["rotation"] and "CAIJI_FILE_RECORDS=5" in settings:
        (killed,) = [manifests[run] for run in left]
        assert len(killed["files"]) >= 2  # the complete files before the kill and the recovered one
    assert_manifests_match_disk(tmp_path)
    # Every article exactly once across all files of all runs, killed or not.
    assert sorted(article_id(r) for r in all_records(tmp_path)) == ARTICLE_IDS
    done = validate(tmp_path)
    assert done.returncode == 0, done.stdout


def test_files_of_a_run_without_manifest_get_one(portal, crawl, tmp_path):
    # As a kill right after a rename leaves it: complete files and no temporary file, no manifest.
    first = crawl("tftnews", portal.url, tmp_path, "CAIJI_FILE_RECORDS=10")
    assert first.code == 0, first.stderr[-3000:]
    (manifest_path,) = tmp_path.glob("tftnews/*/manifest-*.json")
    original = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest_path.unlink()
    second = crawl("tftnews", portal.url, tmp_path)
    assert second.code == 0, second.stderr[-3000:]
    rebuilt = json.loads(manifest_path.read_text(encoding="utf-8"))
    assert rebuilt["finish_reason"] == "killed"
    assert len(original["files"]) == 4
    assert rebuilt["files"] == original["files"]
    assert rebuilt["started_at"] == original["started_at"]  # read from the run id
    assert rebuilt["counts"]["written"] == len(ARTICLE_IDS)
    assert rebuilt["rejects"] == original["rejects"]


# --- gzip ------------------------------------------------------------------------------------


def test_gzip_rotation(portal, crawl, tmp_path):
    result = crawl("tftnews", portal.url, tmp_path, "CAIJI_COMPRESS=gzip", "CAIJI_FILE_RECORDS=7")
    assert result.code == 0, result.stderr[-3000:]
    files = sorted(tmp_path.glob("tftnews/*/articles-*.jsonl.gz"))
    assert len(files) == -(-len(ARTICLE_IDS) // 7)
    assert not list(tmp_path.glob("tftnews/*/articles-*.jsonl"))
    assert [len(read_lines(f)) for f in files[:-1]] == [7] * (len(files) - 1)
    assert sorted(article_id(r) for r in all_records(tmp_path)) == ARTICLE_IDS
    assert_manifests_match_disk(tmp_path)
    done = validate(tmp_path)
    assert done.returncode == 0, done.stdout
    assert done.stdout.splitlines()[-1].startswith(f"{len(files)} files, {len(ARTICLE_IDS)} records, 0 invalid")


# --- where the dataset goes ------------------------------------------------------------------


def test_data_dir_under_a_file_fails_cleanly(portal, crawl, tmp_path):
    # Not chmod: the tests may run as root, which ignores permissions.
    (tmp_path / "afile").write_text("not a folder")
    result = crawl("tftnews", portal.url, tmp_path / "afile" / "data")
    assert result.code == 1
    assert "data dir" in result.stderr and "not writable: Not a directory" in result.stderr
    assert "Traceback" not in result.stderr


def test_spider_folder_that_is_a_file_fails_cleanly(portal, crawl, tmp_path):
    (tmp_path / "tftnews").write_text("not a folder")
    result = crawl("tftnews", portal.url, tmp_path)
    assert result.code == 1
    assert "cannot create the dataset folder" in result.stderr
    assert "Traceback" not in result.stderr
    assert "pages      0 fetched" in result.stderr


def test_safe_name():
    assert safe_name("tftnews", "spider") == "tftnews"
    assert safe_name("worker-1.a_b", "worker") == "worker-1.a_b"
    for bad in ("..", "../x", "a/b", "/abs", ".hidden", "a..b", "", "x" * 65, "a b", "a\\b"):
        with pytest.raises(ValueError):
            safe_name(bad, "worker")


@pytest.mark.parametrize("setting", ["CAIJI_WORKER_ID=../x", "CAIJI_WORKER_ID=a/b"])
def test_worker_id_cannot_escape(portal, crawl, tmp_path, setting):
    result = crawl("tftnews", portal.url, tmp_path / "data", setting)
    assert result.code == 2
    assert "CAIJI_WORKER_ID" in result.stderr
    assert not (tmp_path / "data").exists() and not (tmp_path / "x").exists()


def test_bad_start_url_is_a_usage_error(crawl, tmp_path):
    result = crawl("tftnews", "ftp://example.com/", tmp_path)
    assert result.code == 2
    assert "start_url must be an http(s) address" in result.stderr
    assert "Traceback" not in result.stderr
