"""每日頭條 (tftnews): home page or sitemap → categories → list pages → articles."""

from __future__ import annotations

import re

from crawler.spiders.base import SiteSpider


class TftnewsSpider(SiteSpider):
    """Crawls tftnews from its home page (or ``sitemap.xml``) down to every article."""

    name = "tftnews"
    rules_name = "tftnews"
    default_start_url = "https://www.tftnews.com/"
    site_host = "www.tftnews.com"

    # Categories come from the home page's channel blocks and list pages' pagination; the nav
    # bar also links sections this portal copy does not hold.
    list_links_css = ".channel a::attr(href), .pagination a::attr(href)"
    article_links_css = ".news-list a.news-title::attr(href), .channel a.news-title::attr(href)"
    list_path = re.compile(r"/category/[\w-]+/(?:\d+\.html)?$")
    article_path = re.compile(r"/news/\d+\.html$")
    related_links_css = ".related a.related-link::attr(href)"
