"""Extensions that report on a crawl: its outcome for the exit code (SPEC §4) and its progress."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

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


class Progress:
    """Logs one line every ``CAIJI_PROGRESS_INTERVAL`` seconds: pages, records, rates, errors, queue.

    Takes the place of Scrapy's LogStats (``LOGSTATS_INTERVAL = 0``): a nightly log wants one
    line that says how far the crawl got, including what is still queued.
    """

    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.interval = interval
        self.task = None
        self._started = 0.0
        self._last = (0.0, 0, 0)  # monotonic time, pages, records at the previous line
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        interval = crawler.settings.getfloat("CAIJI_PROGRESS_INTERVAL", 30)
        if interval <= 0:
            raise NotConfigured("CAIJI_PROGRESS_INTERVAL is 0")
        return cls(crawler, interval)

    def spider_opened(self, spider) -> None:
        self._started = time.monotonic()
        self._last = (self._started, 0, 0)
        self.task = create_looping_call(self.log)
        self.task.start(self.interval, now=False)

    def spider_closed(self, spider, reason: str) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()

    def line(self) -> str:
        """The progress line for the current state of the crawl."""
        stats = self.stats.get_stats()
        pages, failed = page_counts(stats)
        written = stats.get("caiji/written") or 0
        now = time.monotonic()
        last_time, last_pages, last_written = self._last
        self._last = (now, pages, written)
        minutes = max(now - last_time, 1e-6) / 60
        engine = self.crawler.engine
        scheduler = engine.scheduler if engine is not None else None
        queued = len(scheduler) if scheduler is not None and hasattr(scheduler, "__len__") else 0
        in_flight = len(engine.downloader.active) if engine is not None else 0
        return (
            f"Progress: {pages} pages ({(pages - last_pages) / minutes:.0f}/min), "
            f"{written} records written ({(written - last_written) / minutes:.0f}/min), "
            f"{stats.get('caiji/skipped_stored') or 0} skipped as stored, {failed} errors, "
            f"{queued} queued, {in_flight} in flight, {(now - self._started) / 60:.1f} min"
        )

    def log(self) -> None:
        logger.info(self.line())
