"""``scrapy report [DATA_DIR] [-o report.html] [--site NAME] [--nights N]``: the dataset as one HTML page."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler.checks.report import NothingToReport, read_dataset
from crawler.checks.report_page import write_report


class Command(ScrapyCommand):
    """Write a self-contained HTML report of the last nights of a dataset, read from its manifests."""

    requires_project = True
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "[DATA_DIR] [-o report.html] [--site NAME] [--nights N]"

    def short_desc(self) -> str:
        return "Write an HTML report of a dataset's last nights (charts, checks, newest articles)"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("-o", "--output", metavar="FILE", help="where to write the page (default: DATA_DIR/report.html)")
        parser.add_argument("--site", metavar="NAME", help="report on this site (spider) only")
        parser.add_argument(
            "--nights", type=int, metavar="N", help="nights to show, up to the newest (default: CAIJI_REPORT_NIGHTS)"
        )

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        if len(args) > 1:
            raise UsageError("give at most one DATA_DIR")
        nights = opts.nights if opts.nights is not None else self.settings.getint("CAIJI_REPORT_NIGHTS", 30)
        if nights < 1:
            raise UsageError("--nights must be 1 or more", print_help=False)
        data_dir = Path(args[0] if args else self.settings.get("CAIJI_DATA_DIR") or "data")
        try:
            report = read_dataset(data_dir, site=opts.site, nights=nights)
        except NothingToReport as exc:
            sys.stderr.write(f"caiji: nothing to report: {exc}\n")
            self.exitcode = 1
            return
        output = Path(opts.output) if opts.output else data_dir / "report.html"
        try:
            write_report(report, output, self.settings.get("CAIJI_REPORT_FONT"))
        except OSError as exc:
            sys.stderr.write(f"caiji: could not write the report to {output}: {exc.strerror or exc}\n")
            self.exitcode = 1
            return
        failed = report.failed_sites
        status = f"last night FAILED: {', '.join(failed)}" if failed else "last night went well"
        unread = f"; {len(report.problems)} thing(s) could not be read (listed in it)" if report.problems else ""
        print(f"Report: {output} ({status}{unread})")
