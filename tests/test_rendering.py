"""Pages built with JavaScript: real crawls of the jsnews portal through a real headless Chromium.

The portal (fixtures/portal/jsnews, built by fixtures/build_jsportal.py) is served by the same
loopback server as the plain demo; its pages are script shells that fetch their article or list
from a JSON API, or carry it in ``__NEXT_DATA__``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from jsonschema import Draft202012Validator

from crawler.extraction.items import FIELDS, content_hash
from schema import article_schema
from tests.conftest import PROJECT, run_crawl, scrapy_command

sys.path.insert(0, str(PROJECT / "fixtures"))

from build_jsportal import ARTICLES, OUT, article_data, page_url
from serve import PortalHandler, PortalServer

SPIDER = "jsnews"
#: Pages of test_hazards: a script that never ends, one that reaches off the site, one whose API is gone.
HANG, REACH_OUT, API_GONE = 2998, 2997, 2996


def expected_record(entry: tuple, base: str) -> dict:
    """The record an article of the portal must give, from the data the portal was built from
    (all but ``crawled_at``)."""
    data = article_data(entry)
    article_id, _, channel, time_shown, author, source, title, paragraphs, images, _ = entry
    return {
        "url": base + page_url(article_id).lstrip("/"),
        "canonical_url": None,
        "site": SPIDER,
        "title": title,
        "timestamp": time_shown.replace(" ", "T") + "+08:00",
        "timestamp_raw": time_shown,
        "author": author,
        "source": source,
        "breadcrumbs": ["首页", channel],
        "body": "\n".join(paragraphs),
        "images": [{"url": f"{base}img/{file}", "alt": alt, "caption": caption} for file, alt, caption in images],
        "related_links": [
            {"url": base + r["url"].lstrip("/"), "title": r["title"], "summary": r["summary"], "date": r["date"]}
            for r in data["related"]
        ],
        "script": {"detected": "hans", "target": "hans"},
        "content_hash": content_hash(title, "\n".join(paragraphs)),
    }


def stat(output: str, name: str) -> int:
    """A counter from the stats Scrapy logs at the end of a crawl (0 when absent)."""
    found = re.search(rf"'{re.escape(name)}': ([\d.]+)", output)
    return int(float(found.group(1))) if found else 0


def assert_each_article_once(records: list[dict], base: str, ids: list[int]) -> None:
    urls = [r["url"] for r in records]
    assert len(urls) == len(set(urls)), "an article was written twice"
    known = {a[0] for a in ARTICLES}
    assert sorted(urls) == sorted(base + (page_url(i) if i in known else f"/article/{i}.html").lstrip("/") for i in ids)


@pytest.fixture(scope="module")
def js_portal():
    """The jsnews portal on a free 127.0.0.1 port."""
    with PortalServer(OUT) as server:
        yield server


@pytest.fixture(scope="module")
def rendered_crawl(js_portal, tmp_path_factory):
    """``scrapy crawl jsnews`` from the home page, as a user runs it (CAIJI_RENDER=auto)."""
    return run_crawl(SPIDER, js_portal.url, tmp_path_factory.mktemp("data"))


def test_the_portal_is_what_its_generator_writes(tmp_path):
    from build_jsportal import build

    build(tmp_path / "jsnews")
    built = sorted(p.relative_to(tmp_path / "jsnews") for p in (tmp_path / "jsnews").rglob("*") if p.is_file())
    bundled = sorted(p.relative_to(OUT) for p in OUT.rglob("*") if p.is_file())
    assert built == bundled
    assert all((tmp_path / "jsnews" / p).read_bytes() == (OUT / p).read_bytes() for p in built)


# --- a crawl through the browser ---------------------------------------------------------------


def test_rendered_crawl_writes_every_article_once_with_every_field_right(rendered_crawl, js_portal):
    assert rendered_crawl.code == 0, rendered_crawl.stderr[-3000:]
    records = rendered_crawl.records(SPIDER)
    assert_each_article_once(records, js_portal.url, [a[0] for a in ARTICLES])
    validator = Draft202012Validator(article_schema())
    by_url = {r["url"]: r for r in records}
    for entry in ARTICLES:
        expected = expected_record(entry, js_portal.url)
        record = by_url[expected["url"]]
        assert list(record) == list(FIELDS)
        assert not list(validator.iter_errors(record))
        assert {k: v for k, v in record.items() if k != "crawled_at"} == expected
    assert rendered_crawl.rejects(SPIDER) == []


def test_only_the_script_only_pages_went_through_the_browser(rendered_crawl):
    output = rendered_crawl.stderr
    script_only = sum(1 for a in ARTICLES if a[1] == "api")
    # Three list pages and the script-only articles; the __NEXT_DATA__ articles were read as sent.
    assert stat(output, "caiji/render/rendered") == 3 + script_only
    assert stat(output, "caiji/render/reason/site rules (render=all)") == 3 + script_only
    assert stat(output, "caiji/render/blocked/image") > 0
    assert stat(output, "playwright/page_count/max_concurrent") <= 4


def test_rendering_off_reads_embedded_json_and_rejects_script_only_pages(js_portal, tmp_path):
    done = run_crawl(SPIDER, js_portal.url + "sitemap.xml", tmp_path, "CAIJI_RENDER=off")
    assert "scrapy-playwright" not in done.stderr
    records = done.records(SPIDER)
    next_data = [a for a in ARTICLES if a[1] == "next"]
    assert_each_article_once(records, js_portal.url, [a[0] for a in next_data])
    for record, entry in zip(sorted(records, key=lambda r: r["url"]), sorted(next_data), strict=True):
        assert {k: v for k, v in record.items() if k != "crawled_at"} == expected_record(entry, js_portal.url)
    rejects = {r["url"]: r["reason"] for r in done.rejects(SPIDER)}
    assert sorted(rejects) == sorted(js_portal.url + page_url(a[0]).lstrip("/") for a in ARTICLES if a[1] == "api")
    assert set(rejects.values()) == {
        "no article: no article text found; the page builds it with JavaScript (empty app root #app) "
        "and rendering is off (CAIJI_RENDER=off)"
    }


def test_rendering_off_on_a_script_list_page_is_a_recorded_rejection(js_portal, tmp_path):
    done = run_crawl(SPIDER, js_portal.url, tmp_path, "CAIJI_RENDER=off")
    assert done.code == 1  # no article reached: the minimum-articles check fails
    assert [(r["url"], r["reason"]) for r in done.rejects(SPIDER)] == [
        (
            js_portal.url,
            "no links to list or article pages; the page builds it with JavaScript (empty app root #app) "
            "and rendering is off (CAIJI_RENDER=off)",
        )
    ]


def test_generic_spider_renders_script_shells_in_auto_mode(js_portal, tmp_path):
    done = run_crawl("generic", js_portal.url, tmp_path)
    assert done.code == 0, done.stderr[-3000:]
    records = done.records("generic")
    assert_each_article_once(records, js_portal.url, [a[0] for a in ARTICLES])
    by_url = {r["url"]: r for r in records}
    for entry in ARTICLES:
        expected = expected_record(entry, js_portal.url)
        record = by_url[expected["url"]]
        assert (record["title"], record["body"], record["timestamp"]) == (
            expected["title"],
            expected["body"],
            expected["timestamp"],
        )
    script_only = sum(1 for a in ARTICLES if a[1] == "api")
    assert stat(done.stderr, "caiji/render/reason/empty app root #app") >= script_only
    assert stat(done.stderr, "caiji/render/reason/__NEXT_DATA__") == 0  # read from the blob instead


def test_plain_portal_in_auto_mode_starts_no_browser(portal, tmp_path):
    done = run_crawl("generic", portal.url, tmp_path)
    assert done.code == 0, done.stderr[-3000:]
    assert len(done.records("generic")) > 30
    assert stat(done.stderr, "caiji/render/pages") == 0
    assert "caiji/render/reason" not in done.stderr
    assert "Starting the browser" not in done.stderr and "scrapy-playwright" not in done.stderr


def test_rendering_all_sends_every_page_through_the_browser(js_portal, tmp_path):
    done = run_crawl(SPIDER, js_portal.url, tmp_path, "CAIJI_RENDER=all")
    assert done.code == 0, done.stderr[-3000:]
    assert_each_article_once(done.records(SPIDER), js_portal.url, [a[0] for a in ARTICLES])
    assert stat(done.stderr, "caiji/render/rendered") == 3 + len(ARTICLES)
    assert stat(done.stderr, "caiji/render/reason/site rules (render=all)") == 0


# --- bounded and safe --------------------------------------------------------------------------


class _Counting(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args) -> None:
        pass


@pytest.fixture(scope="module")
def intranet():
    """A server on another loopback address (127.0.0.2): an intranet host page scripts must not reach."""
    server = ThreadingHTTPServer(("127.0.0.2", 0), _Counting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.2:{server.server_address[1]}/", _Counting.hits
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def hazard_portal(tmp_path_factory, intranet):
    """The portal with three more articles in its sitemap: one whose script never ends, one whose
    script reaches for a private address and another host (directly, and through a redirect of the
    portal's own server) before building the page, one whose API answers 404."""
    intranet_url, _ = intranet

    class Redirecting(PortalHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            if self.path == "/go/intranet":
                self.send_response(302)
                self.send_header("Location", intranet_url + "redirected")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            super().do_GET()

    root = tmp_path_factory.mktemp("portal") / "jsnews"
    shutil.copytree(OUT, root)
    shell = (OUT / "article" / "2001.html").read_text(encoding="utf-8")
    (root / "article" / f"{HANG}.html").write_text(
        shell.replace("<title>", "<script>while (true) {}</script><title>"), encoding="utf-8"
    )
    reach_out = """<script>
Promise.allSettled([
  fetch('http://10.255.255.1/internal'),
  fetch('http://tracker.example.com/t.gif'),
  fetch('http://127.0.0.1:9/closed'),
  fetch('INTRANET' + 'direct'),
  fetch('/go/intranet'),
]).then(function () {
  document.getElementById('app').innerHTML = '<h1 class="article-title">脚本请求外部地址的页面</h1>' +
    '<div class="article-meta"><span class="article-time">2025-06-12 10:00:00</span></div>' +
    '<div class="article-content"><p>这一页的脚本向站外和内网地址发请求，浏览器拦下这些请求，正文照常保存。</p></div>';
});
</script>"""
    (root / "article" / f"{REACH_OUT}.html").write_text(
        shell.replace('<script src="/static/app.js"></script>', reach_out.replace("INTRANET", intranet_url)), encoding="utf-8"
    )
    (root / "article" / f"{API_GONE}.html").write_text(shell, encoding="utf-8")
    sitemap = (root / "sitemap.xml").read_text(encoding="utf-8")
    extra = "".join(
        f"  <url><loc>https://www.jsnews.example.cn/article/{i}.html</loc></url>\n" for i in (HANG, REACH_OUT, API_GONE)
    )
    (root / "sitemap.xml").write_text(sitemap.replace("</urlset>", extra + "</urlset>"), encoding="utf-8")
    server = PortalServer(root)
    server.httpd.RequestHandlerClass = Redirecting
    with server:
        yield server


def test_hanging_and_reaching_scripts_are_cut_off_and_recorded(hazard_portal, intranet, tmp_path):
    base = hazard_portal.url
    done = run_crawl(SPIDER, base + "sitemap.xml", tmp_path, "CAIJI_RENDER_TIMEOUT=4")
    assert done.code == 0, done.stderr[-3000:]
    records = done.records(SPIDER)
    assert_each_article_once(records, base, [a[0] for a in ARTICLES] + [REACH_OUT])
    reached = next(r for r in records if r["url"].endswith(f"/{REACH_OUT}.html"))
    assert reached["body"] == "这一页的脚本向站外和内网地址发请求，浏览器拦下这些请求，正文照常保存。"
    rejects = sorted((r["url"].removeprefix(base), r["reason"], r["stage"]) for r in done.rejects(SPIDER))
    assert rejects[0] == (
        f"article/{API_GONE}.html",
        "no article: no article text found (after rendering in the browser)",
        "extract",
    )
    assert rejects[1] == (
        f"article/{REACH_OUT}.html",
        "ignored: not followed: script request to off-site host tracker.example.com",
        "render",
    )
    assert rejects[2] == (
        f"article/{REACH_OUT}.html",
        "ignored: not followed: script request to private address 10.255.255.1",
        "render",
    )
    assert rejects[3] == (
        f"article/{REACH_OUT}.html",
        "ignored: not followed: script request to private address 127.0.0.2",
        "render",
    )
    assert rejects[4][0] == f"article/{HANG}.html"
    assert rejects[4][1].startswith("render failed: timed out after 4 s (CAIJI_RENDER_TIMEOUT)")
    assert rejects[4][2] == "render"
    assert len(rejects) == 5
    assert stat(done.stderr, "caiji/render/blocked/out_of_scope") == 3
    # The redirect was followed by the browser without asking the route: its proxy fence stopped it.
    assert intranet[1] == []


def test_page_budget_rejects_the_rest_and_the_next_run_takes_them(js_portal, tmp_path):
    first = run_crawl(SPIDER, js_portal.url + "sitemap.xml", tmp_path, "CAIJI_RENDER_MAX_PAGES=3")
    rejects = first.rejects(SPIDER)
    script_only = [a[0] for a in ARTICLES if a[1] == "api"]
    assert len(first.records(SPIDER)) == len(ARTICLES) - len(script_only) + 3
    assert len(rejects) == len(script_only) - 3
    assert {r["reason"] for r in rejects} == {
        "render failed: the crawl's budget of 3 rendered pages is spent (CAIJI_RENDER_MAX_PAGES)"
    }
    second = run_crawl(SPIDER, js_portal.url + "sitemap.xml", tmp_path)
    assert second.code == 0, second.stderr[-3000:]
    # Nothing lost, nothing twice: the second night fetched what the budget left out.
    assert_each_article_once(second.records(SPIDER), js_portal.url, [a[0] for a in ARTICLES])


def test_without_a_browser_pages_are_rejected_with_the_reason(js_portal, tmp_path):
    done = run_crawl(SPIDER, js_portal.url, tmp_path, f"CAIJI_BROWSER_PATH={tmp_path / 'no-such-browser'}")
    assert done.code == 1
    assert [r["reason"] for r in done.rejects(SPIDER)] == [
        "render failed: no browser: install Chromium (Debian: apt-get install chromium) or set CAIJI_BROWSER_PATH"
    ]
    # Spidermon prints the failed check's assertion; nothing of the rendering raised.
    assert "crawler/render/" not in done.stderr and "scrapy-playwright" not in done.stderr


@pytest.mark.parametrize("setting", ["CAIJI_RENDER=sometimes", "CAIJI_RENDER_TIMEOUT=0", "CAIJI_RENDER_CONCURRENCY=x"])
def test_bad_render_setting_is_a_usage_error(js_portal, tmp_path, setting):
    done = run_crawl(SPIDER, js_portal.url, tmp_path, setting)
    assert done.code == 2
    assert setting.split("=")[0] in done.stderr


# --- processes: a killed crawl, a crashed browser ----------------------------------------------


def descendants(pid: int) -> set[int]:
    """Every process below ``pid``, from /proc."""
    children: dict[int, list[int]] = {}
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat_file.parent.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def alive(pids: set[int]) -> set[int]:
    living = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            living.add(pid)
    return living


@pytest.fixture(scope="module")
def slow_js_portal():
    """The portal answering each request after 0.15 s, so that a rendered crawl lasts a while."""
    with PortalServer(OUT, delay=0.15) as server:
        yield server


def start_crawl(url: str, data_dir: Path, *settings: str) -> subprocess.Popen:
    command = scrapy_command("crawl", SPIDER, "-a", f"start_url={url}", "-s", f"CAIJI_DATA_DIR={data_dir}")
    for setting in settings:
        command += ["-s", setting]
    log = open(data_dir / "crawl.log", "ab")  # noqa: SIM115 - the child writes it; closed with the test's tmp dir
    return subprocess.Popen(
        command, cwd=PROJECT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"}
    )


def wait_for(condition, process: subprocess.Popen, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if process.poll() is not None:
            raise AssertionError(f"the crawl ended before {what}")
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def browsers_of(process: subprocess.Popen) -> set[int]:
    return {pid for pid in descendants(process.pid) if "chrom" in command_line(pid).split(" ")[0]}


def test_killed_rendered_crawl_then_rerun_gives_each_article_once(slow_js_portal, tmp_path):
    process = start_crawl(slow_js_portal.url, tmp_path, "CONCURRENT_REQUESTS_PER_DOMAIN=2")
    try:
        wait_for(lambda: bool(browsers_of(process)), process, "the browser started")

        def written() -> bool:
            parts = list(tmp_path.glob(f"{SPIDER}/*/.part-*.jsonl"))
            return bool(parts) and b"\n" in parts[0].read_bytes()

        wait_for(written, process, "a record was written")
        family = descendants(process.pid)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.wait(timeout=10)
    # Playwright's driver sees its parent go and takes the browser with it: nothing is left running.
    deadline = time.monotonic() + 20
    while alive(family) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive(family), [command_line(p)[:120] for p in alive(family)]
    rerun = run_crawl(SPIDER, slow_js_portal.url, tmp_path)
    assert rerun.code == 0, rerun.stderr[-3000:]
    records = rerun.records(SPIDER)
    assert_each_article_once(records, slow_js_portal.url, [a[0] for a in ARTICLES])
    assert not list(tmp_path.glob(f"{SPIDER}/*/.part-*")), "a temporary file was left"


def test_a_crashed_browser_is_restarted_and_no_article_is_lost(slow_js_portal, tmp_path):
    process = start_crawl(slow_js_portal.url, tmp_path, "CAIJI_INCREMENTAL=0")
    try:
        wait_for(lambda: stat_in_log(tmp_path, "Browser chromium launched"), process, "the browser started")
        # The browser's main process: the one whose parent is not a browser process.
        browsers = browsers_of(process)
        main = [pid for pid in browsers if not any(pid in descendants(other) for other in browsers if other != pid)]
        assert main, "no browser process found"
        for pid in main:
            os.kill(pid, signal.SIGKILL)
        code = process.wait(timeout=180)
    finally:
        process.kill()
        process.wait(timeout=10)
    log = (tmp_path / "crawl.log").read_text(encoding="utf-8", errors="replace")
    assert code == 0, log[-3000:]
    assert log.count("Browser chromium launched") >= 2
    records = [
        json.loads(line) for p in sorted(tmp_path.glob(f"{SPIDER}/*/articles-*.jsonl")) for line in p.read_text().splitlines()
    ]
    rejects = [
        json.loads(line) for p in sorted(tmp_path.glob(f"{SPIDER}/*/rejects-*.jsonl")) for line in p.read_text().splitlines()
    ]
    assert rejects == []
    assert_each_article_once(records, slow_js_portal.url, [a[0] for a in ARTICLES])


def stat_in_log(data_dir: Path, text: str) -> bool:
    log = data_dir / "crawl.log"
    return log.exists() and text in log.read_text(encoding="utf-8", errors="replace")


# --- nothing of Playwright unless a page is rendered -------------------------------------------


def test_nothing_imports_playwright_unless_a_page_is_rendered():
    code = (
        "import sys\n"
        "from scrapy.utils.project import get_project_settings\n"
        "from scrapy.crawler import Crawler\n"
        "from crawler.spiders.jsnews import JsnewsSpider\n"
        "for mode in ('auto', 'off'):\n"
        "    s = get_project_settings()\n"
        "    s.set('CAIJI_RENDER', mode, 'cmdline')\n"
        "    c = Crawler(JsnewsSpider, s)\n"
        "    c.addons.load_settings(c.settings)\n"
        "    print(mode, c.settings.getdict('DOWNLOAD_HANDLERS').get('http'))\n"
        "import crawler.render.handler, crawler.render.addon, crawler.spiders.rendering, crawler.commands.savefixture\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('playwright', 'scrapy_playwright', 'greenlet')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["auto crawler.render.handler.RenderingDownloadHandler", "off None", "[]"]


def test_render_meta_survives_a_queue_that_pickles_requests():
    # A rendered request that is retried goes back through the scheduler with its meta; distributed
    # mode's queue pickles it.
    import pickle

    from crawler.render.browser import page_meta

    meta = page_meta(timeout=5, wait_css=".article-content p", timezone="Asia/Shanghai")
    copy = pickle.loads(pickle.dumps(meta))
    assert copy["playwright_page_goto_kwargs"] == {"wait_until": "load", "timeout": 5000}
    assert copy["playwright_page_methods"][0].args[1:] == (".article-content p", 5)
