"""The report written at the end of every crawl (``-s CAIJI_REPORT=1``), beside the run's manifest."""

from __future__ import annotations

import logging

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.checks.report import NothingToReport, read_dataset
from crawler.state.run import DatasetRun

logger = logging.getLogger(__name__)


class ReportAtEnd:
    """Writes ``report.html`` of the spider's last nights into the run's folder once the crawl is over."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.nights = crawler.settings.getint("CAIJI_REPORT_NIGHTS", 30)
        self.font = crawler.settings.get("CAIJI_REPORT_FONT")
        # engine_stopped comes after spider_closed, when the pipeline has written the manifest.
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ReportAtEnd:
        if not crawler.settings.getbool("CAIJI_REPORT"):
            raise NotConfigured  # no message: Scrapy would log one as a warning in every crawl
        return cls(crawler)

    def engine_stopped(self) -> None:
        run = self.crawler.get_extension(DatasetRun)
        if run is None or not (run.dir / f"manifest-{run.run_id}.json").exists():
            return  # a run that did not start (lock held, data dir unusable) has nothing new to show
        # Imported here: the page's charts bring matplotlib, ~45 MB in every crawl that never uses it.
        from crawler.checks.report_page import write_report

        path = run.dir / "report.html"
        try:
            report = read_dataset(run.data_dir, site=run.spider_name, nights=self.nights)
            write_report(report, path, self.font)
        except (NothingToReport, OSError, ValueError) as exc:
            # The dataset is written; a report that could not be is worth a line, not a failed run.
            logger.error("Could not write the report %s: %s", path, exc)
            return
        # Anything else is a bug: Scrapy logs a signal handler's traceback and the run goes on.
        self.crawler.stats.set_value("caiji/report", str(path))
        logger.info("Report written: %s", path)
