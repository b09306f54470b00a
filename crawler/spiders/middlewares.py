"""Downloader middlewares of crawl policy: where requests may go, and how soon a failed one is retried."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import CannotResolveHostError, IgnoreRequest
from scrapy.http import Request
from twisted.internet.error import DNSLookupError

from crawler.signals import page_rejected
from crawler.spiders.resolver import ScopedResolver, is_private_address


def is_private_host(host: str) -> bool:
    """True for ``localhost`` and literal loopback, private, link-local or reserved addresses."""
    host = host.strip("[]").lower()
    return host == "localhost" or host.endswith(".localhost") or is_private_address(host)


def scope_problem(url: str, spider: object) -> str | None:
    """Why a crawl by ``spider`` must not fetch ``url`` (not http(s), a private address other than
    the start host, off the spider's site), or None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return f"{parts.scheme}: address"
    host = (parts.hostname or "").lower()
    start_host = (getattr(spider, "host", None) or "").lower()
    if is_private_host(host) and host != start_host:
        return f"private address {host}"
    in_scope = getattr(spider, "in_scope", None)
    if in_scope is not None and not in_scope(url):
        return f"off-site host {host}"
    return None


class ScopeMiddleware:
    """Keeps every request, redirects included, on the spider's site and off private addresses.

    Links are filtered by the spiders; this also catches what a server redirects to, which Scrapy
    follows on its own. A private or loopback address is allowed only when the crawl started on
    that very host (the demo portal, tests). Requests are checked when scheduled, as Scrapy's
    OffsiteMiddleware does, which drops them without an errback: so the rejection is recorded
    here, under the page that redirected.

    Names are checked on their answers by crawler/spiders/resolver.py's ScopedResolver (the
    ``TWISTED_DNS_RESOLVER``), before any connection: a refused name fails to resolve, and its
    retry, or the failure itself when retries are off, is turned into a rejection here.
    """

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        crawler.signals.connect(self.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler) -> ScopeMiddleware:
        return cls(crawler)

    @property
    def resolver(self) -> ScopedResolver | None:
        """The reactor's name resolver when it is caiji's (``TWISTED_DNS_RESOLVER``).

        Looked up when needed: a CrawlerProcess may install it after the crawler is built.
        """
        from twisted.internet import reactor

        resolver = getattr(reactor, "nameResolver", None)
        return resolver if isinstance(resolver, ScopedResolver) else None

    def spider_opened(self, spider) -> None:
        resolver = self.resolver
        if resolver is not None and getattr(spider, "host", None):
            resolver.allow(spider.host)

    def problem(self, url: str) -> str | None:
        """Why the crawl must not fetch ``url``, or None."""
        problem = scope_problem(url, self.crawler.spider)
        if problem is None and (resolver := self.resolver) is not None:
            problem = resolver.refusal((urlsplit(url).hostname or "").lower())
        return problem

    def request_scheduled(self, request: Request, spider=None) -> None:
        problem = self.problem(request.url)
        if problem is None:
            return
        origin = (request.meta.get("redirect_urls") or [request.url])[0]
        how = "redirect to" if request.meta.get("redirect_urls") else "link to"
        self.crawler.stats.inc_value("caiji/out_of_scope")
        self.crawler.signals.send_catch_log(
            signal=page_rejected, url=origin, reason=f"ignored: not followed: {how} {problem}", stage="fetch", record=None
        )
        raise IgnoreRequest(f"not followed: {problem}")

    def process_request(self, request: Request, spider=None) -> None:
        problem = self.problem(request.url)
        if problem is not None:
            raise IgnoreRequest(f"not followed: {problem}")
        return None

    def process_exception(self, request: Request, exception: Exception, spider=None) -> None:
        # Reached when RetryMiddleware let the failure through (retries off or used up).
        resolver = self.resolver
        if isinstance(exception, CannotResolveHostError | DNSLookupError) and resolver is not None:
            refusal = resolver.refusal(urlsplit(request.url).hostname or "")
            if refusal:
                raise IgnoreRequest(f"not followed: {refusal}") from exception
        return None


class RetryBackoffMiddleware:
    """Waits before each retry, doubling from ``CAIJI_RETRY_BACKOFF`` up to ``CAIJI_RETRY_BACKOFF_MAX``
    seconds: Scrapy's RetryMiddleware retries at once, which hammers a portal that is struggling."""

    def __init__(self, base: float, cap: float) -> None:
        self.base = base
        self.cap = cap

    @classmethod
    def from_crawler(cls, crawler) -> RetryBackoffMiddleware:
        settings = crawler.settings
        return cls(settings.getfloat("CAIJI_RETRY_BACKOFF", 1.0), settings.getfloat("CAIJI_RETRY_BACKOFF_MAX", 30.0))

    async def process_request(self, request: Request, spider=None) -> None:
        retries = request.meta.get("retry_times", 0)
        if retries and self.base > 0:
            await asyncio.sleep(min(self.cap, self.base * 2 ** (retries - 1)))
        return None
