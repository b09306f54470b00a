"""``generic``: any portal from its start page, staying on its host, with the generic rules."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import UsageError
from scrapy.http import Response

from crawler.extraction.charset import is_html
from crawler.extraction.css import response_selector
from crawler.extraction.html import absolute_url
from crawler.extraction.text import clean_text
from crawler.spiders.base import PortalSpider
from crawler.spiders.links import is_pagination, link_kind


class GenericSpider(PortalSpider):
    """Crawls the list pages of any portal down to its articles (``-a start_url=URL``).

    Arguments: ``max_pages`` (stop after this many pages), ``max_depth`` (list pages followed
    from the start page, default 3), ``allow_subdomains=1`` (follow links to subdomains too).
    """

    name = "generic"
    rules_name = "generic"
    incremental_by_default = False
    # Portals nobody wrote rules for show their times less reliably than a site's own rules read
    # them: the finished-crawl check asks for half the records to have one (-s to change).
    custom_settings = {"CAIJI_MIN_TIMESTAMP_COVERAGE": 0.5}

    def __init__(
        self,
        start_url: str | None = None,
        max_pages: str | int | None = None,
        max_depth: str | int = 3,
        allow_subdomains: str | int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(start_url, **kwargs)
        self.max_pages = _positive_int(max_pages, "max_pages") if max_pages not in (None, "") else None
        self.max_depth = _positive_int(max_depth, "max_depth")
        self.allow_subdomains = str(allow_subdomains or "0").lower() in ("1", "true", "yes")
        self.allowed_domains = [self.host]
        # Pages this crawl may still request (None: no limit); the start page is the first.
        self._budget = self.max_pages - 1 if self.max_pages else None

    async def start(self) -> Any:
        yield scrapy.Request(
            self.start_url, callback=self.parse, errback=self.on_error, cb_kwargs={"depth": 0}, meta=self.render.direct()
        )

    def parse(self, response: Response, depth: int = 0, **kwargs: Any) -> Iterator[Any]:
        """A list page: articles are extracted, sections and next pages followed to max_depth."""
        if not is_html(response):
            self.reject(response.url, "not html", "fetch")
            return
        self.crawler.stats.inc_value("caiji/pages_ok")
        seen: set[str] = set()
        articles: list[scrapy.Request] = []
        lists: list[scrapy.Request] = []
        article_links = 0
        for anchor in response_selector(response).xpath("//body//a[@href]"):
            url = absolute_url(response.url, anchor.root.get("href"))
            url = url.split("#", 1)[0] if url else None
            if url is None or url in seen or not self.on_site(url):
                continue
            seen.add(url)
            text = clean_text(" ".join(anchor.xpath(".//text()").getall()))
            kind = link_kind(url, text)
            if kind == "article":
                article_links += 1
                request = self.article_request(url)
                if request is not None:
                    articles.append(request)
            elif kind == "list" and (depth < self.max_depth or (is_pagination(url, text) and depth < self.max_depth + 5)):
                lists.append(
                    scrapy.Request(
                        url,
                        callback=self.parse,
                        errback=self.on_error,
                        cb_kwargs={"depth": depth + 1},
                        priority=-depth - 1,
                        meta=self.render.direct(),
                    )
                )
        if not article_links:
            # No article links on the page as sent: a script shell is fetched again through the browser.
            again = self.render_again(response, "list")
            if again is not None:
                yield again
                return
            note = self.render.note(response)
            if note:
                self.reject(response.url, f"no links to articles{note}", "extract")
        # Articles first: with max_pages, the budget goes to what the crawl is for.
        for request in (*articles, *lists):
            if self._spend():
                yield request

    def _spend(self) -> bool:
        # Counted when requested, not when fetched: CLOSESPIDER_PAGECOUNT alone lets the
        # requests already in flight through, so max_pages=5 could fetch 20.
        if self._budget is None:
            return True
        if self._budget <= 0:
            return False
        self._budget -= 1
        return True

    def in_scope(self, url: str) -> bool:
        return self.on_site(url)

    def on_site(self, url: str) -> bool:
        """True for the start host (and its subdomains with ``allow_subdomains=1``)."""
        host = (urlsplit(url).hostname or "").lower()
        return host == self.host or (self.allow_subdomains and host.endswith("." + self.host.removeprefix("www.")))


def _positive_int(value: str | int, name: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise UsageError(f"-a {name} must be a whole number, not {value!r}") from None
    if number < 0:
        raise UsageError(f"-a {name} must not be negative")
    return number
