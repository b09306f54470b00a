"""晨光快讯 (jsnews): home page → list pages → articles, every page built by JavaScript."""

from __future__ import annotations

import re

from crawler.spiders.base import SiteSpider


class JsnewsSpider(SiteSpider):
    """Crawls jsnews from its home page; its rules have the browser build the pages (render = "all")."""

    name = "jsnews"
    rules_name = "jsnews"
    default_start_url = "https://www.jsnews.example.cn/"
    site_host = "www.jsnews.example.cn"

    list_links_css = ".channels a::attr(href), .pagination a::attr(href)"
    article_links_css = ".news-list a.news-title::attr(href)"
    list_path = re.compile(r"^/(?:list/\d+\.html)?$")
    article_path = re.compile(r"^/(?:article|next)/\d+\.html$")
    related_links_css = ".related a.related-link::attr(href)"
