"""Where a crawl may go: addresses, schemes, hosts (issue 6)."""

import pytest
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request

from crawler.extraction.html import absolute_url
from crawler.spiders.generic import GenericSpider
from crawler.spiders.middlewares import ScopeMiddleware, is_private_host
from crawler.spiders.tftnews import TftnewsSpider
from crawler.state.run import safe_name

pytestmark = pytest.mark.pure


@pytest.mark.parametrize(
    ("host", "private"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("10.1.2.3", True),
        ("172.16.0.9", True),
        ("192.168.1.1", True),
        ("169.254.169.254", True),  # cloud metadata
        ("[::1]", True),
        ("0.0.0.0", True),
        ("www.tftnews.com", False),
        ("8.8.8.8", False),
    ],
)
def test_is_private_host(host, private):
    assert is_private_host(host) is private


def scope_for(spider_cls, start_url, **kwargs):
    crawler = Crawler(spider_cls, {})
    crawler.spider = spider_cls.from_crawler(crawler, start_url=start_url, **kwargs)
    return ScopeMiddleware(crawler)


@pytest.mark.parametrize(
    ("start", "url", "allowed"),
    [
        ("https://news.example.cn/", "https://news.example.cn/a/1.html", True),
        ("https://news.example.cn/", "https://other.example.cn/a/1.html", False),
        ("https://news.example.cn/", "http://10.0.0.5/admin", False),
        ("https://news.example.cn/", "http://127.0.0.1:8800/", False),
        ("https://news.example.cn/", "file:///etc/passwd", False),
        ("https://news.example.cn/", "data:text/html,hi", False),
        ("http://127.0.0.1:8800/", "http://127.0.0.1:8800/news/1.html", True),  # the demo portal
        ("http://127.0.0.1:8800/", "http://10.0.0.5/", False),  # but no other private host
    ],
)
def test_generic_scope(start, url, allowed):
    scope = scope_for(GenericSpider, start)
    if allowed:
        assert scope.process_request(Request(url)) is None
    else:
        with pytest.raises(IgnoreRequest):
            scope.process_request(Request(url))


def test_subdomains_only_when_allowed():
    url = "https://m.example.cn/a/1.html"
    with pytest.raises(IgnoreRequest):
        scope_for(GenericSpider, "https://www.example.cn/").process_request(Request(url))
    assert scope_for(GenericSpider, "https://www.example.cn/", allow_subdomains="1").process_request(Request(url)) is None


def test_site_spider_stays_on_its_copy():
    scope = scope_for(TftnewsSpider, "http://127.0.0.1:8800/")
    with pytest.raises(IgnoreRequest):
        scope.process_request(Request("https://www.tftnews.com/news/1000.html"))


@pytest.mark.parametrize(
    ("base", "href", "expected"),
    [
        ("https://a.cn/x/", "1.html", "https://a.cn/x/1.html"),
        ("https://a.cn/x/", "javascript:void(0)", None),
        ("https://a.cn/x/", "data:image/png;base64,AAAA", None),
        ("https://a.cn/x/", "file:///etc/passwd", None),
        ("https://a.cn/x/", "http://[::1", None),  # broken IPv6 host
        ("https://a.cn/x/", "#top", None),
        ("file:///tmp/page.html", "img/a.jpg", "file:///tmp/img/a.jpg"),
    ],
)
def test_absolute_url(base, href, expected):
    assert absolute_url(base, href) == expected


@pytest.mark.parametrize("name", ["..", "../x", "a/b", "/etc", "", ".hidden", "a" * 100])
def test_unsafe_names(name):
    with pytest.raises(ValueError):
        safe_name(name, "spider name")
