"""The outcome of a crawl for its exit code (SPEC §4): no page reached, every page failed."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


def page_counts(stats: Mapping[str, Any]) -> tuple[int, int]:
    """``(pages, failed)``: pages the crawl tried and those that could not be fetched.

    A page answered with an HTTP error, or whose reading raised an error, counts as tried and
    failed; one that never got an answer (refused, timed out after its retries) only as failed,
    so it is added to the tried ones. Pages robots.txt forbids, or that gave no article, are not
    failures.
    """
    http_errors = sum(v for k, v in stats.items() if k.startswith("caiji/http_status/"))
    fetch_errors = sum(v for k, v in stats.items() if k.startswith("caiji/fetch_error/"))
    extract_errors = sum(v for k, v in stats.items() if k.startswith("caiji/extract_error/"))
    responses = stats.get("response_received_count") or 0
    return responses + fetch_errors, http_errors + fetch_errors + extract_errors


class RunOutcome:
    """Sets ``caiji/exit_code`` to 1 when no page was reached or every page failed."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunOutcome:
        return cls(crawler)

    def spider_closed(self, spider, reason: str) -> None:
        if self.stats.get_value("caiji/exit_code"):
            return
        responses = self.stats.get_value("response_received_count") or 0
        ok = self.stats.get_value("downloader/response_status_count/200") or 0
        failure = None
        if reason not in ("finished", "closespider_pagecount", "closespider_itemcount", "closespider_timeout"):
            failure = f"the crawl ended early: {reason}"
        elif responses == 0:
            failure = "no page was reached"
        elif ok == 0:
            failure = "every page failed"
        if failure:
            logger.error("Run failed: %s", failure)
            self.stats.set_value("caiji/exit_code", 1)
            self.stats.set_value("caiji/failure", failure)
