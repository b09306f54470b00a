"""Private APIs of Scrapy, parsel, lxml and scrapy-playwright that caiji relies on, each behind one
named function.

Nothing else in caiji touches them. Written against Scrapy 2.19.0, parsel 1.12.1, lxml 6.1.3 and
scrapy-playwright 0.0.48 (pinned in pyproject.toml); tests/test_internals.py fails with a clear message when an upgrade
changes one of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lxml import etree
from scrapy.http import TextResponse


def set_parsel_html_parser(parser_class: type[etree.HTMLParser], replaces: type[etree.HTMLParser]) -> bool:
    """Make parsel build HTML trees with ``parser_class`` where it uses ``replaces``; True when it does now.

    parsel has no setting for it: its parser classes live in ``parsel.selector._ctgroup``.
    """
    from parsel import selector

    group = selector._ctgroup["html"]
    if group["_parser"] is replaces:
        group["_parser"] = parser_class
    return group["_parser"] is parser_class


def lxml_html_element_classes() -> dict[str, type]:
    """Tag name → element class, as ``lxml.html`` assigns them (form → FormElement, input → InputElement …)."""
    from lxml import html

    return dict(html.HtmlElementClassLookup()._element_classes)


def cached_selector(response: TextResponse) -> Any:
    """The selector Scrapy keeps on ``response`` once ``response.selector`` was asked for, or None."""
    return getattr(response, "_cached_selector", None)


def set_cached_selector(response: TextResponse, selector: Any) -> None:
    """What ``response.selector`` returns from now on (None: parse again when asked)."""
    response._cached_selector = selector


def requests_in_progress(engine: Any) -> Any:
    """The requests Scrapy's engine holds from leaving the scheduler until their items are through
    the pipelines (``scrapy.utils.engine.get_engine_status``'s ``len(engine._slot.inprogress)``);
    None when the engine has no slot (closed)."""
    slot = getattr(engine, "_slot", None)
    return getattr(slot, "inprogress", None)


def wake_engine(engine: Any) -> None:
    """Make Scrapy's engine ask the scheduler for requests again soon, unless it is closing.

    Scrapy has no public call for it: the engine's slot schedules its next loop (``nextcall``).
    """
    slot = getattr(engine, "_slot", None)
    if slot is not None and slot.closing is None:
        slot.nextcall.schedule()


def spider_method_name(spider: Any, func: Callable) -> str:
    """The name under which ``func`` is a method of ``spider``, as ``Request.to_dict`` finds it."""
    from scrapy.http.request import _find_method

    return _find_method(spider, func)


async def start_playwright_handler(handler: Any) -> None:
    """Start scrapy-playwright's download handler made after the engine started.

    It starts Playwright on the ``engine_started`` signal (``_launch``); caiji makes the handler
    only when a page first needs the browser, long after that signal.
    """
    await handler._launch()
