"""``scrapy extract`` on any file: a record (exit 0) or a one-line reason (exit 1), never a traceback."""

import codecs
import json
import random
import subprocess

import pytest

from tests.conftest import PROJECT, scrapy_command

SEED = (PROJECT / "fixtures" / "portal" / "tftnews" / "news" / "1000.html").read_bytes()


def hostile_files() -> dict[str, tuple[bytes, int, str]]:
    """name → (bytes, expected exit code, a word the output must hold)."""
    rng = random.Random(7)
    return {
        "empty": (b"", 1, "empty page"),
        "random_bytes": (bytes(rng.randrange(256) for _ in range(20000)), 1, "no article"),
        "truncated": (SEED[: len(SEED) // 2], 0, "深化民族团结进步创建工作"),
        "twenty_mb": (SEED + b"<!--" + b"x" * (20 * 1024 * 1024) + b"-->", 1, "page too large"),
        "deeply_nested": (
            b"<html><body>" + b"<div>" * 50000 + "正文".encode() * 100 + b"</div>" * 50000 + b"</body></html>",
            1,
            "no article",
        ),
        "script_only": (
            b"<html><head><script>" + b"var a=1;" * 10000 + b"</script></head><body><script>x()</script></body></html>",
            1,
            "no article",
        ),
        "binary_png": (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 100, 1, "not html: a PNG image"),
        "utf16": (codecs.BOM_UTF16_LE + SEED.decode("utf-8").encode("utf-16-le"), 0, "深化民族团结进步创建工作"),
        "nul_laden": (SEED.replace(b"<p>", b"<p>\x00\x00"), 0, "深化民族团结进步创建工作"),
        "entity_soup": (
            b"<html><head><title>&#x4E2D;&#22269;&amp;&lt;</title></head><body><h1>&#x4E2D;&#x56FD;&#x65B0;&#x95FB;</h1><div>"
            + b"<p>&#x6B63;&#25991;&nbsp;&amp;&#xFFFF;&#0;&#x110000;&bogus;&#x5185;&#x5BB9;&#x3002;</p>" * 300
            + b"</div></body></html>",
            0,
            "正文",
        ),
        "huge_line": (
            b"<html><head><title>t</title></head><body><p>" + "很长的一行没有标签".encode() * 400000 + b"</p></body></html>",
            0,
            "很长的一行",
        ),
    }


@pytest.mark.parametrize("name", sorted(hostile_files()))
def test_extract_answers_every_file(name, tmp_path):
    body, code, word = hostile_files()[name]
    path = tmp_path / f"{name}.html"
    path.write_bytes(body)
    done = subprocess.run(scrapy_command("extract", str(path)), cwd=PROJECT, capture_output=True, timeout=120)
    stdout, stderr = done.stdout.decode(), done.stderr.decode()
    assert "Traceback" not in stderr
    assert done.returncode == code, stderr
    if code == 0:
        record = json.loads(stdout)
        assert word in json.dumps(record, ensure_ascii=False)
        assert "\x00" not in json.dumps(record, ensure_ascii=False)
    else:
        assert stdout == ""
        assert len(stderr.strip().splitlines()) == 1 and word in stderr


def test_extract_usage_errors(tmp_path):
    missing = subprocess.run(scrapy_command("extract", str(tmp_path / "nope.html")), cwd=PROJECT, capture_output=True, text=True)
    assert missing.returncode == 1 and "cannot read" in missing.stderr
    bad_site = subprocess.run(
        scrapy_command("extract", str(tmp_path / "nope.html"), "--site", "nosuch"), cwd=PROJECT, capture_output=True, text=True
    )
    assert bad_site.returncode == 2 and "no site rules named" in bad_site.stderr


@pytest.mark.parametrize(
    ("case", "zone", "expected"),
    [
        # A .cn host with no site rules: its naive times are read in CAIJI_DEFAULT_TIMEZONE.
        ("sina_style", "Asia/Shanghai", "2025-03-27T14:20:00+08:00"),
        ("sina_style", "Europe/Berlin", "2025-03-27T14:20:00+01:00"),
        # A .tw host: its country's zone, whatever the default.
        ("traditional_big5", "Europe/Berlin", "2025-03-29T18:05:00+08:00"),
    ],
)
def test_default_timezone_is_the_zone_of_hosts_without_one(case, zone, expected):
    page = PROJECT / "fixtures" / "pages" / "generic" / f"{case}.html"
    url = json.loads(page.with_suffix(".json").read_text(encoding="utf-8"))["url"]
    command = scrapy_command("extract", str(page), "--url", url, "-s", f"CAIJI_DEFAULT_TIMEZONE={zone}")
    done = subprocess.run(command, cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["timestamp"] == expected


def test_unknown_default_timezone_is_a_usage_error():
    page = PROJECT / "fixtures" / "pages" / "generic" / "sina_style.html"
    done = subprocess.run(
        scrapy_command("extract", str(page), "-s", "CAIJI_DEFAULT_TIMEZONE=Mars/Olympus"),
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "CAIJI_DEFAULT_TIMEZONE" in done.stderr and "Traceback" not in done.stderr
