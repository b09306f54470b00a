"""Nightly runs (issue 5): a portal that changes between runs, one run at a time, checks, progress,
cron/systemd recipes and a real Scrapyd. Every crawl is a real ``scrapy crawl`` subprocess against
a real loopback server."""

from __future__ import annotations

import configparser
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from serve import DEFAULT_ROOT, PortalServer

from tests.conftest import PROJECT, CrawlResult, run_crawl, scrapy_command
from tests.test_crawl import ARTICLE_IDS

NEWS_ID = re.compile(r"/news/(\d+)\.html$")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def article_id(record: dict) -> str:
    return NEWS_ID.search(record["canonical_url"] or record["url"]).group(1)


def run_records(result: CrawlResult, manifest: dict) -> list[dict]:
    """The records one run wrote: those of the files its manifest lists."""
    folder = next(result.data_dir.glob(f"tftnews/*/manifest-{manifest['run_id']}.json")).parent
    return [json.loads(line) for entry in manifest["files"] for line in (folder / entry["name"]).read_text("utf-8").splitlines()]


# --- editing a copy of the demo portal -------------------------------------------------------


def copy_portal(tmp: Path) -> Path:
    root = tmp / "portal"
    shutil.copytree(DEFAULT_ROOT, root)
    return root


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= count, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def time_line(path: Path) -> str:
    return re.search(r"更新时间:[^<]+", path.read_text(encoding="utf-8")).group(0)


def make_recent(root: Path, news_id: str) -> None:
    """Give an article a page time an hour ago, inside CAIJI_REFRESH_DAYS (2)."""
    page = root / "news" / f"{news_id}.html"
    recent = (datetime.now(SHANGHAI) - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    edit(page, time_line(page), f"更新时间:{recent}")


def edit_body(root: Path, news_id: str, sentence: str) -> None:
    """Add a paragraph at the start of an article's text: its content_hash changes."""
    edit(
        root / "news" / f"{news_id}.html",
        '<div class="article-content">',
        f'<div class="article-content">\n    <p>{sentence}</p>',
    )


def add_article(root: Path, news_id: str, title: str, category: str = "lishi") -> None:
    """A new article page (made from 1039) and its entry at the top of a list page."""
    source = (root / "news" / "1039.html").read_text(encoding="utf-8")
    page = source.replace("1039.html", f"{news_id}.html").replace("古人如何度過炎熱的夏天", title)
    (root / "news" / f"{news_id}.html").write_text(page, encoding="utf-8")
    entry = f'<li class="news-item"><h3><a class="news-title" href="/news/{news_id}.html">{title}</a></h3></li>'
    edit(root / "category" / category / "index.html", '<ul class="news-list">', f'<ul class="news-list">\n {entry}')


def remove_article(root: Path, news_id: str, category: str = "lishi") -> None:
    """Delete an article and its list entry; related lists elsewhere still link it (a 404 now)."""
    (root / "news" / f"{news_id}.html").unlink()
    listing = root / "category" / category / "index.html"
    text = listing.read_text(encoding="utf-8")
    listing.write_text(re.sub(rf'\s*<li class="news-item">[^\n]*?/news/{news_id}\.html[^\n]*</li>', "", text), encoding="utf-8")
    assert f"/news/{news_id}.html" not in listing.read_text(encoding="utf-8")


# --- a portal that changes between runs ------------------------------------------------------

RECENT_EDITED = "1033"  # edited, and recent: inside the refresh window, so an incremental run sees it
OLD_EDITED = "1032"  # edited, but from March 2025: only a full run (CAIJI_INCREMENTAL=0) sees it
REMOVED = "1031"
NEW = ["1040", "1041"]


@pytest.fixture(scope="module")
def changing_portal(tmp_path_factory):
    """Four runs into one data dir, the portal edited after the first.

    1. the portal, with 1033 made recent (its page time an hour ago);
    2. incremental, after: two new articles, 1033 and 1032 edited, 1031 removed;
    3. ``CAIJI_INCREMENTAL=0`` on the same portal;
    4. incremental again, nothing changed, with ``CAIJI_MIN_ARTICLES=40``.
    """
    tmp = tmp_path_factory.mktemp("changing")
    root = copy_portal(tmp)
    make_recent(root, RECENT_EDITED)
    data = tmp / "data"
    with PortalServer(root) as server:
        first = run_crawl("tftnews", server.url, data)
        add_article(root, NEW[0], "古人怎樣過元宵節")
        add_article(root, NEW[1], "宋代的茶館有多熱鬧")
        edit_body(root, RECENT_EDITED, "編者按:本文於今日更新,補充了唐代魚符的材質。")
        edit_body(root, OLD_EDITED, "編者按:本文補充了錦衣衛的編制。")
        remove_article(root, REMOVED)
        second = run_crawl("tftnews", server.url, data)
        full = run_crawl("tftnews", server.url, data, "CAIJI_INCREMENTAL=0")
        again = run_crawl("tftnews", server.url, data, "CAIJI_MIN_ARTICLES=40")
    runs = [first, second, full, again]
    manifests = first.manifests()  # oldest run first
    assert len(manifests) == 4
    return runs, manifests


def test_changing_portal_runs_succeed(changing_portal):
    runs, manifests = changing_portal
    for run, manifest in zip(runs, manifests, strict=True):
        assert run.code == 0, run.stderr[-3000:]
        assert "Traceback" not in run.stderr
        assert manifest["finish_reason"] == "finished"
        assert manifest["checks"]["failed"] == {}


def test_second_run_emits_exactly_the_new_and_the_edited(changing_portal):
    runs, manifests = changing_portal
    records = run_records(runs[1], manifests[1])
    assert sorted(article_id(r) for r in records) == sorted([*NEW, RECENT_EDITED])
    counts = manifests[1]["counts"]
    assert (counts["written"], counts["new"], counts["changed"]) == (3, 2, 1)
    (edited,) = [r for r in records if article_id(r) == RECENT_EDITED]
    assert edited["body"].startswith("编者按:本文于今日更新")  # converted to Simplified like the rest
    # Stored articles older than CAIJI_REFRESH_DAYS were not fetched at all; the recent ones
    # (1009 "3小時前", 1012 "昨天", 1013 without a time) were fetched again and found unchanged.
    assert counts["unchanged"] == 3
    assert counts["skipped"] >= len(ARTICLE_IDS) - 5
    assert counts["pages"] < manifests[0]["counts"]["pages"] - 30
    summary = runs[1].stderr.split("caiji: run finished", 1)[1]
    assert f"{counts['skipped']} skipped as already stored" in summary
    assert "3 written (2 new, 1 changed), 3 unchanged" in summary


def test_removed_article_stays_in_earlier_files(changing_portal):
    runs, manifests = changing_portal
    first_ids = [article_id(r) for r in run_records(runs[0], manifests[0])]
    assert sorted(first_ids) == ARTICLE_IDS
    assert REMOVED in first_ids
    # Every run after the removal: the article is not written again, and its old record remains.
    assert all(REMOVED not in {article_id(r) for r in run_records(runs[0], m)} for m in manifests[1:])
    assert sorted(article_id(r) for r in runs[0].records()).count(REMOVED) == 1


def test_full_run_fetches_everything_but_writes_only_changes(changing_portal):
    runs, manifests = changing_portal
    counts = manifests[2]["counts"]
    assert manifests[2]["settings"]["CAIJI_INCREMENTAL"] is False
    # The old article's edit is seen only now: incremental runs do not fetch it again.
    assert [article_id(r) for r in run_records(runs[2], manifests[2])] == [OLD_EDITED]
    assert (counts["written"], counts["new"], counts["changed"], counts["skipped"]) == (1, 0, 1, 0)
    assert counts["unchanged"] == len(ARTICLE_IDS) - 1 + len(NEW) - 1  # all but the removed and the edited
    assert counts["rejected"] == {"http 404": 2}  # 9999 and, through related lists, the removed 1031
    assert counts["pages"] >= manifests[0]["counts"]["pages"]


def test_quiet_run_writes_nothing_and_passes_its_checks(changing_portal):
    _, manifests = changing_portal
    counts = manifests[3]["counts"]
    assert counts["written"] == 0 and manifests[3]["files"] == []
    # Nothing written, yet "minimum articles" (40) holds: the skipped and unchanged ones count.
    assert counts["skipped"] + counts["unchanged"] >= 40
    assert "minimum articles" in manifests[3]["checks"]["passed"]
    assert manifests[3]["checks"]["skipped"] == {"field coverage": "no record written"}


def test_dataset_holds_each_version_once(changing_portal):
    runs, _ = changing_portal
    ids = sorted(article_id(r) for r in runs[0].records())
    assert ids == sorted([*ARTICLE_IDS, *NEW, RECENT_EDITED, OLD_EDITED])
    hashes = [(r["canonical_url"], r["content_hash"]) for r in runs[0].records()]
    assert len(hashes) == len(set(hashes))
    done = subprocess.run(scrapy_command("validate", str(runs[0].data_dir)), cwd=PROJECT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


# --- one run at a time; progress ------------------------------------------------------------


def wait_until(condition, timeout: float = 30, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the crawl ended first (exit {process.returncode})")
        time.sleep(0.02)
    raise AssertionError("timed out")


def holds_lock(data_dir: Path, process: subprocess.Popen) -> bool:
    lock = data_dir / ".tftnews.lock"
    return lock.exists() and lock.read_text().startswith(f"pid {process.pid} ")


@pytest.fixture(scope="module")
def overlapping_runs(tmp_path_factory):
    """A crawl of a slow portal, logging progress every 0.5 s, and a second one started meanwhile."""
    data = tmp_path_factory.mktemp("overlap")
    with PortalServer(DEFAULT_ROOT, delay=0.1) as server:
        command = scrapy_command("crawl", "tftnews", "-a", f"start_url={server.url}", "-s", f"CAIJI_DATA_DIR={data}")
        command += ["-s", "CAIJI_PROGRESS_INTERVAL=0.5", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2"]
        first = subprocess.Popen(command, cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_until(lambda: holds_lock(data, first), process=first)
            second = run_crawl("tftnews", server.url, data)
            still_running = first.poll() is None
            out, err = first.communicate(timeout=120)
        finally:
            first.kill()
            first.wait()
    return CrawlResult(first.returncode, out, err, data), second, still_running


def test_concurrent_start_exits_75(overlapping_runs):
    first, second, still_running = overlapping_runs
    assert still_running, "the first crawl ended before the second started: the test proves nothing"
    assert second.code == 75, second.stderr[-3000:]
    assert "caiji: run NOT STARTED: another tftnews run holds the lock" in second.stderr
    assert "checks" not in second.stderr.split("caiji: run NOT STARTED", 1)[1]  # no checks of a run that did not run
    assert first.code == 0, first.stderr[-3000:]
    assert len(first.manifests()) == 1  # the second run left nothing in the dataset
    assert sorted(article_id(r) for r in first.records()) == ARTICLE_IDS


def test_progress_line_replaces_scrapy_stats_line(overlapping_runs):
    first, _, _ = overlapping_runs
    lines = [line for line in first.stderr.splitlines() if "[crawler.checks.progress] INFO: Progress: " in line]
    assert len(lines) >= 2, first.stderr[-3000:]
    assert re.search(
        r"Progress: \d+ pages \(\d+/min\), \d+ records written \(\d+/min\), \d+ skipped as stored, "
        r"\d+ errors, \d+ queued, \d+ in flight, [\d.]+ min$",
        lines[-1],
    )
    assert "Crawled " not in first.stderr  # Scrapy's LogStats line is off


def test_stale_lock_of_a_killed_run_is_taken_over(tmp_path):
    with PortalServer(DEFAULT_ROOT, delay=0.1) as server:
        command = scrapy_command("crawl", "tftnews", "-a", f"start_url={server.url}", "-s", f"CAIJI_DATA_DIR={tmp_path}")
        killed = subprocess.Popen(command, cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_until(lambda: holds_lock(tmp_path, killed), process=killed)
        finally:
            killed.kill()
            killed.wait()
        assert (tmp_path / ".tftnews.lock").read_text().startswith(f"pid {killed.pid} ")  # left behind
        result = run_crawl("tftnews", server.url, tmp_path)
    assert result.code == 0, result.stderr[-3000:]
    assert sorted(article_id(r) for r in result.records()) == ARTICLE_IDS


# --- checks of the finished crawl ------------------------------------------------------------


def test_normal_run_passes_its_checks(portal, crawl, tmp_path):
    result = crawl("tftnews", portal.url, tmp_path)
    assert result.code == 0, result.stderr[-3000:]
    assert "checks     passed: minimum articles, field coverage, error rate, finish reason" in result.stderr
    (manifest,) = result.manifests()
    assert manifest["checks"] == {
        "passed": ["minimum articles", "field coverage", "error rate", "finish reason"],
        "skipped": {},
        "failed": {},
    }


@pytest.fixture(scope="module")
def timeless_portal(tmp_path_factory):
    """The portal with the time line removed from all articles but five."""
    root = copy_portal(tmp_path_factory.mktemp("timeless"))
    for page in sorted((root / "news").glob("*.html"))[5:]:
        text = page.read_text(encoding="utf-8")
        page.write_text(re.sub(r'<span class="article-time">[^<]*</span>', "", text), encoding="utf-8")
    with PortalServer(root) as server:
        yield server


def test_low_timestamp_coverage_fails_the_run(timeless_portal, crawl, tmp_path):
    result = crawl("tftnews", timeless_portal.url, tmp_path)
    assert result.code == 1, result.stderr[-3000:]
    assert "caiji: run FAILED: checks failed: field coverage" in result.stderr
    assert re.search(r"field coverage: timestamp in \d+% of 40 records < 90% \(CAIJI_MIN_TIMESTAMP_COVERAGE\)", result.stderr)
    assert "Traceback" not in result.stderr.split("caiji: run FAILED", 1)[1]
    # The dataset is written all the same: a failed check judges the run, it does not undo it.
    (manifest,) = result.manifests()
    assert manifest["counts"]["written"] == 40
    assert list(manifest["checks"]["failed"]) == ["field coverage"]


def test_coverage_threshold_is_a_setting(timeless_portal, crawl, tmp_path):
    result = crawl("tftnews", timeless_portal.url, tmp_path, "CAIJI_MIN_TIMESTAMP_COVERAGE=0.1")
    assert result.code == 0, result.stderr[-3000:]


def test_few_records_need_one_timestamp_not_the_share(timeless_portal, crawl, tmp_path):
    # 5 of 40 records have a time: too few for 90%, but a run below the sample size is not judged
    # by its share (a night re-emitting three articles, one without a time, is 67%).
    result = crawl("tftnews", timeless_portal.url, tmp_path, "CAIJI_COVERAGE_MIN_RECORDS=41")
    assert result.code == 0, result.stderr[-3000:]


def test_few_records_without_any_timestamp_fail(crawl, tmp_path):
    root = copy_portal(tmp_path)
    for page in (root / "news").glob("*.html"):
        page.write_text(
            re.sub(r'<span class="article-time">[^<]*</span>', "", page.read_text(encoding="utf-8")), encoding="utf-8"
        )
    with PortalServer(root) as server:
        result = crawl("tftnews", server.url, tmp_path / "data", "CAIJI_COVERAGE_MIN_RECORDS=41")
    assert result.code == 1
    assert "field coverage: timestamp in none of 40 records (fewer than CAIJI_COVERAGE_MIN_RECORDS=41)" in result.stderr


def test_error_rate_and_minimum_articles_fail_the_run(crawl, tmp_path):
    root = copy_portal(tmp_path)
    for page in sorted((root / "news").glob("*.html"))[3:]:
        page.unlink()  # list pages still link them: 404s
    with PortalServer(root) as server:
        result = crawl("tftnews", server.url, tmp_path / "data", "CAIJI_MIN_ARTICLES=5")
    assert result.code == 1
    assert "caiji: run FAILED: checks failed: minimum articles, error rate" in result.stderr
    assert re.search(r"error rate: \d+ of \d+ pages failed \(\d+%\) > CAIJI_MAX_ERROR_RATE=0.5", result.stderr)
    assert "minimum articles: 3 articles (3 written, 0 unchanged, 0 skipped as stored) < CAIJI_MIN_ARTICLES=5" in result.stderr


@pytest.mark.parametrize(
    "setting",
    [
        "CAIJI_MAX_ERROR_RATE=2",
        "CAIJI_MIN_TIMESTAMP_COVERAGE=x",
        "CAIJI_MIN_ARTICLES=-1",
        "CAIJI_PROGRESS_INTERVAL=-5",
        "CAIJI_COVERAGE_MIN_RECORDS=-1",
        "CAIJI_COVERAGE_MIN_RECORDS=2.5",
    ],
)
def test_bad_check_setting_is_a_usage_error(portal, crawl, tmp_path, setting):
    result = crawl("tftnews", portal.url, tmp_path, setting)
    assert result.code == 2
    assert setting.split("=")[0] in result.stderr


# --- cron and systemd recipes ----------------------------------------------------------------

DEPLOY = PROJECT / "deploy"


def localize(command: str, data: Path, log: Path, start_url: str) -> str:
    """A recipe's command with this checkout, a temporary data dir and log, and the test portal."""
    command = command.replace("/opt/caiji", str(PROJECT)).replace("/srv/caiji/data", str(data))
    command = command.replace("/var/log/caiji/tftnews.log", str(log))
    return command.replace("crawl tftnews", f"crawl tftnews -a start_url={shlex.quote(start_url)}")


def test_cron_line_runs_a_crawl(portal, tmp_path):
    lines = [line for line in (DEPLOY / "caiji.cron").read_text().splitlines() if line.strip() and not line.startswith("#")]
    (entry,) = [line for line in lines if "=" not in line.split()[0]]
    fields = entry.split(None, 5)
    assert len(fields) == 6 and all(re.fullmatch(r"[\d*/,-]+", f) for f in fields[:5]), entry
    assert "%" not in fields[5]  # cron would turn it into a newline
    log = tmp_path / "tftnews.log"
    done = subprocess.run(["sh", "-c", localize(fields[5], tmp_path / "data", log, portal.url)], timeout=120)
    assert done.returncode == 0, log.read_text()[-3000:]
    assert "caiji: run finished" in log.read_text()
    assert len(list((tmp_path / "data").glob("tftnews/*/articles-*.jsonl"))) == 1


def read_unit(name: str) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # systemd keys are case-sensitive
    unit.read(DEPLOY / name)
    return unit


def test_systemd_units(portal, tmp_path):
    service, timer = read_unit("caiji-tftnews.service"), read_unit("caiji-tftnews.timer")
    assert service["Service"]["Type"] == "oneshot"
    assert "75" in service["Service"]["SuccessExitStatus"].split()
    assert service["Service"]["ExecStart"].startswith(service["Service"]["WorkingDirectory"] + "/.venv/bin/scrapy crawl tftnews")
    assert service["Service"]["StandardOutput"].startswith("append:")
    assert timer["Timer"]["Unit"] == "caiji-tftnews.service" and timer["Timer"]["OnCalendar"]
    # What systemd would run, run here from the unit's working directory.
    log = tmp_path / "tftnews.log"
    command = localize(service["Service"]["ExecStart"], tmp_path / "data", log, portal.url)
    with log.open("a") as out:
        done = subprocess.run(shlex.split(command), cwd=PROJECT, stdout=out, stderr=out, timeout=120)
    assert done.returncode == 0, log.read_text()[-3000:]
    assert "caiji: run finished" in log.read_text()


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_systemd_units_verify(tmp_path):
    for name in ("caiji-tftnews.service", "caiji-tftnews.timer"):
        text = (DEPLOY / name).read_text().replace("/opt/caiji", str(PROJECT)).replace("User=caiji", "User=root")
        (tmp_path / name).write_text(text)
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(tmp_path / "caiji-tftnews.timer"), str(tmp_path / "caiji-tftnews.service")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    problems = [line for line in done.stderr.splitlines() if "caiji-tftnews" in line]
    assert not problems, done.stderr


# --- Scrapyd ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def api(base: str, endpoint: str, data: list[tuple[str, str]] | None = None) -> dict:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(base + endpoint, data=body, timeout=30) as response:
        answer = json.loads(response.read())
    assert answer.get("status") == "ok", answer
    return answer


def start_scrapyd(home: Path, attempts: int = 5) -> tuple[subprocess.Popen, str]:
    """Scrapyd on a free 127.0.0.1 port: ``(process, base URL)``.

    Scrapyd cannot bind port 0 (0 switches its TCP server off), so a free port is chosen first;
    when another program takes it in between, Scrapyd exits at once and the next port is tried.
    The one that answers is ours: our process is still running.
    """
    for _ in range(attempts):
        port = free_port()
        (home / "scrapyd.conf").write_text(
            "[scrapyd]\n"
            f"bind_address = 127.0.0.1\nhttp_port = {port}\n"
            f"eggs_dir = {home / 'eggs'}\nlogs_dir = {home / 'logs'}\ndbs_dir = {home / 'dbs'}\nitems_dir =\n"
            "poll_interval = 0.2\nmax_proc = 1\n"
        )
        with (home / "scrapyd.out").open("a") as log:
            process = subprocess.Popen(
                [str(Path(sys.executable).with_name("scrapyd"))], cwd=home, stdout=log, stderr=subprocess.STDOUT
            )
        base = f"http://127.0.0.1:{port}/"

        def answers(base: str = base) -> bool:
            try:
                return api(base, "daemonstatus.json")["status"] == "ok"
            except OSError:
                return False

        try:
            wait_until(answers, timeout=30, process=process)
        except AssertionError:
            if process.poll() is None:
                raise
            continue  # it could not listen there
        if process.poll() is None:
            return process, base
    raise AssertionError(f"Scrapyd did not start:\n{(home / 'scrapyd.out').read_text()[-2000:]}")


@pytest.fixture
def scrapyd(tmp_path):
    """A real Scrapyd on a free 127.0.0.1 port, its eggs, logs and databases in a temporary folder."""
    home = tmp_path / "scrapyd"
    home.mkdir()
    process, base = start_scrapyd(home)
    try:
        yield base, home
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_scrapyd_deploy_and_schedule(scrapyd, portal, tmp_path):
    base, home = scrapyd
    # A copy of what the egg is built from, without tests or fixtures: the egg must not need them.
    project = tmp_path / "project"
    project.mkdir()
    for name in ("crawler", "pipelines", "schema"):
        shutil.copytree(PROJECT / name, project / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "setup.py", "scrapy.cfg", "README.md"):
        shutil.copy(PROJECT / name, project / name)
    cfg = (project / "scrapy.cfg").read_text()
    assert "url = http://127.0.0.1:6800\n" in cfg  # the [deploy] target, no trailing slash
    (project / "scrapy.cfg").write_text(cfg.replace("http://127.0.0.1:6800", base.rstrip("/")))

    egg = tmp_path / "caiji.egg"
    deploy = Path(sys.executable).with_name("scrapyd-deploy")
    done = subprocess.run([str(deploy), "--build-egg", str(egg)], cwd=project, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    names = zipfile.ZipFile(egg).namelist()
    assert "schema/article.schema.json" in names
    assert "crawler/spiders/tftnews.py" in names
    assert not [n for n in names if n.startswith(("fixtures/", "tests/"))]
    assert "settings = crawler.settings" in zipfile.ZipFile(egg).read("EGG-INFO/entry_points.txt").decode()
    # Imported from the zipped egg alone (PYTHONPATH comes before this checkout's editable install),
    # the code finds its schema and settings.
    probe = "import crawler.settings, schema; assert '.egg' in schema.__file__, schema.__file__; schema.article_schema()"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(egg)}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr

    done = subprocess.run([str(deploy), "--version", "1"], cwd=project, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert '"status": "ok"' in done.stdout, done.stdout + done.stderr
    assert "tftnews" in api(base, "listspiders.json?project=caiji")["spiders"]

    data = tmp_path / "data"
    job = api(
        base,
        "schedule.json",
        [("project", "caiji"), ("spider", "tftnews"), ("start_url", portal.url), ("setting", f"CAIJI_DATA_DIR={data}")],
    )["jobid"]

    def finished() -> bool:
        return any(j["id"] == job for j in api(base, "listjobs.json?project=caiji")["finished"])

    wait_until(finished, timeout=90)
    result = CrawlResult(0, "", "", data)
    (log,) = (home / "logs" / "caiji" / "tftnews").glob(f"{job}.log")
    assert "Spider closed (finished)" in log.read_text(), log.read_text()[-3000:]
    assert sorted(article_id(r) for r in result.records()) == ARTICLE_IDS
    (manifest,) = result.manifests()
    assert manifest["finish_reason"] == "finished" and manifest["checks"]["failed"] == {}
    # Scrapyd's own feed is off here (items_dir empty); the dataset does not depend on it.
    assert not list(home.rglob("*.jl"))
    assert datetime.now(UTC) - datetime.fromisoformat(manifest["finished_at"].replace("Z", "+00:00")) < timedelta(minutes=5)
