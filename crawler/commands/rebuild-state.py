"""``scrapy rebuild-state DATA_DIR``: write the article store anew from the dataset."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler.state.rebuild import rebuild_store
from crawler.state.store import StoreError


class Command(ScrapyCommand):
    """Rebuild ``state.sqlite`` from the data files and manifests of a data dir."""

    requires_project = True
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "[DATA_DIR]"

    def short_desc(self) -> str:
        return "Rebuild the article store (state.sqlite) from a data dir's data files and manifests"

    def long_desc(self) -> str:
        return (
            "Rebuild DATA_DIR/state.sqlite (default: CAIJI_DATA_DIR) when it was lost or damaged: every "
            "complete record of every articles-*.jsonl[.gz] file, the latest per article, so that the next "
            "crawl writes no article again. The old store is kept beside it as state.sqlite.old-<time>. "
            "Refused while a crawl holds the data dir's lock. Exits 1 when the store could not be rebuilt."
        )

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        if len(args) > 1:
            raise UsageError("give one data dir", print_help=False)
        data_dir = Path(args[0] if args else self.settings.get("CAIJI_DATA_DIR") or "data")
        if not data_dir.is_dir():
            raise UsageError(f"{data_dir} is not a folder", print_help=False)
        try:
            result = rebuild_store(data_dir)
        except (StoreError, OSError) as exc:
            print(f"rebuild-state: {exc}", file=sys.stderr)
            self.exitcode = 1
            return
        for warning in result.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        print(
            f"rebuilt {result.path}: {result.articles} articles from {result.records} records "
            f"in {result.files} data files of {result.runs} runs"
        )
        if result.kept_old is not None:
            print(f"the previous store is kept as {result.kept_old}")
