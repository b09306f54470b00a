"""``scrapy summary [PATH]``: the runs of a dataset, one line each."""

from __future__ import annotations

import argparse
from pathlib import Path

from scrapy.commands import ScrapyCommand

from crawler.checks.summary import dataset_summary


class Command(ScrapyCommand):
    """Print the runs found under a data dir (default: CAIJI_DATA_DIR) with files and records."""

    requires_project = True
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "[PATH]"

    def short_desc(self) -> str:
        return "Summarize the runs of a dataset (files, records, rejects)"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        path = Path(args[0] if args else self.settings.get("CAIJI_DATA_DIR") or "data")
        print(dataset_summary(path))
        if not path.exists():
            self.exitcode = 1
