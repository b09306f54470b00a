"""The private APIs of Scrapy, parsel and lxml behind crawler/internals.py still work as caiji uses them.

Each test fails with a message that names the API and the versions caiji was written against, so
an upgrade that changes one is found here and not as a slow or wrong crawl.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import lxml
import parsel
import scrapy
from lxml import html as lxml_html
from parsel import Selector
from scrapy import Spider
from scrapy.http import HtmlResponse

from crawler.extraction.css import FastHTMLParser, install_fast_html_parser
from crawler.internals import (
    cached_selector,
    lxml_html_element_classes,
    set_cached_selector,
    set_parsel_html_parser,
    spider_method_name,
)

ROOT = Path(__file__).resolve().parent.parent
WRITTEN_AGAINST = "Scrapy 2.19.0, parsel 1.12.1, lxml 6.1.3"


def changed(what: str) -> str:
    installed = f"Scrapy {scrapy.__version__}, parsel {parsel.__version__}, lxml {lxml.__version__}"
    return f"{what} changed: crawler/internals.py was written against {WRITTEN_AGAINST}, installed is {installed}"


def test_parsel_builds_html_trees_with_the_parser_caiji_sets():
    install_fast_html_parser()
    root = Selector(text="<html><body><p>正文</p></body></html>").root
    assert isinstance(root.getroottree().parser, FastHTMLParser), changed("parsel's parser table (parsel.selector._ctgroup)")
    # Setting it again is a no-op that still reports the parser in place.
    assert set_parsel_html_parser(FastHTMLParser, replaces=lxml_html.HTMLParser), changed("parsel.selector._ctgroup")


def test_lxml_html_element_classes_are_readable():
    classes = lxml_html_element_classes()
    assert classes.get("form") is lxml_html.FormElement, changed("lxml.html.HtmlElementClassLookup._element_classes")
    assert classes.get("input") is lxml_html.InputElement, changed("lxml.html.HtmlElementClassLookup._element_classes")


def test_a_responses_cached_selector_is_what_response_selector_returns():
    response = HtmlResponse(url="https://example.cn/a.html", body=b"<html><body><p>x</p></body></html>", encoding="utf-8")
    assert cached_selector(response) is None, changed("Response._cached_selector (unset before the first use)")
    first = response.selector
    assert cached_selector(response) is first, changed("Response._cached_selector (where Scrapy caches response.selector)")
    other = Selector(text="<p>y</p>")
    set_cached_selector(response, other)
    assert response.selector is other, changed("Response._cached_selector (response.selector no longer returns it)")
    set_cached_selector(response, None)
    assert response.selector is not other and response.css("p::text").get() == "x", changed("Response._cached_selector")


class _Named(Spider):
    name = "named"

    def parse_article(self, response):
        return None

    def __private(self, response):
        return None

    def private_callback(self):
        return self.__private


def test_spider_method_names_are_found_as_request_to_dict_finds_them():
    spider = _Named()
    assert spider_method_name(spider, spider.parse_article) == "parse_article", changed("scrapy.http.request._find_method")
    assert spider_method_name(spider, spider.private_callback()) == "_Named__private", changed("scrapy.http.request._find_method")


ENGINE_SPIDER = """
import json
from scrapy import Spider
from crawler.internals import requests_in_progress, wake_engine

class EngineSpider(Spider):
    name = "engine"
    start_urls = ["data:text/html,<p>x</p>"]

    def parse(self, response):
        engine = self.crawler.engine
        held = requests_in_progress(engine)
        wake_engine(engine)
        with open(self.out, "w") as out:
            json.dump({"held": held is not None and response.request in held}, out)
"""


def test_the_engine_holds_a_request_until_its_callback_is_done(tmp_path):
    """``requests_in_progress`` and ``wake_engine`` in a real (tiny) crawl of a data: page."""
    script = tmp_path / "engine_spider.py"
    script.write_text(ENGINE_SPIDER)
    result = tmp_path / "result.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # In tmp_path, outside the project: Scrapy's own settings, so a data: URL may be fetched.
    proc = subprocess.run(
        [sys.executable, "-m", "scrapy", "runspider", str(script), "-s", "LOG_LEVEL=ERROR", "-a", f"out={result}"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.exists(), f"the engine spider did not run: {proc.stderr[-2000:]}"
    assert json.loads(result.read_text()) == {"held": True}, changed("ExecutionEngine._slot.inprogress")
    assert "Traceback" not in proc.stderr, changed("ExecutionEngine._slot.nextcall / closing") + "\n" + proc.stderr[-2000:]


def test_scrapy_playwright_handler_starts_as_caiji_starts_it():
    # crawler.internals.start_playwright_handler awaits the handler's _launch(), which scrapy-playwright
    # runs on engine_started; the rendered crawls of tests/test_rendering.py exercise it for real.
    import inspect

    import scrapy_playwright.handler as handler

    what = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler._launch"
    written = "scrapy-playwright 0.0.48"
    message = f"{what} changed: crawler/internals.py was written against {written}, installed is {handler.__version__}"
    launch = getattr(handler.ScrapyPlaywrightDownloadHandler, "_launch", None)
    assert launch is not None and inspect.iscoroutinefunction(launch), message
    assert list(inspect.signature(launch).parameters) == ["self"], message
