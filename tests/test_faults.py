"""A crawl over a portal that fails in every way a real one does (issue 6)."""

import re

import pytest
from scrapy import signals
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from crawler.checks.outcome import page_counts
from crawler.signals import page_rejected
from crawler.spiders.tftnews import TftnewsSpider
from tests.conftest import run_crawl
from tests.fault_portal import FAULTS, GOOD_WITH_FAULTS, FaultPortal


@pytest.fixture(scope="module")
def fault_crawl(tmp_path_factory):
    with FaultPortal(timeout_after=4.0) as portal:
        result = run_crawl(
            "tftnews",
            portal.url,
            tmp_path_factory.mktemp("faults"),
            "DOWNLOAD_TIMEOUT=2",
            "RETRY_TIMES=1",
            "DOWNLOAD_MAXSIZE=8388608",
            "CAIJI_MAX_ERROR_RATE=0.9",
        )
        yield result, dict(portal.hits)


def test_the_crawl_finishes_without_a_traceback(fault_crawl):
    result, _ = fault_crawl
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.code == 0, result.stderr[-3000:]


def test_every_good_article_once(fault_crawl):
    result, _ = fault_crawl
    ids = sorted(re.search(r"/news/(\d+)\.html", r["canonical_url"] or r["url"]).group(1) for r in result.records())
    assert ids == sorted(GOOD_WITH_FAULTS)


def test_every_bad_url_has_its_reason(fault_crawl):
    result, _ = fault_crawl
    rejects = {}
    for entry in result.rejects():
        match = re.search(r"/news/(\d+)\.html", entry["url"])
        if match:
            rejects[match.group(1)] = entry["reason"]
    for article_id, reason in FAULTS.items():
        if reason is None:
            assert article_id not in rejects, (article_id, rejects.get(article_id))
        else:
            assert reason in rejects.get(article_id, ""), (article_id, rejects.get(article_id))


def test_nothing_went_off_site(fault_crawl):
    result, hits = fault_crawl
    assert "stolen.html" not in str(hits)
    assert "redirect to private address 10.1.2.3" in str(result.rejects())
    assert "redirect to off-site host www.example.com" in str(result.rejects())


def test_damaged_pages_keep_what_they_hold(fault_crawl):
    result, _ = fault_crawl
    by_id = {re.search(r"/news/(\d+)\.html", r["url"]).group(1): r for r in result.records()}
    assert "抓组织领导" in by_id["3001"]["body"]
    assert "抓宣传教育" not in by_id["2013"]["body"]  # cut where the page was cut
    assert by_id["2014"]["title"] == "故障测试文章2014号"
    assert by_id["2017"]["title"] == "故障测试文章2017号"  # gzip: the charset is read from the page, not the stream


def test_an_error_in_a_callback_is_a_recorded_failure():
    # Scrapy only logs a callback's exception; the page must also be counted and recorded.
    crawler = get_crawler(TftnewsSpider)
    spider = crawler.spider = TftnewsSpider.from_crawler(crawler, start_url="https://www.tftnews.com/")
    rejected = []

    def receiver(url, reason, stage, record):
        rejected.append((url, reason, stage))

    crawler.signals.connect(receiver, signal=page_rejected)
    response = HtmlResponse("https://www.tftnews.com/news/1.html", body=b"<html></html>")
    failure = Failure(OverflowError("Python int too large to convert to C int"))
    crawler.signals.send_catch_log(signal=signals.spider_error, failure=failure, response=response, spider=spider)
    assert rejected == [(response.url, "extraction error: OverflowError: Python int too large to convert to C int", "extract")]
    assert page_counts({**crawler.stats.get_stats(), "response_received_count": 1}) == (1, 1)
    # An errback that raised: Scrapy hands over the failure it was given instead of a response.
    fetch_failure = Failure(ConnectionRefusedError("refused"))
    fetch_failure.request = Request("https://www.tftnews.com/news/2.html")
    crawler.signals.send_catch_log(signal=signals.spider_error, failure=failure, response=fetch_failure, spider=spider)
    assert rejected[-1][0] == "https://www.tftnews.com/news/2.html"
