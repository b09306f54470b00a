"""One article page's extraction, everything but the network and the files: what a worker runs.

The charset decision, the parse, the site rules (or the generic ones), a split article's merge,
cleaning, script detection and conversion, and the content hash all happen here, in a worker
process or in the crawl's own; the spider only acts on the :class:`PageResult`.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from itemadapter import ItemAdapter
from scrapy.http import HtmlResponse, TextResponse

from crawler.extraction.charset import detect_encoding, markup_problem
from crawler.extraction.css import release, response_select, response_selector
from crawler.extraction.embedded import script_shell
from crawler.extraction.html import absolute_url
from crawler.extraction.items import ArticleItem, ordered_record
from crawler.rules import Limits, NoArticle, Rules, get_rules
from pipelines.cleaning import clean_record
from pipelines.script import ScriptPipeline
from pipelines.validation import FastCheck
from schema import article_schema

#: A split article longer than this is cut: a 下一页 loop must not run forever.
MAX_ARTICLE_PAGES = 20

#: What became of a page (:attr:`PageResult.kind`).
ARTICLE, NEXT, NO_ARTICLE, IGNORED, ERROR, CRASHED, TIMED_OUT = (
    "article",
    "next",
    "no_article",
    "ignored",
    "error",
    "crashed",
    "timed_out",
)


@dataclass(frozen=True)
class WorkConfig:
    """What every page of a crawl is extracted with (from the crawl's settings)."""

    script_target: str = "hans"
    limits: Limits = field(default_factory=Limits)
    #: ``module.function`` called with each page's URL and bytes before it is extracted
    #: (``CAIJI_EXTRACT_HOOK``: fault injection and debugging).
    hook: str | None = None
    log_level: int = logging.INFO
    #: ``CAIJI_DEFAULT_TIMEZONE``: the zone of pages whose rules and host name none.
    default_timezone: str = "Asia/Shanghai"


@dataclass
class PageJob:
    """An article page to extract: its bytes as fetched, and where it stands in the crawl."""

    url: str
    body: bytes
    content_type: str
    rules: str
    fetched_at: datetime
    #: The article so far, when this page continues it (下一页), as the rules extracted it.
    first: dict | None = None
    pages: int = 1
    #: Fetched through the browser already (no script shell to look for).
    rendered: bool = False
    #: Links to related articles the spider follows (a CSS selector of ``href``s), or None.
    related_css: str | None = None


@dataclass
class PageResult:
    """What a page gave: a finished record, a raw part and its next page, or why nothing."""

    kind: str
    #: ARTICLE: the finished record; NEXT: the article so far; NO_ARTICLE: what was read, if anything.
    item: dict | None = None
    reason: str = ""
    next_url: str | None = None
    #: Related articles' addresses, absolute, in page order.
    related: list[str] = field(default_factory=list)
    #: Why the page looks like a script shell (NO_ARTICLE on a plain fetch), or None.
    shell: str | None = None
    #: ARTICLE: the record passed the schema's fast check (the validation pipeline takes it as checked).
    schema_checked: bool = False
    #: ERROR: the traceback, for the crawl's log.
    traceback: str | None = None
    #: Log records of the extraction in a worker, ``(logger, level, message)``, for the crawl's log.
    logs: list[tuple[str, int, str]] = field(default_factory=list)


class PageWork:
    """Extracts article pages with one crawl's settings; rules are made once per name."""

    def __init__(self, config: WorkConfig) -> None:
        self.config = config
        default_zone(config.default_timezone)  # checked here, in the crawl's process, before any worker
        self.script = ScriptPipeline(config.script_target)
        self.check = FastCheck(article_schema())
        self.hook: Callable[[str, bytes], None] | None = load_hook(config.hook) if config.hook else None
        self._rules: dict[str, Rules] = {}

    def run(self, job: PageJob, response: TextResponse | None = None) -> PageResult:
        """The page's result; ``response``: the page already decoded by the crawl (in-process)."""
        try:
            if self.hook is not None:
                self.hook(job.url, job.body)
            if response is None:
                # What the CharsetMiddleware does in the crawl's process for pages extracted there.
                problem = markup_problem(job.body)
                if problem:
                    return PageResult(IGNORED, reason=problem)
                encoding = detect_encoding(job.body, job.content_type)
                response = HtmlResponse(url=job.url, body=job.body, encoding=encoding)
            try:
                return self._extract(job, response)
            finally:
                release(response)
        except Exception as exc:  # a fault of ours on this page: recorded, the crawl goes on
            import traceback

            return PageResult(ERROR, reason=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc())

    def finish(self, item: ArticleItem) -> tuple[dict, bool]:
        """The record pipelines' share of the work that needs no crawl state: cleaning, script,
        hash, and the schema's fast check; the record (in SPEC key order) and whether it passed."""
        clean_record(ItemAdapter(item))
        self.script.process_item(item)
        record = ordered_record(item)
        return record, self.check.valid(record)

    def rules(self, name: str) -> Rules:
        """The rules called ``name``, made once."""
        if name not in self._rules:
            rules = get_rules(name)
            rules.default_timezone = self.config.default_timezone
            self._rules[name] = rules
        return self._rules[name]

    def _extract(self, job: PageJob, response: TextResponse) -> PageResult:
        rules = self.rules(job.rules)
        related = self._related(job, response)
        try:
            item = rules.extract(response, job.fetched_at, self.config.limits)
        except NoArticle as exc:
            shell = None if job.rendered else script_shell(response_selector(response))
            return PageResult(
                NO_ARTICLE, item=dict(exc.item) if exc.item else None, reason=exc.reason, related=related, shell=shell
            )
        if job.first is not None:
            item = rules.merge(ArticleItem(job.first), item)
        next_url = rules.next_page(response)
        if next_url and next_url != response.url and job.pages < MAX_ARTICLE_PAGES:
            return PageResult(NEXT, item=dict(item), next_url=next_url, related=related)
        record, checked = self.finish(item)
        return PageResult(ARTICLE, item=record, related=related, schema_checked=checked)

    @staticmethod
    def _related(job: PageJob, response: TextResponse) -> list[str]:
        if not job.related_css:
            return []
        urls = (absolute_url(response.url, href) for href in response_select(response, job.related_css))
        return [url for url in urls if url]


def default_zone(name: str) -> ZoneInfo:
    """The zone ``CAIJI_DEFAULT_TIMEZONE`` names; ValueError when there is none of that name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(f"CAIJI_DEFAULT_TIMEZONE must be a timezone name such as Asia/Shanghai, not {name!r}") from None


def load_hook(path: str) -> Callable[[str, bytes], None]:
    """The function named ``module.function``; ValueError when there is none."""
    module, _, name = path.rpartition(".")
    try:
        hook = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ValueError(f"CAIJI_EXTRACT_HOOK: cannot load {path!r}: {exc}") from None
    if not callable(hook):
        raise ValueError(f"CAIJI_EXTRACT_HOOK: {path!r} is not a function")
    return hook
