"""每日頭條 (tftnews): home page or sitemap → categories → list pages → articles."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import scrapy
from scrapy.http import Response
from scrapy.utils.sitemap import Sitemap

from crawler.extraction.charset import is_html
from crawler.extraction.css import release, response_select
from crawler.extraction.html import absolute_url
from crawler.spiders.base import PortalSpider

_ARTICLE = re.compile(r"/news/\d+\.html$")
_LIST = re.compile(r"/category/[\w-]+/(?:\d+\.html)?$")


class TftnewsSpider(PortalSpider):
    """Crawls tftnews from its home page (or ``sitemap.xml``) down to every article."""

    name = "tftnews"
    rules_name = "tftnews"
    default_start_url = "https://www.tftnews.com/"
    site_host = "www.tftnews.com"

    async def start(self) -> Any:
        path = urlsplit(self.start_url).path
        callback = self.parse_sitemap if path.endswith(".xml") else self.parse
        yield scrapy.Request(self.start_url, callback=callback, errback=self.on_error)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        """A home or list page: follow categories, pagination and articles."""
        if not is_html(response):
            self.reject(response.url, "not html", "fetch")
            return
        self.crawler.stats.inc_value("caiji/pages_ok")
        # Categories come from the home page's channel blocks and list pages' pagination; the nav
        # bar also links sections this portal copy does not hold.
        lists = response_select(response, ".channel a::attr(href), .pagination a::attr(href)")
        articles = response_select(response, ".news-list a.news-title::attr(href), .channel a.news-title::attr(href)")
        release(response)
        for href in lists:
            url = absolute_url(response.url, href)
            if url and self._on_site(url) and _LIST.search(urlsplit(url).path):
                yield scrapy.Request(url, callback=self.parse, errback=self.on_error)
        for href in articles:
            url = absolute_url(response.url, href)
            if url and self._on_site(url) and _ARTICLE.search(urlsplit(url).path):
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
            elif _ARTICLE.search(path):
                request = self.article_request(url)
                if request:
                    yield request

    def parse_article(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        # Everything is read from the page before anything is handed on, and then its parsed tree
        # is let go: Scrapy may take a while to take the outputs, and the response waits with them.
        outputs = list(super().parse_article(response, **kwargs))
        # Related lists lead to articles that no list page may show any more.
        related = response_select(response, ".related a.related-link::attr(href)") if is_html(response) else []
        release(response)
        yield from outputs
        for href in related:
            url = absolute_url(response.url, href)
            # Most related articles were asked for already: no need to look at their address.
            if url and url not in self._requested and self._on_site(url) and _ARTICLE.search(urlsplit(url).path):
                request = self.article_request(url)
                if request:
                    yield request

    def _on_site(self, url: str) -> bool:
        return urlsplit(url).hostname == self.host

    def _localize(self, url: str) -> str:
        # Sitemaps of a copy (the bundled demo, a mirror) still name the real host.
        parts = urlsplit(url)
        if parts.hostname == self.site_host and self.host != self.site_host:
            start = urlsplit(self.start_url)
            return urlunsplit((start.scheme, start.netloc, parts.path, parts.query, ""))
        return url
