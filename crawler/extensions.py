"""Extensions that judge a finished crawl for the exit code (SPEC §4)."""

from __future__ import annotations

import logging

from scrapy import signals
from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


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
