"""docs/adding-a-portal.md, followed step by step on a copy of the project and a portal it does not know.

The portal is fixtures/walkthrough (南湖晚报, GB2312), served on loopback. The copy keeps the
generated modules and fixtures out of the working tree.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from serve import PortalServer

PROJECT = Path(__file__).resolve().parent.parent
WALKTHROUGH = PROJECT / "fixtures" / "walkthrough"
ARTICLE = "2025-06/18/content_1203456.html"


@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> Path:
    """The project's code, tests and fixture pages, in a folder of their own."""
    root = tmp_path_factory.mktemp("project")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("crawler", "pipelines", "schema", "tests"):
        shutil.copytree(PROJECT / name, root / name, ignore=ignore)
    for name in ("scrapy.cfg", "pyproject.toml"):
        shutil.copy(PROJECT / name, root / name)
    (root / "fixtures").mkdir()
    shutil.copytree(PROJECT / "fixtures" / "pages", root / "fixtures" / "pages")
    for script in (PROJECT / "fixtures").glob("*.py"):
        shutil.copy(script, root / "fixtures" / script.name)
    return root


@pytest.fixture(scope="module")
def server():
    with PortalServer(WALKTHROUGH) as running:
        yield running


def run(copy: Path, *command: str) -> subprocess.CompletedProcess:
    """A command in the copy, with the copy's packages ahead of the installed project."""
    env = {**os.environ, "PYTHONPATH": str(copy), "PYTHONUNBUFFERED": "1"}
    return subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True, timeout=300)


def scrapy(copy: Path, *args: str) -> subprocess.CompletedProcess:
    return run(copy, str(Path(sys.executable).with_name("scrapy")), *args)


def edit(path: Path, replacements: dict[str, str]) -> None:
    """Change lines of a generated file as the walk-through says; each must be there."""
    text = path.read_text(encoding="utf-8")
    for old, new in replacements.items():
        assert old in text, f"{path.name} has no line {old!r} to edit"
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")


def lint(copy: Path, *paths: Path) -> None:
    for command in (["check"], ["format", "--check"]):
        done = run(copy, sys.executable, "-m", "ruff", *command, *map(str, paths))
        assert done.returncode == 0, done.stdout + done.stderr


def test_the_walk_through(copy, server, tmp_path):
    # 1. Generate the spider and the rules.
    done = scrapy(copy, "genspider", "-t", "portal", "nanhu", "https://www.nanhu-wb.example.cn/")
    assert done.returncode == 0, done.stderr
    assert "Created spider 'nanhu' using template 'portal'" in done.stdout
    assert "Created site rules 'nanhu'" in done.stdout
    spider, rules = copy / "crawler" / "spiders" / "nanhu.py", copy / "crawler" / "rules" / "nanhu.py"
    lint(copy, spider, rules)
    assert scrapy(copy, "list").stdout.split() == ["generic", "jsnews", "nanhu", "tftnews"]

    # 2. Tell the spider where the articles are.
    edit(
        spider,
        {
            'list_links_css = "a::attr(href)"': 'list_links_css = ".top-nav a::attr(href)"',
            'article_links_css = "a::attr(href)"': 'article_links_css = ".news a::attr(href)"',
            "related_links_css = None": 'related_links_css = ".xg a::attr(href)"',
        },
    )
    text = spider.read_text(encoding="utf-8")
    for name, pattern in (("list_path", r"^/node_\d+\.html$"), ("article_path", r"^/\d{4}-\d{2}/\d{2}/content_\d+\.html$")):
        text, count = re.subn(rf"(?m)^    {name} = .*$", lambda _, n=name, p=pattern: f'    {n} = re.compile(r"{p}")', text)
        assert count == 1, name
    spider.write_text(text, encoding="utf-8")
    lint(copy, spider)

    # 3. Save a page as a fixture, review its record, name what is sure in the rules.
    done = scrapy(copy, "savefixture", server.url + ARTICLE, "--site", "nanhu", "--case", "local_news")
    assert done.returncode == 0, done.stderr
    saved = copy / "fixtures" / "pages" / "nanhu" / "local_news.html"
    assert saved.read_bytes() == (WALKTHROUGH / ARTICLE).read_bytes()
    assert "Review the JSON by hand" in done.stdout
    record = json.loads(saved.with_suffix(".json").read_text(encoding="utf-8"))
    assert record["url"] == server.url + ARTICLE
    assert record["site"] == "nanhu"
    assert record["title"] == "南湖区老旧小区改造今年惠及一万二千户"
    assert record["timestamp"] == "2025-06-18T09:42:07+08:00"
    assert record["author"] == "记者 王晓"
    assert record["source"] == "南湖晚报"
    assert record["breadcrumbs"] == ["首页", "本地新闻"]
    assert record["body"].startswith("记者从南湖区住建局获悉") and record["body"].endswith("预计于今年十一月底前完工。")
    assert "摄" not in record["body"]
    assert record["images"] == [
        {
            "url": server.url + "images/2025-06/18/gz_01.jpg",
            "alt": "改造中的小区",
            "caption": "正在加装电梯的桂花苑小区。记者 王晓 摄",
        }
    ]
    assert [link["title"] for link in record["related_links"]] == ["南湖湿地公园夏季开放时间调整"]
    edit(
        rules,
        {"title_suffixes = ()": 'title_suffixes = ("_南湖晚报",)', "breadcrumbs_css = None": 'breadcrumbs_css = ".crumbs a"'},
    )
    lint(copy, rules)

    # 4. Run the fixture tests: the new case is a test of its own, and it passes.
    done = run(copy, sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", "tests/test_fixture_pages.py")
    assert done.returncode == 0, done.stdout[-3000:]
    assert re.search(r"test_page_gives_expected_record\[nanhu/local_news\] PASSED", done.stdout), done.stdout[-3000:]
    assert "test_there_are_cases_for_every_site_rules_module PASSED" in done.stdout

    # 5. Crawl it.
    data = tmp_path / "data"
    done = scrapy(copy, "crawl", "nanhu", "-a", f"start_url={server.url}", "-s", f"CAIJI_DATA_DIR={data}")
    assert done.returncode == 0, done.stderr[-3000:]
    records = [json.loads(line) for path in data.glob("nanhu/*/articles-*.jsonl") for line in path.read_text().splitlines()]
    assert sorted(r["title"] for r in records) == ["南湖区老旧小区改造今年惠及一万二千户", "南湖湿地公园夏季开放时间调整"]
    assert {r["site"] for r in records} == {"nanhu"}


def test_savefixture_on_a_saved_file_a_list_page_and_bad_arguments(copy, server):
    page = WALKTHROUGH / ARTICLE
    url = "https://www.nanhu-wb.example.cn/" + ARTICLE
    done = scrapy(copy, "savefixture", str(page), "--url", url, "--site", "generic", "--case", "walkthrough_file")
    assert done.returncode == 0, done.stderr
    record = json.loads((copy / "fixtures" / "pages" / "generic" / "walkthrough_file.json").read_text(encoding="utf-8"))
    assert record["url"] == url and record["title"] == "南湖区老旧小区改造今年惠及一万二千户"
    # An existing case is kept unless --force.
    done = scrapy(copy, "savefixture", str(page), "--url", url, "--site", "generic", "--case", "walkthrough_file")
    assert done.returncode == 1 and "already exists (--force to overwrite)" in done.stderr
    # A list page is saved as a no-article case.
    done = scrapy(copy, "savefixture", server.url + "node_12.html", "--site", "generic", "--case", "walkthrough_list")
    assert done.returncode == 0, done.stderr
    assert "no article" in done.stdout
    saved = json.loads((copy / "fixtures" / "pages" / "generic" / "walkthrough_list.json").read_text(encoding="utf-8"))
    assert saved == {"no_article": True, "url": server.url + "node_12.html", "reason": saved["reason"]} and saved["reason"]
    # A page that cannot be fetched is one line and exit 1; unknown rules or a bad case name are usage errors.
    done = scrapy(copy, "savefixture", server.url + "missing.html", "--site", "generic", "--case", "missing")
    assert (
        done.returncode == 1 and done.stderr.strip().splitlines()[-1].startswith("could not fetch") and "http 404" in done.stderr
    )
    assert scrapy(copy, "savefixture", str(page), "--site", "nosuchsite", "--case", "x").returncode == 2
    assert scrapy(copy, "savefixture", str(page), "--site", "generic", "--case", "../escape").returncode == 2
    assert not (copy / "fixtures" / "pages" / "generic" / "missing.html").exists()
