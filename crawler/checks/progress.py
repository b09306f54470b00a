"""The progress line a nightly log gets every ``CAIJI_PROGRESS_INTERVAL`` seconds."""

from __future__ import annotations

import logging
import time

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

from crawler.checks.outcome import page_counts

logger = logging.getLogger(__name__)


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
