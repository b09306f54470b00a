"""Checks of a finished crawl, run by Spidermon when the spider closes.

Each check is a Spidermon monitor with a threshold from the settings (SPEC §3, README "Nightly
runs"). A failed check does not change Scrapy's exit code by itself, so the suite's actions write
the outcome into the stats: ``caiji/checks/passed``, ``caiji/checks/failed`` and, on a failure,
``caiji/exit_code`` = 1 and ``caiji/failure``, which ``scrapy crawl`` turns into exit 1 and its
summary. The pipelines' counters are what is measured: records written, not pages or duplicates.
"""

from __future__ import annotations

import warnings
from unittest import SkipTest

from scrapy.exceptions import ScrapyDeprecationWarning
from scrapy.settings import BaseSettings
from spidermon import Monitor, MonitorSuite, monitors, settings
from spidermon.core.actions import Action

from crawler.checks.outcome import page_counts

# Spidermon 1.27 writes its report through Spider.log(), deprecated in Scrapy 2.19: a warning in
# every run's log that says nothing about the crawl. Only Spidermon's own calls are silenced.
warnings.filterwarnings(
    "ignore", message=r"Spider\.log\(\) is deprecated", category=ScrapyDeprecationWarning, module=r"spidermon\."
)

#: Fields every written record has; the validation pipeline rejects a record without them.
REQUIRED_FIELDS = ("title", "body")


class CrawlCheck(Monitor):
    """Base of caiji's checks: stats and settings at hand; skipped when the run already failed."""

    # The message alone, without unittest's "x not greater than or equal to y :" prefix.
    longMessage = False

    @property
    def stats(self) -> dict:
        return self.data.stats

    @property
    def settings(self) -> BaseSettings:
        return self.data.crawler.settings

    def setUp(self) -> None:
        # A run that did not start (lock held: 75; data dir unusable) or failed on its own
        # (no page reached) has its exit code and reason already: checks would only add noise.
        if self.stats.get("caiji/exit_code"):
            raise SkipTest("the run already failed")

    def setting_fraction(self, name: str, default: float) -> float:
        """A share (0–1) from the settings."""
        return self.settings.getfloat(name, default)


@monitors.name("minimum articles")
class MinimumArticles(CrawlCheck):
    """The dataset holds at least CAIJI_MIN_ARTICLES of the portal's articles after this run."""

    @monitors.name("minimum articles")
    def test_minimum_articles(self) -> None:
        # An incremental run may rightly write nothing: the articles it skipped as stored, or
        # fetched again unchanged, are in the dataset all the same.
        written = self.stats.get("caiji/written") or 0
        unchanged = self.stats.get("caiji/unchanged") or 0
        skipped = self.stats.get("caiji/skipped_stored") or 0
        minimum = self.settings.getint("CAIJI_MIN_ARTICLES", 1)
        held = written + unchanged + skipped
        self.assertGreaterEqual(
            held,
            minimum,
            f"{held} articles ({written} written, {unchanged} unchanged, {skipped} skipped as stored) "
            f"< CAIJI_MIN_ARTICLES={minimum}",
        )


@monitors.name("field coverage")
class FieldCoverage(CrawlCheck):
    """Title and body in every written record; timestamp in CAIJI_MIN_TIMESTAMP_COVERAGE of them
    (of a run with fewer than CAIJI_COVERAGE_MIN_RECORDS records: in at least one)."""

    @monitors.name("field coverage")
    def test_field_coverage(self) -> None:
        written = self.stats.get("caiji/written") or 0
        if not written:
            raise SkipTest("no record written")
        short = []
        for field in REQUIRED_FIELDS:
            coverage = (self.stats.get(f"caiji/field/{field}") or 0) / written
            if coverage < 1:
                short.append(f"{field} in {coverage:.0%} of {written} records < 100%")
        minimum = self.setting_fraction("CAIJI_MIN_TIMESTAMP_COVERAGE", 0.9)
        timed = self.stats.get("caiji/field/timestamp") or 0
        sample = self.settings.getint("CAIJI_COVERAGE_MIN_RECORDS", 20)
        if written >= sample:
            if timed / written < minimum:
                short.append(
                    f"timestamp in {timed / written:.0%} of {written} records < {minimum:.0%} (CAIJI_MIN_TIMESTAMP_COVERAGE)"
                )
        elif minimum > 0 and not timed:
            # A night's few new or changed articles say little about a share (one of three
            # without a time is 67%); none of them with a time still says the time rule broke.
            short.append(f"timestamp in none of {written} records (fewer than CAIJI_COVERAGE_MIN_RECORDS={sample})")
        self.assertFalse(short, "; ".join(short))


@monitors.name("error rate")
class ErrorRate(CrawlCheck):
    """At most CAIJI_MAX_ERROR_RATE of the pages tried could not be fetched."""

    @monitors.name("error rate")
    def test_error_rate(self) -> None:
        pages, failed = page_counts(self.stats)
        if not pages:
            raise SkipTest("no page tried")
        maximum = self.setting_fraction("CAIJI_MAX_ERROR_RATE", 0.5)
        rate = failed / pages
        self.assertLessEqual(rate, maximum, f"{failed} of {pages} pages failed ({rate:.0%}) > CAIJI_MAX_ERROR_RATE={maximum:g}")


@monitors.name("finish reason")
class FinishReason(CrawlCheck):
    """The crawl ended as a complete crawl ends (CAIJI_FINISH_REASONS, default ``finished``)."""

    @monitors.name("finish reason")
    def test_finish_reason(self) -> None:
        expected = self.settings.getlist("CAIJI_FINISH_REASONS", ["finished"])
        # Scrapy's CoreStats sets finish_reason on spider_closed, before Spidermon runs.
        reason = self.stats.get("finish_reason")
        self.assertIn(reason, expected, f"finish reason {reason!r} is not one of {', '.join(expected)}")


def _reason(error: str) -> str:
    """The assertion message at the end of a failed check's traceback."""
    last = (error or "").strip().splitlines()[-1] if error and error.strip() else "failed"
    return last.split(": ", 1)[1] if last.startswith(("AssertionError: ", "Exception: ")) else last


class RecordChecks(Action):
    """Writes the checks' outcome into the stats, for the exit code, the summary and the manifest."""

    def run_action(self) -> None:
        stats = self.data.crawler.stats
        try:
            self.record(stats)
        except Exception as exc:
            # Spidermon logs an action's error and goes on: without this, a broken action would
            # let a run whose checks failed exit 0.
            stats.set_value("caiji/exit_code", stats.get_value("caiji/exit_code") or 1)
            stats.set_value("caiji/failure", stats.get_value("caiji/failure") or f"the checks could not be recorded: {exc!r}")
            raise

    def record(self, stats) -> None:
        """Sort the checks into passed, skipped and failed; a failure fails the run."""
        passed, skipped, failed = [], {}, {}
        for result in self.result.monitor_results:
            name = result.item.monitor_name
            if result.status == settings.MONITOR.STATUS.SUCCESS:
                passed.append(name)
            elif result.status == settings.MONITOR.STATUS.SKIPPED:
                skipped[name] = result.reason
            else:
                failed[name] = _reason(result.error)
        stats.set_value("caiji/checks/passed", passed)
        stats.set_value("caiji/checks/skipped", skipped)
        stats.set_value("caiji/checks/failed", failed)
        if failed and not stats.get_value("caiji/exit_code"):
            stats.set_value("caiji/exit_code", 1)
            stats.set_value("caiji/failure", f"checks failed: {', '.join(failed)}")


class FinishedCrawlChecks(MonitorSuite):
    """The checks of a finished crawl (``SPIDERMON_SPIDER_CLOSE_MONITORS``)."""

    monitors = [MinimumArticles, FieldCoverage, ErrorRate, FinishReason]
    monitors_finished_actions = [RecordChecks]
