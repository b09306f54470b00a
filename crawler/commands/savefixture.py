"""``scrapy savefixture FILE_OR_URL --site NAME --case NAME``: a page and its current record as a fixture pair.

Writes ``fixtures/pages/<site>/<case>.html`` (the page's bytes as fetched or saved) and
``<case>.json`` (the record the site rules give for it now, or ``{"no_article": …}``), which
tests/test_fixture_pages.py then checks on every run. The record is what the code says today,
not the truth: review it by hand and correct the JSON where the page says otherwise (as
web-poet's ``savefixture`` does for page objects).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

import scrapy
from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from scrapy.http import Request, Response
from scrapy.settings import SETTINGS_PRIORITIES
from scrapy.utils.conf import closest_scrapy_cfg
from w3lib.url import is_url

from crawler.commands.offline import PageExtractor, UnreadablePage, file_url, read_saved_page
from crawler.extraction.charset import detect_encoding
from crawler.rules import NoArticle, all_rules, get_rules
from crawler.spiders.rendering import RENDER_META, render_mode
from pipelines import RejectItem

_CASE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


class _FetchPage(scrapy.Spider):
    """Fetches one page through the project's downloader middlewares (scope, retries, charset)."""

    name = "savefixture"
    # Only the fetch: no dataset run, no checks, no pipelines.
    custom_settings: ClassVar[dict[str, Any]] = {
        "EXTENSIONS": {},
        "ITEM_PIPELINES": {},
        "SPIDERMON_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
    }

    def __init__(self, url: str, sink: dict, render: bool = False, site: str = "generic", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.url = url
        self.sink = sink
        self.render = render
        # What the browser waits for on the site's pages (render_wait_css), and its timezone.
        self.rules = get_rules(site)
        # The scope middleware allows a private address only when the crawl started on it.
        self.host = (urlsplit(url).hostname or "").lower()

    async def start(self) -> Any:
        # --render: the page as the browser leaves it once its script has built it.
        meta = {RENDER_META: "savefixture --render"} if self.render else {}
        yield Request(self.url, callback=self.keep, errback=self.failed, dont_filter=True, meta=meta)

    def in_scope(self, url: str) -> bool:
        """Only the page's own host, for the page's scripts too."""
        return (urlsplit(url).hostname or "").lower() == self.host

    def keep(self, response: Response) -> None:
        self.sink["response"] = response

    def failed(self, failure: Any) -> None:
        response = getattr(failure.value, "response", None)
        self.sink["error"] = (
            f"http {response.status}" if response is not None else f"{type(failure.value).__name__}: {failure.value}"
        )


class Command(ScrapyCommand):
    """Save a page and the record the rules give for it as a fixture pair to review by hand."""

    requires_project = True

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        # The fetch's log is noise here unless asked for (-L, -s LOG_LEVEL=…); the project's
        # LOG_LEVEL outranks a command's default, so it is set at the command line's priority.
        if self.settings.getpriority("LOG_LEVEL") < SETTINGS_PRIORITIES["cmdline"]:
            self.settings.set("LOG_LEVEL", "ERROR", priority="cmdline")

    def syntax(self) -> str:
        return "FILE_OR_URL --site NAME --case NAME [--url URL] [--force] [--render]"

    def short_desc(self) -> str:
        return "Save a page and its current record as fixtures/pages/SITE/CASE.html + .json"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--site", help="the site rules to read it with (a fixture folder of that name)")
        parser.add_argument("--case", help="the case's name: letters, digits, - and _")
        parser.add_argument("--url", help="for a FILE: the page's address (default: file://)")
        parser.add_argument("--fixtures", help="where fixture folders are (default: fixtures/pages of the project)")
        parser.add_argument("--force", action="store_true", help="overwrite an existing case")
        parser.add_argument("--render", action="store_true", help="save the page as headless Chromium renders it")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one FILE_OR_URL")
        if not opts.site or opts.site not in all_rules():
            raise UsageError(f"--site must name site rules; known: {', '.join(sorted(all_rules()))}", print_help=False)
        if not opts.case or not _CASE.match(opts.case):
            raise UsageError("--case must be a name of letters, digits, - and _", print_help=False)
        folder = Path(opts.fixtures) if opts.fixtures else Path(closest_scrapy_cfg()).parent / "fixtures" / "pages"
        page_file = folder / opts.site / f"{opts.case}.html"
        record_file = page_file.with_suffix(".json")
        if not opts.force and (page_file.exists() or record_file.exists()):
            self._fail(f"{page_file} already exists (--force to overwrite)")
            return
        source = args[0]
        if opts.render and not (is_url(source) and not source.startswith("file:")):
            raise UsageError("--render needs a page's http(s) address", print_help=False)
        fetched = (
            self._fetch(source, opts.render, opts.site)
            if is_url(source) and not source.startswith("file:")
            else self._read(source, opts.url)
        )
        if fetched is None:
            return
        body, url = fetched
        fetched_at = datetime.now(UTC).replace(microsecond=0)
        try:
            record: dict = PageExtractor("hans").extract(body, url, opts.site, fetched_at)
            verdict = "record"
        except (NoArticle, RejectItem) as exc:
            record = {"no_article": True, "url": url, "reason": exc.reason}
            verdict = f"no article ({exc.reason})"
        page_file.parent.mkdir(parents=True, exist_ok=True)
        page_file.write_bytes(body)
        record_file.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"Saved {page_file}\n  and its {verdict}: {record_file}")
        print("Review the JSON by hand: it is what the rules give now; correct what the page says otherwise.")

    def _read(self, path: str, url: str | None) -> tuple[bytes, str] | None:
        path = path.removeprefix("file://")
        assert self.settings is not None
        try:
            body = read_saved_page(path, self.settings.getint("DOWNLOAD_MAXSIZE"))
        except UnreadablePage as exc:
            self._fail(str(exc))
            return None
        url = url or file_url(path)
        try:
            Request(url)
        except ValueError as exc:
            raise UsageError(str(exc), print_help=False) from None
        return body, url

    def _fetch(self, url: str, render: bool = False, site: str = "generic") -> tuple[bytes, str] | None:
        assert self.crawler_process is not None
        if render and render_mode(self.settings) == "off":
            raise UsageError("--render needs rendering on (CAIJI_RENDER is off)", print_help=False)
        sink: dict = {}
        self.crawler_process.crawl(_FetchPage, url=url, sink=sink, render=render, site=site)
        self.crawler_process.start()
        response = sink.get("response")
        if response is None:
            self._fail(f"could not fetch {url}: {sink.get('error') or 'no response'}")
            return None
        crawl_encoding = getattr(response, "encoding", None)
        if crawl_encoding and detect_encoding(response.body) != crawl_encoding:
            print(
                f"Note: the crawl read this page as {crawl_encoding} (HTTP header), a saved copy reads as "
                f"{detect_encoding(response.body)}: the fixture is checked as saved.",
                file=sys.stderr,
            )
        return response.body, response.url

    def _fail(self, reason: str) -> None:
        sys.stderr.write(reason + "\n")
        self.exitcode = 1
