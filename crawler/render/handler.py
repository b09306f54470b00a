"""The download handler of http(s) pages: Scrapy's, and a headless browser for the pages that ask.

A request whose meta holds ``caiji_render`` (crawler/spiders/rendering.py) is rendered by
scrapy-playwright in Chromium, started on the first such request; nothing of Playwright is
imported before it. Browser work is bounded: a page budget per crawl (``CAIJI_RENDER_MAX_PAGES``),
a time limit per page (``CAIJI_RENDER_TIMEOUT``), at most ``CAIJI_RENDER_CONCURRENCY`` pages open,
images/fonts/media and ad hosts blocked, and every request of a page's scripts held to the crawl's
scope. A page that cannot be rendered fails with :class:`RenderFailed`, which the spider records
as a rejection with its reason.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from typing import Any
from urllib.parse import urlsplit

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler
from scrapy.http import Request, Response

from crawler.signals import page_rejected
from crawler.spiders.middlewares import scope_problem
from crawler.spiders.rendering import RENDER_META

logger = logging.getLogger(__name__)

#: Addresses a page's scripts may use that are not fetched from anywhere.
LOCAL_SCHEMES = ("data", "blob", "about")


class RenderFailed(Exception):
    """A page the browser could not render; the message says why, in one line."""


class RenderingDownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 handler, which hands the requests marked for rendering to the browser."""

    lazy = False

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        self.crawler = crawler
        self.timeout = settings.getfloat("CAIJI_RENDER_TIMEOUT", 20)
        self.max_pages = settings.getint("CAIJI_RENDER_MAX_PAGES", 2000)
        self.block_types = frozenset(t.strip().lower() for t in settings.getlist("CAIJI_RENDER_BLOCK_TYPES"))
        self.block_hosts = tuple(h.strip().lower().lstrip(".") for h in settings.getlist("CAIJI_RENDER_BLOCK_HOSTS") if h.strip())
        self.allow_hosts = tuple(h.strip().lower().lstrip(".") for h in settings.getlist("CAIJI_RENDER_ALLOW_HOSTS") if h.strip())
        # What the add-on put there (CAIJI_BROWSER_PATH, else Chromium on PATH) unless the user
        # named a browser in PLAYWRIGHT_LAUNCH_OPTIONS: the one that is launched.
        self.executable = settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS").get("executable_path")
        self.browser: Any = None  # scrapy-playwright's handler, once a page asked for it
        self._starting = asyncio.Lock()
        self._pages = 0
        self._reported: set[tuple[str, str]] = set()
        self._refusing: socket.socket | None = None

    async def download_request(self, request: Request) -> Response:
        if not request.meta.get(RENDER_META):
            return await super().download_request(request)
        return await self.render(request)

    async def render(self, request: Request) -> Response:
        """``request``'s page as the browser leaves it once its script has built it."""
        stats = self.crawler.stats
        if self.max_pages and self._pages >= self.max_pages:
            stats.inc_value("caiji/render/over_budget")
            raise RenderFailed(f"the crawl's budget of {self.max_pages} rendered pages is spent (CAIJI_RENDER_MAX_PAGES)")
        self._pages += 1
        browser = await self._browser()
        from crawler.render import browser as pages

        started = time.monotonic()
        spider = self.crawler.spider
        rules = getattr(spider, "rules", None)
        request.meta.update(
            pages.page_meta(
                timeout=self.timeout,
                wait_css=getattr(rules, "render_wait_css", None),
                timezone=rules.timezone_for(request.url) if rules is not None else "Asia/Shanghai",
            )
        )
        stats.inc_value("caiji/render/pages")
        for attempt in (1, 2):
            try:
                response = await browser.download_request(request)
            except Exception as exc:
                reason = pages.failure(exc, self.timeout)
                if reason is None:
                    raise
                if attempt == 1 and pages.crashed(exc):
                    # The browser (or the page's renderer) died: scrapy-playwright starts a new
                    # one for the next page; this one is tried once more on it.
                    stats.inc_value("caiji/render/browser_restarts")
                    logger.warning("Browser crashed while rendering %s (%s): trying it once more", request.url, reason)
                    await asyncio.sleep(0.5)
                    continue
                raise RenderFailed(reason) from None
            stats.inc_value("caiji/render/rendered")
            stats.inc_value("caiji/render/seconds", round(time.monotonic() - started, 3))
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    async def _browser(self) -> Any:
        # Started once, on the first page that asks; requests arriving meanwhile wait for it.
        async with self._starting:
            if self.browser is None:
                if self.executable is None:
                    raise RenderFailed(
                        "no browser: install Chromium (Debian: apt-get install chromium) or set CAIJI_BROWSER_PATH"
                    )
                from crawler.render import browser as pages

                logger.info("Starting the browser for pages that need one: %s", self.executable)
                self.browser = await pages.start(self.crawler, self.should_abort, self._fence())
            return self.browser

    def _fence(self) -> tuple[str, list[str]]:
        # A port bound and never listened on: connections to it are refused for the whole crawl.
        if self._refusing is None:
            self._refusing = socket.socket()
            self._refusing.bind(("127.0.0.1", 0))
        spider = self.crawler.spider
        host = (getattr(spider, "host", None) or "").lower()
        hosts = [host] if host else []
        if getattr(spider, "allow_subdomains", False):
            hosts.append("*." + host.removeprefix("www."))
        for allowed in self.allow_hosts:
            hosts += [allowed, "*." + allowed]
        return f"http://127.0.0.1:{self._refusing.getsockname()[1]}", hosts

    def should_abort(self, request: Any) -> bool:
        """True for a request of a page's script (or the page's own resources) the browser must not make."""
        url = request.url
        scheme = urlsplit(url).scheme
        if scheme in LOCAL_SCHEMES:
            return False
        stats = self.crawler.stats
        if request.resource_type in self.block_types:
            stats.inc_value(f"caiji/render/blocked/{request.resource_type}")
            return True
        host = (urlsplit(url).hostname or "").lower()
        if any(host == h or host.endswith("." + h) for h in self.block_hosts):
            stats.inc_value("caiji/render/blocked/ad_host")
            return True
        problem = scope_problem(url, self.crawler.spider)
        if problem is None or (
            scheme in ("http", "https") and any(host == h or host.endswith("." + h) for h in self.allow_hosts)
        ):
            return False
        stats.inc_value("caiji/render/blocked/out_of_scope")
        self._record(request, problem)
        return True

    def _record(self, request: Any, problem: str) -> None:
        # Recorded under the page whose script asked, once per page and problem.
        try:
            origin = request.frame.page.url
        except Exception:  # a detached frame, a closing page
            origin = ""
        if (origin, problem) in self._reported:
            return
        self._reported.add((origin, problem))
        logger.warning("Blocked a script request of %s: %s (%s)", origin, problem, request.url[:200])
        self.crawler.signals.send_catch_log(
            signal=page_rejected,
            url=origin or request.url,
            reason=f"ignored: not followed: script request to {problem}",
            stage="render",
            record=None,
        )

    async def close(self) -> None:
        await super().close()
        if self.browser is not None:
            await self.browser.close()
            self.browser = None
        if self._refusing is not None:
            self._refusing.close()
