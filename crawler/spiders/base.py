"""Crawl policy shared by caiji's spiders: arguments, article requests, errors, rejections."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, UsageError
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.sitemap import Sitemap
from twisted.python.failure import Failure

from crawler.extraction.charset import DECODED_IN_WORKER, is_html
from crawler.extraction.css import release, response_select
from crawler.extraction.html import absolute_url
from crawler.extraction.items import ArticleItem, FinishedArticle
from crawler.rules import Limits, Rules, get_rules
from crawler.signals import page_rejected
from crawler.spiders.rendering import READ_PAGE, RENDER_META, RenderPolicy, render_mode
from crawler.state.run import DatasetRun
from crawler.workers.extraction import Extraction
from crawler.workers.page import CRASHED, ERROR, IGNORED, NEXT, NO_ARTICLE, TIMED_OUT, PageJob, PageResult


def is_loopback(url: str) -> bool:
    """True for an address on this machine (the demo portal, test servers)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class PortalSpider(scrapy.Spider):
    """Base of caiji's spiders: list pages lead to article pages, which the site rules extract."""

    rules_name: ClassVar[str] = "generic"
    default_start_url: ClassVar[str | None] = None
    #: CAIJI_INCREMENTAL when the setting is left unset (SPEC §3: on for site spiders).
    incremental_by_default: ClassVar[bool] = True
    #: Links in an article to related articles, followed too (None: not followed).
    related_links_css: ClassVar[str | None] = None

    def __init__(self, start_url: str | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        start_url = (start_url or self.default_start_url or "").strip()
        if not start_url:
            raise UsageError(f"spider {self.name!r} needs -a start_url=URL")
        if urlsplit(start_url).scheme not in ("http", "https") or not urlsplit(start_url).hostname:
            raise UsageError(f"start_url must be an http(s) address, not {start_url!r}")
        self.start_url = start_url
        self.start_urls = [start_url]
        self.host = urlsplit(start_url).hostname
        self.allowed_domains = [self.host]
        self.rules: Rules = get_rules(self.rules_name)
        self.incremental = self.incremental_by_default
        self.refresh_days = 2.0
        self.limits = Limits()
        self.render = RenderPolicy("auto", self.rules)
        # Where article pages are extracted (worker processes or this one): from the crawl's settings.
        self.extraction: Extraction | None = None
        # Article URLs already requested in this run; Scrapy's dupefilter would drop them too,
        # but only after a store look-up each.
        self._requested: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> PortalSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        if is_loopback(spider.start_url):
            # A local copy (the demo portal, tests): politeness delays would only slow it down.
            # Set at spider priority, so -s on the command line still wins.
            settings.set("DOWNLOAD_DELAY", 0, priority="spider")
            settings.set("AUTOTHROTTLE_ENABLED", False, priority="spider")
        value = settings.get("CAIJI_INCREMENTAL")
        if value not in (None, ""):
            spider.incremental = settings.getbool("CAIJI_INCREMENTAL")
        spider.refresh_days = settings.getfloat("CAIJI_REFRESH_DAYS", 2.0)
        spider.limits = Limits.from_settings(settings)
        try:
            spider.render = RenderPolicy(render_mode(settings), spider.rules)
            spider.extraction = Extraction.from_crawler(crawler)
            # What the browser is told of the page's zone (crawler/render/handler.py).
            spider.rules.default_timezone = spider.extraction.config.default_timezone
        except ValueError as exc:
            raise UsageError(str(exc), print_help=False) from None
        crawler.signals.connect(spider.on_spider_error, signal=signals.spider_error)
        return spider

    # --- requests --------------------------------------------------------------------------

    def article_request(self, url: str, **kwargs: Any) -> scrapy.Request | None:
        """A request for an article page, or None when requested already or stored and settled."""
        if url in self._requested:
            return None
        self._requested.add(url)
        if self.incremental and self._stored_and_settled(url):
            self.crawler.stats.inc_value("caiji/skipped_stored")
            return None
        kwargs["meta"] = {**self.article_meta(), **kwargs.get("meta", {})}
        return scrapy.Request(url, callback=self.parse_article, errback=self.on_error, **kwargs)

    def article_meta(self) -> dict:
        """Meta of a request for an article page: how it is fetched, and where it is decoded."""
        meta = self.render.direct()
        if self.extraction is not None and self.extraction.in_workers:
            meta[DECODED_IN_WORKER] = True
        return meta

    def render_again(self, response: Response, kind: str, shell: str | object | None = READ_PAGE) -> scrapy.Request | None:
        """The page fetched again through the browser, when the plain page gave nothing and the
        site rules or the page itself say a script builds it (once; the reason goes in the stats).
        ``shell``: what the page's extraction found of a script shell, when it was looked for there."""
        reason = self.render.again(kind, response, shell)
        if reason is None:
            return None
        self.crawler.stats.inc_value(f"caiji/render/reason/{reason}")
        # A new meta: what Scrapy noted of the plain fetch (latency, redirects, retries) is not this fetch's.
        return response.request.replace(meta={RENDER_META: reason}, dont_filter=True)

    def _stored_and_settled(self, url: str) -> bool:
        run = self.crawler.get_extension(DatasetRun)
        if run is None or not run.active:
            return False
        found = run.store.lookup_url(url)
        if found is None:
            return False
        timestamp, last_stored = found
        moment = datetime.fromisoformat(timestamp or last_stored)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return datetime.now(UTC) - moment > timedelta(days=self.refresh_days)

    # --- article pages ----------------------------------------------------------------------

    async def parse_article(self, response: Response, first: ArticleItem | None = None, pages: int = 1) -> list[Any]:
        """Extract the article (in a worker process: crawler/workers/); follow 下一页 and merge
        continuation pages into one record; follow related articles."""
        # A coroutine returning a list, not an async generator: Scrapy then passes the outputs
        # through its spider middlewares as a plain list, without an async generator per middleware.
        if not is_html(response):
            self.reject(
                response.url,
                f"not html: {response.headers.get(b'Content-Type', b'').decode('latin-1') or 'no content type'}",
                "fetch",
            )
            return [first] if first is not None else []
        job = PageJob(
            url=response.url,
            body=response.body,
            content_type=response.headers.get(b"Content-Type", b"").decode("latin-1"),
            rules=self.rules.name,
            fetched_at=datetime.now(UTC),
            first=dict(first) if first is not None else None,
            pages=pages,
            rendered=bool(response.meta.get(RENDER_META)),
            related_css=self.related_links_css,
        )
        result = await self.extraction.extract(response, job)
        outputs = list(self._outputs(response, result, first, pages))
        for url in result.related:
            request = self.related_request(url)
            if request is not None:
                outputs.append(request)
        return outputs

    def _outputs(self, response: Response, result: PageResult, first: ArticleItem | None, pages: int) -> Iterator[Any]:
        if result.kind == IGNORED:
            # Markup the parser would take minutes over, found where the page was decoded.
            if first is not None:
                yield first
            self.ignored(response.url, result.reason)
            return
        self.crawler.stats.inc_value("caiji/pages_ok")
        if result.kind in (ERROR, CRASHED, TIMED_OUT):
            # The article's first pages are kept (its cleaning and script are left to the pipelines).
            if first is not None:
                yield first
            if result.kind == ERROR:
                name = result.reason.split(":", 1)[0]
                self.crawler.stats.inc_value(f"caiji/extract_error/{name}")
                self.reject(response.url, f"extraction error: {result.reason[:250]}", "extract")
            else:
                self.reject(response.url, result.reason, "extract")
            return
        if result.kind == NO_ARTICLE:
            again = self.render_again(response, "article", result.shell)
            if again is not None:
                yield again
            elif first is not None:
                # A continuation page without text: the article ends here.
                yield first
            else:
                note = self.render.note(response, result.shell)
                self.reject(response.url, f"no article: {result.reason}{note}", "extract", result.item)
            return
        if result.kind == NEXT:
            yield scrapy.Request(
                result.next_url,
                callback=self.parse_article,
                errback=self.on_error,
                cb_kwargs={"first": ArticleItem(result.item), "pages": pages + 1},
                meta=self.article_meta(),
            )
            return
        yield FinishedArticle(result.item, schema_checked=result.schema_checked)

    def related_request(self, url: str) -> scrapy.Request | None:
        """A request for a related article an article page links to, or None (not followed)."""
        return None

    # --- errors ---------------------------------------------------------------------------

    def on_error(self, failure: Failure) -> Iterator[Any]:
        """Count and record a page that could not be fetched; keep a split article's first pages."""
        request = failure.request
        first = request.cb_kwargs.get("first") if request.cb_kwargs else None
        if first is not None:
            yield first
        if failure.check(IgnoreRequest) and not failure.check(HttpError):
            self.ignored(request.url, str(failure.value) or type(failure.value).__name__)
            return
        if failure.check(HttpError):
            status = failure.value.response.status
            self.crawler.stats.inc_value(f"caiji/http_status/{status}")
            self.reject(request.url, f"http {status}", "fetch")
        elif request.meta.get(RENDER_META):
            # The browser's own errors (a timeout, a crash, the page budget) say what went wrong.
            self.crawler.stats.inc_value(f"caiji/render/failed/{type(failure.value).__name__}")
            self.reject(request.url, f"render failed: {failure.getErrorMessage()[:300]}", "render")
        else:
            reason = type(failure.value).__name__
            self.crawler.stats.inc_value(f"caiji/fetch_error/{reason}")
            self.reject(request.url, f"fetch error: {reason}: {failure.getErrorMessage()[:200]}", "fetch")

    def ignored(self, url: str, message: str) -> None:
        """Count a page a middleware (or the charset check) refused, and record why."""
        self.crawler.stats.inc_value("caiji/ignored")
        if "robots.txt" in message:
            self.crawler.stats.inc_value("caiji/robots_forbidden")  # policy, not a fault
        else:
            self.reject(url, f"ignored: {message[:200]}", "fetch")

    def on_spider_error(self, failure: Failure, response: Response | Failure, spider: scrapy.Spider) -> None:
        """A callback that raised (a fault of ours on this page): the page is counted as failed and
        recorded with the error, not only logged; Scrapy logs the traceback."""
        if spider is not self:
            return
        # When an errback raised, Scrapy hands over the failure it was given, not a response.
        request = getattr(response, "request", None)
        url = getattr(response, "url", None) or getattr(request, "url", None)
        reason = type(failure.value).__name__
        self.crawler.stats.inc_value(f"caiji/extract_error/{reason}")
        self.reject(url or "", f"extraction error: {reason}: {failure.getErrorMessage()[:200]}", "extract")

    def in_scope(self, url: str) -> bool:
        """True for an address this crawl may fetch: the start URL's host."""
        return (urlsplit(url).hostname or "").lower() == (self.host or "").lower()

    def reject(self, url: str, reason: str, stage: str, record: ArticleItem | None = None) -> None:
        """Report a page that gives no record, with its reason (it lands in the rejects file)."""
        self.logger.info("Rejected %s (%s: %s)", url, stage, reason)
        self.crawler.signals.send_catch_log(
            signal=page_rejected, url=url, reason=reason, stage=stage, record=dict(record) if record else None
        )


class SiteSpider(PortalSpider):
    """A portal with rules of its own: home page (or ``sitemap.xml``) → list pages → articles.

    A site spider sets which links lead where (CSS selectors of ``href`` attributes, and the
    address patterns of list and article pages); ``scrapy genspider -t portal`` writes one.
    """

    #: Links on home and list pages to more list pages (sections, pagination), and to articles.
    list_links_css: ClassVar[str] = "a::attr(href)"
    article_links_css: ClassVar[str] = "a::attr(href)"
    #: Paths of list pages and of article pages on this portal.
    list_path: ClassVar[re.Pattern[str]] = re.compile(r"^$")
    article_path: ClassVar[re.Pattern[str]] = re.compile(r"^$")
    #: The portal's own host, which its sitemaps name; mapped onto a copy's host (demo, mirror).
    site_host: ClassVar[str | None] = None

    async def start(self) -> Any:
        path = urlsplit(self.start_url).path
        callback = self.parse_sitemap if path.endswith(".xml") else self.parse
        meta = {} if callback == self.parse_sitemap else self.render.direct()
        yield scrapy.Request(self.start_url, callback=callback, errback=self.on_error, meta=meta)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        """A home or list page: follow list pages and articles."""
        if not is_html(response):
            self.reject(response.url, "not html", "fetch")
            return
        self.crawler.stats.inc_value("caiji/pages_ok")
        lists = response_select(response, self.list_links_css)
        articles = response_select(response, self.article_links_css)
        list_urls = [u for u in (absolute_url(response.url, href) for href in lists) if u and self._is_list(u)]
        article_urls = [u for u in (absolute_url(response.url, href) for href in articles) if u and self._is_article(u)]
        # No links in the page as sent: perhaps a script lists them.
        again = note = None
        if not list_urls and not article_urls:
            again = self.render_again(response, "list")
            note = self.render.note(response) if again is None else None
        release(response)
        if note:
            self.reject(response.url, f"no links to list or article pages{note}", "extract")
        if again is not None:
            yield again
        for url in list_urls:
            yield scrapy.Request(url, callback=self.parse, errback=self.on_error, meta=self.render.direct())
        for url in article_urls:
            request = self.article_request(url)
            if request:
                yield request

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        """A sitemap or sitemap index; its hosts are mapped onto the start URL's host."""
        try:
            sitemap = Sitemap(response.body)
        except Exception as exc:  # lxml raises several types on broken XML
            self.reject(response.url, f"unreadable sitemap: {exc}", "fetch")
            return
        self.crawler.stats.inc_value("caiji/pages_ok")
        for entry in sitemap:
            url = self._localize(entry["loc"])
            path = urlsplit(url).path
            if sitemap.type == "sitemapindex":
                yield scrapy.Request(url, callback=self.parse_sitemap, errback=self.on_error)
            elif self.article_path.search(path):
                request = self.article_request(url)
                if request:
                    yield request

    def related_request(self, url: str) -> scrapy.Request | None:
        # Related lists lead to articles that no list page may show any more. Most were asked for
        # already: no need to look at their address.
        if url in self._requested or not self._is_article(url):
            return None
        return self.article_request(url)

    def _is_list(self, url: str) -> bool:
        return self._on_site(url) and bool(self.list_path.search(urlsplit(url).path))

    def _is_article(self, url: str) -> bool:
        return self._on_site(url) and bool(self.article_path.search(urlsplit(url).path))

    def _on_site(self, url: str) -> bool:
        return urlsplit(url).hostname == self.host

    def _localize(self, url: str) -> str:
        # Sitemaps of a copy (the bundled demo, a mirror) still name the real host.
        parts = urlsplit(url)
        if parts.hostname == self.site_host and self.host != self.site_host:
            start = urlsplit(self.start_url)
            return urlunsplit((start.scheme, start.netloc, parts.path, parts.query, ""))
        return url
