"""scrapy-playwright and Playwright, imported only here and only once a page needs the browser."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page
from playwright.async_api import TimeoutError as PlaywrightTimeoutError
from scrapy.crawler import Crawler
from scrapy.http import Request
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler
from scrapy_playwright.page import PageMethod

from crawler.internals import start_playwright_handler

#: Words of Playwright's messages when the browser or the page's renderer went away.
CRASH_WORDS = ("crash", "has been closed", "browser closed", "disconnected", "target closed")


class _FailedPageLine(logging.Filter):
    """scrapy-playwright logs a page that failed with its traceback; caiji records the failure as a
    rejection with its reason, so one line is enough."""

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("Closing page due to failed request"):
            record.exc_info = None
        return True


async def start(
    crawler: Crawler, should_abort: Callable[[Any], bool], fence: tuple[str, list[str]] | None = None
) -> ScrapyPlaywrightDownloadHandler:
    """scrapy-playwright's download handler, launched, with ``should_abort`` judging every request
    the browser makes (scrapy-playwright routes them all through it).

    ``fence`` (a proxy address that refuses connections, and the hosts that bypass it) keeps the
    browser itself to those hosts: Chromium follows redirects without routing them, so a script
    could otherwise be sent on to another host by a server it may reach.
    """
    playwright_logger = logging.getLogger("scrapy-playwright")
    if not any(isinstance(f, _FailedPageLine) for f in playwright_logger.filters):
        playwright_logger.addFilter(_FailedPageLine())
    handler = ScrapyPlaywrightDownloadHandler.from_crawler(crawler)
    handler.abort_request = should_abort
    options = handler.config.launch_options
    if fence is not None and "proxy" not in options:
        server, hosts = fence
        # "<-loopback>" (first: Chromium reads the rules in order) sends loopback addresses, which
        # it would otherwise reach directly, through the proxy too unless listed after it.
        handler.config.launch_options = {**options, "proxy": {"server": server, "bypass": ",".join(["<-loopback>", *hosts])}}
    await start_playwright_handler(handler)
    return handler


#: Request meta key: a small dict in which :func:`opened` notes when the browser opened the page.
CLOCK = "caiji_render_clock"


def page_meta(timeout: float, wait_css: str | None, timezone: str) -> dict:
    """Request meta for scrapy-playwright: load the page, then wait (within ``timeout`` seconds in
    all, from when the page is opened) until ``wait_css`` matches, or, without one, until the
    network is idle. Plain data and module functions only: a retried request may be pickled
    (distributed mode's queue)."""
    clock: dict[str, float] = {}
    return {
        "playwright": True,
        CLOCK: clock,
        "playwright_page_init_callback": opened,
        "playwright_page_goto_kwargs": {"wait_until": "load", "timeout": timeout * 1000},
        "playwright_page_methods": [PageMethod(wait_for_content, clock, wait_css, timeout)],
        # Used when the browser context is made (the first page): times a script prints from
        # epoch seconds come out in the site's timezone, as its readers see them.
        "playwright_context_kwargs": {"locale": "zh-CN", "timezone_id": timezone, "service_workers": "block"},
    }


async def opened(page: Page, request: Request) -> None:
    """Note when the page was opened: a page waiting for a free tab has not used its time yet."""
    request.meta[CLOCK]["opened"] = time.monotonic()


async def wait_for_content(page: Page, clock: dict[str, float], wait_css: str | None, timeout: float) -> None:
    """Wait until the page's script has built it: ``wait_css`` matches, or the network is idle."""
    remaining = max(0.1, clock.get("opened", time.monotonic()) + timeout - time.monotonic()) * 1000
    if wait_css:
        await page.wait_for_selector(wait_css, state="attached", timeout=remaining)
    else:
        await page.wait_for_load_state("networkidle", timeout=remaining)


def failure(exc: BaseException, timeout: float) -> str | None:
    """Why rendering failed, in one line, for a browser's error; None for any other error."""
    if isinstance(exc, PlaywrightTimeoutError):
        return f"timed out after {timeout:g} s (CAIJI_RENDER_TIMEOUT): {_first_line(exc)}"
    if isinstance(exc, PlaywrightError):
        message = _first_line(exc)
        if "Executable doesn't exist" in message or "Failed to launch" in message:
            return f"cannot start the browser (CAIJI_BROWSER_PATH): {message}"
        return message
    return None


def crashed(exc: BaseException) -> bool:
    """True when the error says the browser or the page's renderer went away."""
    message = str(exc).lower()
    return isinstance(exc, PlaywrightError) and any(word in message for word in CRASH_WORDS)


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "message", None) or exc).strip()
    return (text.splitlines() or [type(exc).__name__])[0][:300]
