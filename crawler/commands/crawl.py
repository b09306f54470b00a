"""``scrapy crawl`` with exit codes a scheduler can act on (SPEC §4)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from crawler.checks.config import check_settings
from crawler.checks.summary import run_summary
from crawler.distributed.addon import redis_url, unreachable
from crawler.state.run import LOCKED_EXIT, DatasetRun

logger = logging.getLogger(__name__)


class Command(ScrapyCrawl):
    """Scrapy's crawl; exits 1 when the run failed and 75 when another run holds the lock."""

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one spider name")
        assert self.crawler_process is not None and self.settings is not None
        check_settings(self.settings)
        if args[0] not in self.crawler_process.spider_loader.list():
            raise UsageError(f"no spider named {args[0]!r} (`scrapy list` names them)", print_help=False)
        url = redis_url(self.settings)
        problem = unreachable(url) if url else None
        if problem:
            # Found here, the reason is one line; found by the engine, it is buried in tracebacks.
            sys.stderr.write(f"caiji: run FAILED: {problem}\n")
            self.exitcode = 1
            return
        crawler = self._create_crawler(args[0])
        startup_errors: list[BaseException] = []
        _collect_startup_error(self.crawler_process.crawl(crawler, **opts.spargs), startup_errors)
        self.crawler_process.start()
        usage = next((exc for exc in startup_errors if isinstance(exc, UsageError)), None)
        if usage is not None:
            # A spider argument it cannot use (start_url …): a usage error, exit 2, like -s ones.
            raise UsageError(str(usage), print_help=False)
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
            return
        stats = crawler.stats.get_stats() if crawler.stats else {}
        self.exitcode = int(stats.get("caiji/exit_code") or 0)
        run = crawler.get_extension(DatasetRun)
        manifest = None
        if run is not None and not (run.locked_out or run.unusable):
            manifest = run.dir / f"manifest-{run.run_id}.json"
            # A run stopped before its folder could be made has none to point at.
            manifest = manifest if manifest.exists() else None
        if self.exitcode == LOCKED_EXIT:
            title = "caiji: run NOT STARTED: " + str(stats.get("caiji/failure"))
        elif self.exitcode:
            title = "caiji: run FAILED: " + str(stats.get("caiji/failure"))
        else:
            title = "caiji: run finished"
        sys.stderr.write(f"\n{title}\n{run_summary(stats, manifest)}\n")


def _collect_startup_error(outcome: object, errors: list[BaseException]) -> None:
    """Append the exception a crawl failed with to ``errors``, and log it unless it is a UsageError.

    The crawl is an asyncio Task (asyncio reactor) or a Deferred; left alone, either logs a
    failure to start as a traceback ("Task exception was never retrieved").
    """

    def record(exc: BaseException) -> None:
        errors.append(exc)
        if not isinstance(exc, UsageError):
            logger.error("The crawl could not start: %s", exc, exc_info=exc)

    if isinstance(outcome, asyncio.Future):
        outcome.add_done_callback(lambda task: None if task.cancelled() or not task.exception() else record(task.exception()))
    elif isinstance(outcome, Deferred):
        outcome.addErrback(lambda failure: record(failure.value) if isinstance(failure, Failure) else None)
