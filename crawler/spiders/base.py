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

from crawler.extraction.charset import is_html
from crawler.extraction.css import release, response_select
from crawler.extraction.html import absolute_url
from crawler.extraction.items import ArticleItem
from crawler.rules import Limits, NoArticle, Rules, get_rules
from crawler.signals import page_rejected
from crawler.spiders.rendering import RENDER_META, RenderPolicy, render_mode
from crawler.state.run import DatasetRun

#: A split article longer than this is cut: a 下一页 loop must not run forever.
MAX_ARTICLE_PAGES = 20


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
        kwargs["meta"] = {**self.render.direct(), **kwargs.get("meta", {})}
        return scrapy.Request(url, callback=self.parse_article, errback=self.on_error, **kwargs)

    def render_again(self, response: Response, kind: str) -> scrapy.Request | None:
        """The page fetched again through the browser, when the plain page gave nothing and the
        site rules or the page itself say a script builds it (once; the reason goes in the stats)."""
        reason = self.render.again(kind, response)
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

    def parse_article(self, response: Response, first: ArticleItem | None = None, pages: int = 1) -> Iterator[Any]:
        """Extract the article; follow 下一页 and merge continuation pages into one record."""
        if not is_html(response):
            if first is not None:
                yield first
            self.reject(
                response.url,
                f"not html: {response.headers.get(b'Content-Type', b'').decode('latin-1') or 'no content type'}",
                "fetch",
            )
            return
        self.crawler.stats.inc_value("caiji/pages_ok")
        try:
            item = self.rules.extract(response, datetime.now(UTC), self.limits)
        except NoArticle as exc:
            again = self.render_again(response, "article")
            if again is not None:
                yield again
            elif first is not None:
                # A continuation page without text: the article ends here.
                yield first
            else:
                self.reject(response.url, f"no article: {exc.reason}{self.render.note(response)}", "extract", exc.item)
            return
        if first is not None:
            item = self.rules.merge(first, item)
        next_url = self.rules.next_page(response)
        if next_url and next_url != response.url and pages < MAX_ARTICLE_PAGES:
            yield scrapy.Request(
                next_url,
                callback=self.parse_article,
                errback=self.on_error,
                cb_kwargs={"first": item, "pages": pages + 1},
                meta=self.render.direct(),
            )
            return
        yield item

    # --- errors ---------------------------------------------------------------------------

    def on_error(self, failure: Failure) -> Iterator[Any]:
        """Count and record a page that could not be fetched; keep a split article's first pages."""
        request = failure.request
        first = request.cb_kwargs.get("first") if request.cb_kwargs else None
        if first is not None:
            yield first
        if failure.check(IgnoreRequest) and not failure.check(HttpError):
            message = str(failure.value) or type(failure.value).__name__
            self.crawler.stats.inc_value("caiji/ignored")
            if "robots.txt" in message:
                self.crawler.stats.inc_value("caiji/robots_forbidden")  # policy, not a fault
            else:
                self.reject(request.url, f"ignored: {message[:200]}", "fetch")
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
    #: Links in an article to related articles, followed too (None: not followed).
    related_links_css: ClassVar[str | None] = None
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

    def parse_article(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        if self.related_links_css is None:
            yield from super().parse_article(response, **kwargs)
            return
        # Everything is read from the page before anything is handed on, and then its parsed tree
        # is let go: Scrapy may take a while to take the outputs, and the response waits with them.
        outputs = list(super().parse_article(response, **kwargs))
        # Related lists lead to articles that no list page may show any more.
        related = response_select(response, self.related_links_css) if is_html(response) else []
        release(response)
        yield from outputs
        for href in related:
            url = absolute_url(response.url, href)
            # Most related articles were asked for already: no need to look at their address.
            if url and url not in self._requested and self._is_article(url):
                request = self.article_request(url)
                if request:
                    yield request

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
