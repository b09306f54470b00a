"""``scrapy extract FILE [--url URL] [--site NAME]``: one saved page → one record on stdout."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import datetime

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from scrapy.http import Request

from crawler.commands.offline import PageExtractor, UnreadablePage, file_url, read_saved_page
from crawler.rules import Limits, NoArticle, all_rules
from pipelines import RejectItem

logger = logging.getLogger(__name__)


class Command(ScrapyCommand):
    """Extract one saved HTML page with no network and print its record as one JSON line."""

    requires_project = True
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "FILE [--url URL] [--site NAME]"

    def short_desc(self) -> str:
        return "Extract one saved HTML page and print its record (one JSON line)"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--url", help="the page's address (relative links, choosing site rules); default file://")
        parser.add_argument("--site", help="force these site rules (default: by URL, else generic)")
        parser.add_argument("--fetched-at", help="ISO time to resolve relative times against (default: now)")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one FILE")
        if opts.site and opts.site not in all_rules():
            raise UsageError(f"no site rules named {opts.site!r}; known: {', '.join(sorted(all_rules()))}", print_help=False)
        fetched_at = None
        if opts.fetched_at:
            try:
                fetched_at = datetime.fromisoformat(opts.fetched_at.replace("Z", "+00:00"))
            except ValueError:
                raise UsageError(f"--fetched-at must be an ISO time, not {opts.fetched_at!r}", print_help=False) from None
        path = args[0]
        assert self.settings is not None
        try:
            body = read_saved_page(path, self.settings.getint("DOWNLOAD_MAXSIZE"))
        except UnreadablePage as exc:
            self._fail(str(exc))
            return
        target = (self.settings.get("CAIJI_SCRIPT_TARGET") or "none").strip().lower()
        url = opts.url or file_url(path)
        try:
            zone = str(self.settings.get("CAIJI_DEFAULT_TIMEZONE") or "Asia/Shanghai").strip()
            extractor = PageExtractor(target, Limits.from_settings(self.settings), zone)
            Request(url)  # the address must be one a crawl could have fetched
        except ValueError as exc:
            raise UsageError(str(exc), print_help=False) from None
        try:
            record = extractor.extract(body, url, opts.site, fetched_at)
        except NoArticle as exc:
            self._fail(f"no article in {path}: {exc.reason}")
            return
        except RejectItem as exc:
            self._fail(f"rejected {path}: {exc.reason}")
            return
        except Exception as exc:  # a fault of ours on this page: one line (-s LOG_ENABLED=1 logs the traceback)
            logger.debug("Extraction of %s failed", path, exc_info=True)
            self._fail(f"extraction error in {path}: {type(exc).__name__}: {exc}"[:500])
            return
        sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")

    def _fail(self, reason: str) -> None:
        sys.stderr.write(reason.replace("\n", " ") + "\n")
        self.exitcode = 1
