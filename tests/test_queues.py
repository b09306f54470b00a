"""The scheduler's compact memory queues (crawler/state/queues.py): round trips, fallback, order, a crawl."""

from __future__ import annotations

import functools
import marshal
import re
from datetime import datetime

import pytest
import scrapy
from queuelib.queue import FifoMemoryQueue, LifoMemoryQueue
from scrapy.core.scheduler import Scheduler
from scrapy.http import FormRequest, JsonRequest
from scrapy.pqueues import ScrapyPriorityQueue
from scrapy.utils.misc import load_object
from scrapy.utils.test import get_crawler

from crawler import settings as project_settings
from crawler.extraction.items import ArticleItem
from crawler.spiders.tftnews import TftnewsSpider
from crawler.state.queues import KEPT_STAT, CompactFifoMemoryQueue, CompactLifoMemoryQueue, request_to_bytes
from tests.conftest import PROJECT, run_crawl

START = "https://www.tftnews.com/"


def traced(method):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        return method(self, *args, **kwargs)

    return wrapper


class Spider(TftnewsSpider):
    """tftnews with two more kinds of callback: a decorated one and an alias."""

    name = "queue_test"

    @traced
    def parse_decorated(self, response, **kwargs):
        return None

    def _plain(self, response, **kwargs):
        return None

    parse_alias = _plain


def make_crawler(**settings):
    crawler = get_crawler(Spider, settings)
    crawler.spider = Spider.from_crawler(crawler, start_url=START)
    return crawler


@pytest.fixture
def crawler():
    return make_crawler()


def spider_requests(spider) -> list[scrapy.Request]:
    """Requests of every shape the queue should serialize."""
    return [
        spider.article_request(START + "news/1.html"),
        scrapy.Request(START + "category/minsu/", callback=spider.parse, errback=spider.on_error),
        scrapy.Request(
            START + "news/2.html",
            callback=spider.parse_article,
            errback=spider.on_error,
            cb_kwargs={"pages": 3, "note": "第二页", "ids": [1, 2], "pair": (1, "a")},
            meta={"depth": 2, "download_timeout": 7.5, "redirect_urls": [START + "x"], "flag": True, "none": None},
            headers={"Referer": START, "X-Many": ["a", "b"]},
            cookies={"session": "abc"},
            priority=-3,
            dont_filter=True,
            flags=["retried"],
            encoding="gbk",
        ),
        scrapy.Request(START + "post", method="POST", body=b"\x00\xffbody", callback=spider.parse_decorated),
        scrapy.Request(START + "alias", callback=spider.parse_alias),
        scrapy.Request(START + "no-callback"),
        FormRequest(START + "form", formdata={"q": "新闻"}, callback=spider.parse),
        JsonRequest(START + "json", data={"a": 1}, callback=spider.parse, dumps_kwargs={"sort_keys": True}),
    ]


def test_project_setting_names_the_compact_queue():
    assert project_settings.SCHEDULER_MEMORY_QUEUE == "crawler.state.queues.CompactLifoMemoryQueue"
    assert load_object(project_settings.SCHEDULER_MEMORY_QUEUE) is CompactLifoMemoryQueue


def test_bytes_are_scrapys_request_dict(crawler):
    # request_to_bytes copies Request.to_dict with a faster method look-up: both give the same.
    spider = crawler.spider
    for request in spider_requests(spider):
        assert marshal.loads(request_to_bytes(request, spider)) == request.to_dict(spider=spider), request


@pytest.mark.parametrize("queue_class", [CompactLifoMemoryQueue, CompactFifoMemoryQueue])
def test_round_trip(crawler, queue_class):
    spider = crawler.spider
    queue = queue_class.from_crawler(crawler, "")
    sent = spider_requests(spider)
    for request in sent:
        queue.push(request)
    assert all(isinstance(entry, bytes) for entry in queue.q), "every one of these is serializable"
    assert len(queue) == len(sent)
    got = [queue.pop() for _ in sent]
    assert queue.pop() is None and len(queue) == 0
    if queue_class is CompactLifoMemoryQueue:
        got.reverse()
    for before, after in zip(sent, got, strict=True):
        assert after is not before
        assert type(after) is type(before)
        assert after.to_dict(spider=spider) == before.to_dict(spider=spider)
        assert after.callback == before.callback and after.errback == before.errback
    assert got[0].callback == spider.parse_article and got[0].errback == spider.on_error
    assert got[2].cb_kwargs == {"pages": 3, "note": "第二页", "ids": [1, 2], "pair": (1, "a")}
    assert got[2].meta["redirect_urls"] == [START + "x"] and got[2].meta["download_timeout"] == 7.5
    assert (got[2].priority, got[2].dont_filter, got[2].flags, got[2].encoding) == (-3, True, ["retried"], "gbk")
    assert got[2].headers.getlist("X-Many") == [b"a", b"b"]
    assert got[3].method == "POST" and got[3].body == b"\x00\xffbody"
    assert got[3].callback == spider.parse_decorated
    assert got[4].callback == spider.parse_alias
    assert got[7].dumps_kwargs == {"sort_keys": True}
    assert crawler.stats.get_value(KEPT_STAT) is None


def test_unserializable_requests_are_kept_as_objects(crawler):
    spider = crawler.spider
    queue = CompactLifoMemoryQueue.from_crawler(crawler, "")
    first = ArticleItem(url=START + "news/1010.html", title="标题", body="第一关")

    class Tag(str):
        pass

    kept = [
        # A split article's continuation carries the first page's item (crawler/spiders/base.py).
        scrapy.Request(START + "news/1010_2.html", callback=spider.parse_article, cb_kwargs={"first": first, "pages": 2}),
        scrapy.Request(START + "lambda", callback=lambda response: None),
        scrapy.Request(START + "other", callback=make_crawler().spider.parse),  # another spider's method
        scrapy.Request(START + "subclass", callback=spider.parse, meta={"tag": Tag("x")}),
    ]
    plain = scrapy.Request(START + "plain", callback=spider.parse)
    for request in [kept[0], plain, *kept[1:]]:
        queue.push(request)
    assert [isinstance(entry, bytes) for entry in queue.q] == [False, True, False, False, False]
    assert crawler.stats.get_value(KEPT_STAT) == 4
    assert queue.peek() is kept[3]
    assert [queue.pop() for _ in range(3)] == kept[:0:-1]
    assert queue.pop().url == plain.url
    continuation = queue.pop()
    assert continuation is kept[0] and continuation.cb_kwargs["first"] is first
    assert queue.pop() is None


@pytest.mark.parametrize(
    ("compact", "reference"), [(CompactLifoMemoryQueue, LifoMemoryQueue), (CompactFifoMemoryQueue, FifoMemoryQueue)]
)
def test_order_is_queuelibs(crawler, compact, reference):
    spider = crawler.spider
    queue, expected = compact.from_crawler(crawler, ""), reference()
    lambdas = {}
    for step in range(30):
        if step % 7 == 3:
            # Interleave pops with pushes, and objects with bytes.
            request = queue.pop()
            assert request.url == expected.pop()
            assert request.callback in (spider.parse, lambdas.get(request.url))
            continue
        url = f"{START}news/{step}.html"
        callback = spider.parse
        if step % 5 == 0:
            callback = lambdas[url] = lambda response: None
        queue.push(scrapy.Request(url, callback=callback))
        expected.push(url)
        assert queue.peek().url == expected.peek()
    assert [queue.pop().url for _ in range(len(queue))] == [expected.pop() for _ in range(len(expected))]


def scheduled_order(memory_queue: str) -> list[str]:
    """URLs in the order a real Scheduler hands them out, with pushes and pops interleaved."""
    crawler = make_crawler(SCHEDULER_MEMORY_QUEUE=memory_queue, SCHEDULER_PRIORITY_QUEUE="scrapy.pqueues.ScrapyPriorityQueue")
    scheduler = Scheduler.from_crawler(crawler)
    scheduler.open(crawler.spider)
    assert isinstance(scheduler.mqs, ScrapyPriorityQueue)
    spider = crawler.spider
    first = ArticleItem(url=START + "news/0.html")
    order, pushed = [], set()
    for step in range(60):
        if step % 4 == 3:
            order.append(scheduler.next_request().url)
            continue
        url = f"{START}news/{step % 50}.html"  # some of the last ten are duplicates: filtered
        kwargs = {"cb_kwargs": {"first": first}} if step % 9 == 0 else {}
        request = scrapy.Request(url, callback=spider.parse_article, priority=(step * 7) % 5 - 2, **kwargs)
        assert scheduler.enqueue_request(request) is (url not in pushed)
        pushed.add(url)
    while scheduler.has_pending_requests():
        order.append(scheduler.next_request().url)
    scheduler.close("finished")
    return order


def test_priorities_come_out_in_scrapys_order():
    expected = scheduled_order("scrapy.squeues.LifoMemoryQueue")
    assert len(expected) == len(set(expected)) == 40
    assert scheduled_order("crawler.state.queues.CompactLifoMemoryQueue") == expected


# --- a real crawl of the demo portal ------------------------------------------------------------


def _comparable(records: list[dict]) -> list[dict]:
    # Times of the crawl itself: when it ran, and "3小時前"-style times it resolves against that.
    return sorted(({k: v for k, v in r.items() if k not in ("crawled_at", "timestamp")} for r in records), key=lambda r: r["url"])


def _timestamps(records: list[dict]) -> list[datetime | None]:
    by_url = sorted(records, key=lambda r: r["url"])
    return [datetime.fromisoformat(r["timestamp"]) if r["timestamp"] else None for r in by_url]


@pytest.fixture(scope="module")
def two_crawls(portal, tmp_path_factory):
    """The demo portal crawled with the project's queue and with Scrapy's default one."""
    compact = run_crawl("tftnews", portal.url, tmp_path_factory.mktemp("compact"))
    default = run_crawl(
        "tftnews", portal.url, tmp_path_factory.mktemp("default"), "SCHEDULER_MEMORY_QUEUE=scrapy.squeues.LifoMemoryQueue"
    )
    return compact, default


def test_demo_crawl_gives_the_same_records(two_crawls):
    compact, default = two_crawls
    assert compact.code == 0, compact.stderr[-3000:]
    assert default.code == 0, default.stderr[-3000:]
    assert "Traceback" not in compact.stderr
    records = _comparable(compact.records())
    assert len(records) >= 31
    assert records == _comparable(default.records())
    for one, other in zip(_timestamps(compact.records()), _timestamps(default.records()), strict=True):
        assert (one is None and other is None) or abs((one - other).total_seconds()) < 300
    assert [r["reason"] for r in compact.rejects()] == [r["reason"] for r in default.rejects()]


def test_demo_crawl_keeps_only_continuations_as_objects(two_crawls):
    compact, default = two_crawls
    # Continuation pages of split articles (1010_2.html …) carry the first page's item.
    continuations = len(list((PROJECT / "fixtures" / "portal" / "tftnews" / "news").glob("*_*.html")))
    assert continuations == 3
    assert re.search(rf"'{KEPT_STAT}': {continuations},", compact.stderr), compact.stderr[-3000:]
    assert KEPT_STAT not in default.stderr
    enqueued = int(re.search(r"'scheduler/enqueued/memory': (\d+)", compact.stderr).group(1))
    assert enqueued > 30
