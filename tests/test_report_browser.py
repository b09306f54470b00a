"""The report in a real headless Chromium (Debian ``chromium``), opened from disk with the network off."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime

from crawler.checks.report import read_dataset
from crawler.checks.report_page import write_report
from tests.conftest import PROJECT

sys.path.insert(0, str(PROJECT / "bench"))
from nights import make_dataset
from screenshot import chromium_path, open_report  # fixtures/, on the path through conftest


def test_the_report_renders_its_charts_and_chinese_offline(tmp_path):
    assert chromium_path(), "no Chromium: `make chromium` installs it (Debian packages chromium, fonts-noto-cjk)"
    data = tmp_path / "data"
    made = make_dataset(data, nights=14, records=2800, sites=("sina", "tftnews"), workers=2, last_night=datetime.now(UTC).date())
    # One site's last night failed its checks: the red banner must show.
    last = made.manifests[-1]
    m = json.loads(last.read_text(encoding="utf-8"))
    m["outcome"] = {"exit_code": 1, "failure": "checks failed: field coverage"}
    last.write_text(json.dumps(m, ensure_ascii=False), encoding="utf-8")
    page = write_report(read_dataset(data), tmp_path / "report.html")
    screenshot = tmp_path / "report.png"

    check = open_report(page, screenshot)

    assert check.console_errors == []
    assert check.network_requests == []
    assert check.charts == 10  # per site: articles, coverage, rejects, speed, per worker
    assert all(width > 500 and height > 100 for width, height in check.chart_sizes), check.chart_sizes
    assert check.chart_paths > 500  # bars, lines and the glyphs of every label
    assert check.cjk_font_loaded  # the page's own CJK subset, used for its Chinese text
    assert check.title.startswith("caiji 采集报告")
    assert check.headings[:3] == ["caiji 采集报告 Crawl report", "sina", "tftnews"]
    assert check.ok
    png = screenshot.read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 50_000
