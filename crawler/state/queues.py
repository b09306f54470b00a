"""Scheduler memory queues that hold requests as compact bytes (``SCHEDULER_MEMORY_QUEUE``).

Why: a portal's related-article links point all over the site, so early in a crawl most of its
article requests are waiting in the scheduler (~13,500 at once on the 20,000-article benchmark
portal). Scrapy's memory queues keep each one as a live ``Request``, and with it its ``Headers``
(the Referer), its trackref and weak-cache entries (fingerprint, parsed URL): about 2 KB a
request, ~20 MB of peak RSS at 20,000 articles (bench/run.py, ``BENCH_RSS_TRACE=1``). These
queues keep what Scrapy's disk queues keep, the request's dict (``Request.to_dict`` with the
callback and errback as spider method names), as ``marshal`` bytes: about 300 bytes a request.
The request is rebuilt with Scrapy's ``request_from_dict`` when it is popped, which is what a
crawl with ``JOBDIR`` does for every request.

``marshal`` rather than ``pickle``: it takes only plain built-in values (str, bytes, numbers,
lists, dicts, …; no subclasses), so a request whose ``meta`` or ``cb_kwargs`` hold anything else
(a split article's continuation carries the first page's item) is kept as the object itself,
as Scrapy's scheduler keeps a request its disk queue cannot serialize; such an object is never
copied behind the spider's back. So is a request whose callback or errback is not a method of
the spider (a lambda, another object's method, ``NO_CALLBACK``).

Order is that of Scrapy's queue of the same name (``scrapy.squeues.LifoMemoryQueue`` is
Scrapy's default): priorities are left to ``SCHEDULER_PRIORITY_QUEUE``, which keeps one of these
queues per priority (and download slot). Distributed mode (crawler/distributed/addon.py) replaces the
whole scheduler with scrapy-redis, which does not use ``SCHEDULER_MEMORY_QUEUE``.
"""

from __future__ import annotations

import marshal
from collections import deque
from typing import TYPE_CHECKING, Any

from scrapy import Request
from scrapy.utils.request import request_from_dict

from crawler.internals import spider_method_name

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

#: Stats key: requests kept as objects because they could not be serialized.
KEPT_STAT = "scheduler/memory/unserialized"


def _method_name(spider: Spider, func: Any) -> str | None:
    """The name of the spider method ``func`` is bound to (as ``Request.to_dict`` finds it).

    ValueError when it is not a method of this spider. Scrapy's own look-up runs
    ``inspect.getmembers`` on the spider each time (~0.25 ms); the method's own name is checked
    first, and Scrapy's look-up is the fallback (a method renamed by a decorator, an alias).
    """
    if func is None:
        return None
    if getattr(func, "__self__", None) is not spider:
        raise ValueError(f"{func!r} is not a method of the spider")
    function = func.__func__
    name = function.__name__
    if getattr(getattr(spider, name, None), "__func__", None) is function:
        return name
    return spider_method_name(spider, func)


def request_to_bytes(request: Request, spider: Spider) -> bytes:
    """``request.to_dict(spider=spider)`` as marshal bytes; ValueError when it cannot be."""
    # The body of Request.to_dict, with the faster method look-up (tests/test_queues.py checks
    # that both give the same dict).
    data: dict[str, Any] = {
        "url": request.url,
        "callback": _method_name(spider, request.callback),
        "errback": _method_name(spider, request.errback),
        "headers": dict(request.headers),
    }
    for attr in request.attributes:
        data.setdefault(attr, getattr(request, attr))
    if type(request) is not Request:
        data["_class"] = type(request).__module__ + "." + type(request).__name__
    return marshal.dumps(data)  # ValueError: unmarshallable object


def request_from_bytes(blob: bytes, spider: Spider) -> Request:
    """The request ``request_to_bytes`` serialized."""
    return request_from_dict(marshal.loads(blob), spider=spider)


class CompactFifoMemoryQueue:
    """FIFO memory queue of requests as marshal bytes; unserializable requests are kept as they are.

    Built by Scrapy's priority queue with ``build_from_crawler(cls, crawler, key)``.
    """

    def __init__(self, crawler: Crawler, key: str = "") -> None:
        self.crawler = crawler
        self.spider = crawler.spider
        self.stats = crawler.stats
        self.q: deque[bytes | Request] = deque()

    @classmethod
    def from_crawler(cls, crawler: Crawler, key: str = "", *args: Any, **kwargs: Any) -> CompactFifoMemoryQueue:
        return cls(crawler, key)

    def push(self, request: Request) -> None:
        try:
            self.q.append(request_to_bytes(request, self.spider))
        except ValueError:
            self.q.append(request)
            self.stats.inc_value(KEPT_STAT)

    def _take(self) -> bytes | Request:
        return self.q.popleft()

    def _next(self) -> bytes | Request:
        return self.q[0]

    def _load(self, entry: bytes | Request) -> Request:
        return request_from_bytes(entry, self.spider) if isinstance(entry, bytes) else entry

    def pop(self) -> Request | None:
        return self._load(self._take()) if self.q else None

    def peek(self) -> Request | None:
        """The request ``pop`` returns next, left in the queue (a fresh object each time)."""
        return self._load(self._next()) if self.q else None

    def close(self) -> None:
        self.q.clear()

    def __len__(self) -> int:
        return len(self.q)


class CompactLifoMemoryQueue(CompactFifoMemoryQueue):
    """LIFO memory queue of requests as marshal bytes: ``scrapy.squeues.LifoMemoryQueue``'s order."""

    def _take(self) -> bytes | Request:
        return self.q.pop()

    def _next(self) -> bytes | Request:
        return self.q[-1]
