"""``scrapy report``: the numbers equal the manifests', bad input is said and survived, the page is self-contained."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lxml import html as lxml_html

from crawler.checks.charts import Charts
from crawler.checks.fonts import find_cjk_font
from crawler.checks.report import NothingToReport, read_dataset
from crawler.checks.report_page import render_report, write_report
from pipelines.dataset import NewestArticles

from .conftest import PROJECT, scrapy_command

sys.path.insert(0, str(PROJECT / "bench"))
from nights import make_dataset

LAST = datetime.now(UTC).date()


def manifests_of(root: Path) -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(root.glob("*/*/manifest-*.json"))]


def report_command(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(scrapy_command("report", *args), cwd=PROJECT, capture_output=True, text=True, timeout=120)


def page(text: str):
    return lxml_html.fromstring(text)


# --- the numbers ------------------------------------------------------------------------------


def test_counts_per_night_equal_the_manifests(tmp_path):
    make_dataset(tmp_path, nights=10, records=2000, sites=("tftnews", "sina"), workers=2, last_night=LAST)
    report = read_dataset(tmp_path, nights=10)
    assert list(report.sites) == ["sina", "tftnews"]
    assert report.days == [LAST - timedelta(days=n) for n in range(9, -1, -1)]
    assert report.problems == []
    manifests = manifests_of(tmp_path)
    for m in manifests:
        night = next(n for n in report.sites[m["spider"]].nights if n.day.isoformat() == m["started_at"][:10])
        same = [x for x in manifests if x["spider"] == m["spider"] and x["started_at"][:10] == m["started_at"][:10]]
        assert len(night.runs) == len(same) == 2
        for key in ("written", "new", "changed", "unchanged", "pages"):
            assert night.total(key) == sum(x["counts"][key] for x in same), key
        assert night.rejected == sum(sum(x["counts"]["rejected"].values()) for x in same)
        for name in ("timestamp", "author", "images", "related_links", "captions"):
            expected = sum(x["fields"][name] for x in same) / sum(x["counts"]["written"] for x in same)
            assert night.coverage(name) == pytest.approx(expected)
        assert night.workers == {x["worker_id"]: x["counts"]["written"] for x in same}
    for name, site in report.sites.items():
        mine = [m for m in manifests if m["spider"] == name]
        totals: dict[str, int] = {}
        for m in mine:
            for reason, n in m["counts"]["rejected"].items():
                totals[reason] = totals.get(reason, 0) + n
        by_reason = site.rejects_by_reason()
        assert sorted(by_reason.items()) == sorted(totals.items())
        assert list(by_reason.values()) == sorted(by_reason.values(), reverse=True)
        assert site.distributed


def test_the_page_shows_the_manifests_numbers(tmp_path):
    make_dataset(tmp_path, nights=5, records=500, last_night=LAST)
    report = read_dataset(tmp_path, nights=5)
    doc = page(render_report(report, find_cjk_font()))
    rows = doc.xpath("//h3[starts-with(., '每晚')]/following-sibling::table[1]//tr[td]")
    shown = {row.xpath("td[1]")[0].text_content(): [td.text_content() for td in row.xpath("td")] for row in rows}
    for m in manifests_of(tmp_path):
        cells = shown[m["started_at"][:10]]
        assert cells[2] == f"{m['counts']['written']:,}"
        assert cells[5] == f"{m['counts']['unchanged']:,}"
        assert cells[6] == f"{sum(m['counts']['rejected'].values()):,}"
        assert cells[7] == f"{m['counts']['pages']:,}"
        assert cells[10] == "finished" and cells[11] == "ok"
    assert doc.xpath("//div[contains(@class, 'banner ok')]")
    assert len(doc.xpath("//div[@class='chart']/*[local-name()='svg']")) == 4  # one worker: no per-worker chart
    newest = [a.text_content() for a in doc.xpath("//h3[starts-with(., '最新文章')]/following-sibling::table[1]//a")]
    last = json.loads(sorted(tmp_path.glob(f"tftnews/{LAST.isoformat()}/manifest-*.json"))[0].read_text(encoding="utf-8"))
    assert newest == [entry["title"] for entry in last["newest"]]


def test_a_failed_last_night_puts_a_red_banner_with_the_reason(tmp_path):
    made = make_dataset(tmp_path, nights=3, records=300, last_night=LAST)
    path = made.manifests[-1]
    m = json.loads(path.read_text(encoding="utf-8"))
    m["checks"]["failed"] = {"field coverage": "timestamp in 40% of 100 records < 90% (CAIJI_MIN_TIMESTAMP_COVERAGE)"}
    m["outcome"] = {"exit_code": 1, "failure": "checks failed: field coverage"}
    path.write_text(json.dumps(m), encoding="utf-8")
    report = read_dataset(tmp_path, nights=3)
    assert report.failed_sites == ["tftnews"]
    doc = page(render_report(report))
    banner = doc.xpath("//div[contains(@class, 'banner failed')]")[0].text_content()
    assert "Last night FAILED" in banner and "checks failed: field coverage" in banner
    assert "timestamp in 40%" in doc.text_content()
    # An older failure does not make the banner red once a later night went well.
    make_dataset(tmp_path, nights=1, records=100, last_night=LAST + timedelta(days=1), seed=2)
    assert not read_dataset(tmp_path, nights=5).failed_sites


def test_the_newest_articles_are_the_newest_by_timestamp_then_fetch_time():
    newest = NewestArticles(3)
    for n, stamp in enumerate(["2026-11-01T08:00:00+08:00", None, "2026-11-03T00:30:00+08:00", "2026-11-02T23:00:00Z", None]):
        newest.add(
            {"title": f"t{n}", "timestamp": stamp, "url": f"https://x.cn/{n}", "crawled_at": f"2026-11-0{n + 5}T00:00:00Z"}
        )
    # 11-02 23:00Z is later than 11-03 00:30+08:00 (11-02 16:30Z); records without a time come last.
    assert [e["title"] for e in newest.entries()] == ["t3", "t2", "t0"]


def test_charts_draw_chinese_in_a_cjk_font(tmp_path):
    font = find_cjk_font()
    assert font is not None, "no CJK font: `make chromium` installs fonts-noto-cjk"
    make_dataset(tmp_path, nights=4, records=200, workers=2, last_night=LAST)
    site = read_dataset(tmp_path).sites["tftnews"]
    charts = Charts(font)
    with warnings.catch_warnings():
        # matplotlib warns "Glyph … missing from font(s)" for every character it cannot draw.
        warnings.simplefilter("error")
        svgs = [charts.articles(site), charts.coverage(site), charts.rejects(site), charts.speed(site), charts.workers(site)]
    for svg in svgs:
        assert svg.startswith("<svg") and "<text" not in svg  # text drawn as outlines: no font needed to view
        assert "NotoSansCJK" in svg or font.family.replace(" ", "") in svg


def test_the_page_is_self_contained(tmp_path):
    make_dataset(tmp_path, nights=3, records=300, last_night=LAST)
    text = render_report(read_dataset(tmp_path), find_cjk_font())
    doc = page(text)
    assert not doc.xpath("//script | //link | //img | //iframe | //object")
    assert "@import" not in text and "url(http" not in text
    assert "@font-face" in text and "data:font/" in text  # the CJK glyphs the page uses, inside it


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["missing", "empty", "a file", "another kind"])
def test_nothing_to_report_exits_1_with_one_line(tmp_path, kind):
    target = tmp_path / "data"
    if kind == "empty":
        target.mkdir()
    elif kind == "a file":
        target.write_text("not a dir")
    elif kind == "another kind":
        (target / "src" / "2026").mkdir(parents=True)
        (target / "README.md").write_text("# a project")
        (target / "src" / "main.py").write_text("print(1)")
    done = report_command(str(target), "-o", str(tmp_path / "r.html"))
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("caiji: nothing to report: "), done.stderr
    assert not (tmp_path / "r.html").exists()


def test_usage_errors_exit_2_and_an_unknown_site_exits_1(tmp_path):
    make_dataset(tmp_path, nights=2, records=100, last_night=LAST)
    assert report_command(str(tmp_path), "--nights", "0").returncode == 2
    unknown = report_command(str(tmp_path), "--site", "sina", "-o", str(tmp_path / "r.html"))
    assert unknown.returncode == 1 and "sites: tftnews" in unknown.stderr


def test_a_damaged_manifest_is_said_and_its_run_counted_from_its_files(tmp_path):
    made = make_dataset(tmp_path, nights=2, records=60, last_night=LAST, data_files=True)
    path = made.manifests[-1]
    written = json.loads(path.read_text(encoding="utf-8"))["counts"]["written"]
    path.write_text(path.read_text(encoding="utf-8")[:200], encoding="utf-8")  # cut short
    report = read_dataset(tmp_path)
    assert any(path.name in p and "could not be read" in p for p in report.problems)
    run = report.sites["tftnews"].last_night.runs[0]
    assert run.source == "files" and run.written == written
    assert run.fields["title"] == written and run.newest
    doc = page(render_report(report))
    assert path.name in doc.xpath("//div[@class='problems']")[0].text_content()


def test_a_manifest_with_wrong_values_is_said_not_fatal(tmp_path):
    made = make_dataset(tmp_path, nights=2, records=60, last_night=LAST)
    m = json.loads(made.manifests[0].read_text(encoding="utf-8"))
    m["counts"]["written"] = "many"
    made.manifests[0].write_text(json.dumps(m), encoding="utf-8")
    m = json.loads(made.manifests[1].read_text(encoding="utf-8"))
    m.update(worker_id=5, finish_reason={"odd": 1}, checks={"passed": [1, "error rate"], "failed": {}}, outcome=None)
    made.manifests[1].write_text(json.dumps(m), encoding="utf-8")
    report = read_dataset(tmp_path)
    assert any("is not a number" in p for p in report.problems)
    last = report.sites["tftnews"].last_night.runs[0]
    assert last.worker_id == "5" and last.verdict == 'finish reason: {"odd": 1}'
    assert "finish reason: {&quot;odd&quot;: 1}" in render_report(report)


def test_a_killed_run_without_manifest_and_a_cut_rejects_file(tmp_path):
    make_dataset(tmp_path, nights=1, records=30, last_night=LAST)
    night = tmp_path / "tftnews" / LAST.isoformat()
    run_id = f"{LAST:%Y%m%d}T030000Z-abcdef"
    records = [
        {"title": f"标题{i}", "url": f"https://x.cn/{i}", "timestamp": None, "crawled_at": "2026-11-30T03:00:0Z"}
        for i in range(5)
    ]
    part = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    (night / f".part-{run_id}-0001.jsonl").write_text(part + '{"title": "cut', encoding="utf-8")
    (night / f".run-{run_id}.json").write_text('{"settings": {}}', encoding="utf-8")
    rejects = json.dumps({"url": "https://x.cn/bad", "reason": "http 404: Not Found", "stage": "fetch", "record": None})
    (night / f"rejects-{run_id}.jsonl").write_text(rejects + "\n" + rejects[:25], encoding="utf-8")
    report = read_dataset(tmp_path)
    killed = next(r for r in report.sites["tftnews"].last_night.runs if r.run_id == run_id)
    assert killed.written == 5 and killed.rejected == {"http 404": 1}
    assert killed.verdict == "no manifest: killed, or still running"
    said = "\n".join(report.problems)
    assert f"run {run_id} has no manifest yet" in said
    assert f"rejects-{run_id}.jsonl: line 2 is cut short" in said
    assert f".part-{run_id}-0001.jsonl: line 6 is not a whole record" in said
    assert report.failed_sites == ["tftnews"]
    render_report(report)


def test_a_killed_runs_manifest_gets_its_coverage_from_its_files(tmp_path):
    made = make_dataset(tmp_path, nights=1, records=40, last_night=LAST, data_files=True)
    m = json.loads(made.manifests[0].read_text(encoding="utf-8"))
    for key in ("fields", "newest", "outcome", "checks"):
        del m[key]
    m.update(finish_reason="killed", finished_at=None)
    m["counts"] = {"written": m["counts"]["written"], "rejected": {}, "duplicates": None}
    made.manifests[0].write_text(json.dumps(m), encoding="utf-8")
    run = read_dataset(tmp_path).sites["tftnews"].runs[0]
    assert run.fields["title"] == run.written == 40 and run.fields["captions"] == sum(1 for i in range(40) if i % 6 == 3)
    assert run.verdict == "finish reason: killed" and run.duration is None


def test_the_data_files_are_not_read_when_the_manifests_answer(tmp_path):
    made = make_dataset(tmp_path, nights=2, records=100, last_night=LAST, data_files=True)
    for path in tmp_path.glob("*/*/articles-*.jsonl"):
        path.write_bytes(b"\x00 not json")
    report = read_dataset(tmp_path)
    assert report.problems == [] and len(made.manifests) == 2


def test_an_old_dataset_is_said_to_be_old(tmp_path):
    make_dataset(tmp_path, nights=2, records=60, last_night=LAST - timedelta(days=10))
    # Counted from the day the test runs, which is not LAST's when the run passes midnight.
    age = (datetime.now(UTC).date() - (LAST - timedelta(days=10))).days
    assert read_dataset(tmp_path).problems[0].startswith(f"the newest run is {age} days old")


def test_a_dataset_without_timestamps_still_reports(tmp_path):
    make_dataset(tmp_path, nights=3, records=90, last_night=LAST, timestamps=False)
    report = read_dataset(tmp_path)
    assert report.sites["tftnews"].last_night.coverage("timestamp") == 0
    text = render_report(report)
    assert "no article has a timestamp: ordered by fetch time" in text


def test_a_failed_write_leaves_the_last_good_report(tmp_path, monkeypatch):
    make_dataset(tmp_path, nights=2, records=60, last_night=LAST)
    report = read_dataset(tmp_path)
    target = tmp_path / "report.html"
    target.write_text("the last good report", encoding="utf-8")

    def full_disk(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("crawler.checks.report_page.os.fsync", full_disk)
    with pytest.raises(OSError):
        write_report(report, target)
    assert target.read_text(encoding="utf-8") == "the last good report"
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["report.html"]


def test_read_dataset_of_one_sites_folder(tmp_path):
    make_dataset(tmp_path, nights=2, records=60, sites=("tftnews", "sina"), last_night=LAST)
    report = read_dataset(tmp_path / "sina")
    assert list(report.sites) == ["sina"]
    with pytest.raises(NothingToReport):
        read_dataset(tmp_path, site="nosuch")


# --- the command and the crawl -------------------------------------------------------------------


def test_report_command_writes_the_page_and_prints_its_path(tmp_path):
    make_dataset(tmp_path / "data", nights=7, records=700, sites=("tftnews", "sina"), last_night=LAST)
    done = report_command(str(tmp_path / "data"), "--site", "tftnews", "--nights", "3")
    out = tmp_path / "data" / "report.html"
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"Report: {out} (last night went well)\n"
    doc = page(out.read_text(encoding="utf-8"))
    assert [h.text_content() for h in doc.xpath("//h2")] == ["tftnews"]
    assert len(doc.xpath("//h3[starts-with(., '每晚')]/following-sibling::table[1]//tr[td]")) == 3


def test_a_crawl_with_caiji_report_writes_it_beside_the_manifest(tmp_path, portal, crawl):
    data = tmp_path / "data"
    first = crawl("tftnews", portal.url, data, "CAIJI_REPORT=1")
    second = crawl("tftnews", portal.url, data, "CAIJI_REPORT=1", "CAIJI_REFRESH_DAYS=100000")
    assert first.code == 0 and second.code == 0, second.stderr
    manifests = second.manifests()
    folder = data / "tftnews" / manifests[-1]["started_at"][:10]
    report_path = folder / "report.html"
    assert f"report     {report_path}" in second.stderr
    assert "Disabled" not in first.stderr  # the extension says nothing when it is off (checked below)
    # The manifest now carries what the report needs without the data files.
    records = first.records()
    m = manifests[0]
    assert m["fields"]["title"] == m["counts"]["written"] == len(records)
    assert m["fields"]["captions"] == sum(1 for r in records if any(i["caption"] for i in r["images"]))
    assert m["fields"]["timestamp"] == sum(1 for r in records if r["timestamp"])
    assert len(m["newest"]) == 20 and m["outcome"] == {"exit_code": 0, "failure": None}
    report = read_dataset(data)
    night = report.sites["tftnews"].last_night
    assert night.total("written") == sum(x["counts"]["written"] for x in manifests)
    assert night.total("unchanged") == sum(x["counts"]["unchanged"] for x in manifests) > 0
    assert night.rejected == sum(sum(x["counts"]["rejected"].values()) for x in manifests)
    assert not report.failed_sites
    doc = page(report_path.read_text(encoding="utf-8"))
    assert len(doc.xpath("//div[@class='chart']/*[local-name()='svg']")) == 4
    assert [a.text_content() for a in doc.xpath("//h3[starts-with(., '最新文章')]/following-sibling::table[1]//a")][:5] == [
        e["title"] for e in m["newest"][:5]
    ]
    quiet = crawl("tftnews", portal.url, tmp_path / "other", "CAIJI_MAX_ERROR_RATE=1")
    assert "ReportAtEnd" not in quiet.stderr and not list((tmp_path / "other").rglob("report.html"))
