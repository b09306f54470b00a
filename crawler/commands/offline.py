"""Extracting one saved page with no network: the path behind ``scrapy extract`` and fixture tests."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from scrapy.http import HtmlResponse

from crawler.extraction.charset import detect_encoding, markup_problem
from crawler.extraction.items import ordered_record
from crawler.rules import Limits, NoArticle, Rules, get_rules, rules_for_url
from crawler.workers.page import default_zone
from pipelines.cleaning import CleaningPipeline
from pipelines.script import ScriptPipeline
from pipelines.validation import ValidationPipeline


class PageExtractor:
    """Turns saved HTML bytes into a finished record: site rules, then the record pipelines."""

    def __init__(
        self, script_target: str = "hans", limits: Limits | None = None, default_timezone: str = "Asia/Shanghai"
    ) -> None:
        self.pipelines = [CleaningPipeline(), ScriptPipeline(script_target), ValidationPipeline()]
        self.limits = limits or Limits()
        default_zone(default_timezone)
        self.default_timezone = default_timezone

    def extract(self, body: bytes, url: str, site: str | None = None, fetched_at: datetime | None = None) -> dict:
        """The record of the page; raises NoArticle or RejectItem with a one-line reason."""
        rules: Rules = get_rules(site) if site else rules_for_url(url)
        rules.default_timezone = self.default_timezone
        # What a crawl's CharsetMiddleware refuses before anything parses the page.
        problem = markup_problem(body)
        if problem:
            raise NoArticle(problem)
        response = HtmlResponse(url=url, body=body, encoding=detect_encoding(body))
        item = rules.extract(response, fetched_at or datetime.now(UTC), self.limits)
        for pipeline in self.pipelines:
            item = pipeline.process_item(item)
        return ordered_record(item)


class UnreadablePage(Exception):
    """A saved page that cannot be read; the message says why in one line."""


def read_saved_page(path: str | Path, limit: int) -> bytes:
    """The bytes of a saved page, refused over ``limit`` bytes (DOWNLOAD_MAXSIZE; 0: none) as a crawl would."""
    try:
        body = Path(path).read_bytes()
    except OSError as exc:
        raise UnreadablePage(f"cannot read {path}: {exc.strerror}") from None
    if limit and len(body) > limit:
        # The same limit a crawl applies (Scrapy cancels such a download).
        raise UnreadablePage(f"page too large: {path} is {len(body):,} bytes, over DOWNLOAD_MAXSIZE ({limit:,})")
    return body


def file_url(path: str | Path) -> str:
    """The ``file://`` address of a local file."""
    return Path(path).resolve().as_uri()
