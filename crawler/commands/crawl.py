"""``scrapy crawl`` with exit codes a scheduler can act on (SPEC §4)."""

from __future__ import annotations

import argparse
import sys

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from crawler.config import check_settings
from crawler.report import run_summary
from crawler.run import DatasetRun


class Command(ScrapyCrawl):
    """Scrapy's crawl; exits 1 when the run failed and 75 when another run holds the lock."""

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one spider name")
        assert self.crawler_process is not None and self.settings is not None
        check_settings(self.settings)
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
            return
        stats = crawler.stats.get_stats() if crawler.stats else {}
        self.exitcode = int(stats.get("caiji/exit_code") or 0)
        run = crawler.get_extension(DatasetRun)
        manifest = None
        if run is not None and not (run.locked_out or run.unusable):
            manifest = run.dir / f"manifest-{run.run_id}.json"
        title = "caiji: run FAILED: " + str(stats.get("caiji/failure")) if self.exitcode else "caiji: run finished"
        sys.stderr.write(f"\n{title}\n{run_summary(stats, manifest)}\n")
