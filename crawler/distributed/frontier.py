"""The shared frontier of a distributed crawl: scrapy-redis, plus what it lacks for caiji.

Loaded only in distributed mode (crawler/distributed/addon.py sets ``SCHEDULER`` to this module's
:class:`Scheduler`). On top of scrapy-redis's queue and dupefilter:

- **No request lost to a killed worker.** A request leaves the queue and enters the worker's
  *processing* hash in one step (a Lua script), and leaves that hash only once Scrapy is done
  with it: downloaded, its callback run, the requests it yielded queued and its items through
  the pipelines (written and marked stored). A worker that dies leaves its entries behind; any
  worker puts them back on the queue once the dead one's heartbeat key has expired
  (``CAIJI_REDIS_DEAD_AFTER`` seconds), at start, every few seconds, and while waiting to close.
- **Workers stop together.** A worker with nothing to do waits (``DontCloseSpider``) while the
  queue holds requests or another live worker has requests in flight, whose callbacks may queue
  more; the second worker of a crawl does not close at once on an empty queue.
- **One crawl, then the next.** The first worker of a crawl names it (``SET NX``) and its start
  requests reach the queue once (the shared dupefilter drops the other workers' copies). A crawl
  stopped early (killed, interrupted) is resumed by the next workers; one that finished is reset
  (queue, dupefilter) by the last worker to stop, so that the next run starts from the top.
- **A record of the whole crawl.** Each worker keeps its entry (run id, pages, records, files …)
  in ``<prefix>:<spider>:crawl:<crawl id>``, which ``scrapy runs`` shows.
- Quiet on Scrapy 2.19: no ``inc_value(spider=)`` or ``Spider.log`` deprecation warnings.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from datetime import UTC, datetime
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.asyncio import create_looping_call
from scrapy.utils.misc import load_object
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler as RedisScheduler

from crawler.distributed.addon import DEFAULT_PREFIX
from crawler.distributed.store import heartbeat
from crawler.internals import requests_in_progress, wake_engine
from crawler.state.dupefilters import report_dropped_redirect
from crawler.state.run import DatasetRun

logger = logging.getLogger(__name__)

#: Crawls whose record ``scrapy runs`` can show; older ones are dropped from the list.
KEEP_CRAWLS = 50
#: Seconds a finished crawl's record is kept.
CRAWL_RECORD_TTL = 90 * 24 * 3600

# Drop finished requests (ARGV[2:]) from the worker's processing hash, pop the best request and
# record it there under ARGV[1], in one step.
_POP = """
if #ARGV > 1 then redis.call('HDEL', KEYS[2], unpack(ARGV, 2)) end
local r = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #r == 0 then return false end
redis.call('ZREM', KEYS[1], r[1])
redis.call('HSET', KEYS[2], ARGV[1], r[2] .. '\\n' .. r[1])
return r[1]
"""

# Queue a request (ARGV[2], priority score ARGV[3]) unless its fingerprint ARGV[1] is in the
# dupefilter (ARGV[1] empty: dont_filter); 1 if queued.
_PUSH = """
if ARGV[1] ~= '' and redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
return 1
"""

# Put every entry of a processing hash back on the queue, with its priority, and drop the hash.
_REQUEUE = """
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local v = all[i + 1]
  local nl = string.find(v, '\\n', 1, true)
  redis.call('ZADD', KEYS[2], tonumber(string.sub(v, 1, nl - 1)), string.sub(v, nl + 1))
end
redis.call('DEL', KEYS[1])
return #all / 2
"""

# Work left in the crawl: {queued requests, requests in flight at workers other than ARGV[2]},
# read in one step so that no request is missed between the queue and a processing hash.
_PENDING = """
local queued = redis.call('ZCARD', KEYS[1])
local inflight = 0
for _, w in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if w ~= ARGV[2] then inflight = inflight + redis.call('HLEN', ARGV[1] .. w) end
end
return {queued, inflight}
"""


class Keys:
    """Names of a spider's keys in Redis."""

    def __init__(self, prefix: str, spider: str) -> None:
        self.prefix = prefix
        self.base = f"{prefix}:{spider}"
        self.workers = f"{self.base}:workers"  # set: workers of the current crawl
        self.processing_prefix = f"{self.base}:processing:"  # hash per worker: claim id → score\nrequest
        self.crawl = f"{self.base}:crawl"  # string: the current crawl's id
        self.crawls = f"{self.base}:crawls"  # list: crawl ids, newest first

    def processing(self, worker: str) -> str:
        return self.processing_prefix + worker

    def alive(self, worker: str) -> str:
        return f"{self.prefix}:alive:{worker}"

    def record(self, crawl_id: str) -> str:
        return f"{self.base}:crawl:{crawl_id}"  # hash: worker → its run, as JSON; "_crawl" → the crawl


class ClaimingQueue(PriorityQueue):
    """scrapy-redis's priority queue whose pop also records the request as in flight at a worker."""

    processing_key: str = ""
    dupefilter_key: str = ""

    def __init__(self, server, spider, key, serializer=None) -> None:
        super().__init__(server, spider, key, serializer)
        self._pop = server.register_script(_POP)
        self._requeue = server.register_script(_REQUEUE)
        self._push = server.register_script(_PUSH)

    def push_new(self, request: Request, fingerprint: str) -> bool:
        """Queue ``request`` unless ``fingerprint`` was seen (empty: always); True if queued."""
        data = self._encode_request(request)
        return bool(self._push(keys=[self.dupefilter_key, self.key], args=[fingerprint, data, -request.priority]))

    def pop_claim(self, claim_id: str, finished: list[str] = ()) -> Request | None:
        """The best request, now recorded under ``claim_id`` in the processing hash.

        ``finished`` claims are dropped from that hash in the same step.
        """
        data = self._pop(keys=[self.key, self.processing_key], args=[claim_id, *finished])
        if not data:
            return None
        try:
            return self._decode_request(data)
        except Exception:
            logger.exception("Dropped a queued request that cannot be decoded")
            self.server.hdel(self.processing_key, claim_id)
            return None

    def pop(self, timeout: int = 0) -> Request | None:
        raise NotImplementedError("ClaimingQueue is popped with pop_claim()")

    def requeue(self, processing_key: str) -> int:
        """Put the requests of a processing hash back on the queue; how many there were."""
        return int(self._requeue(keys=[processing_key, self.key]))


class DupeFilter(RFPDupeFilter):
    """scrapy-redis's dupefilter, never emptied by a closing worker (the crawl may go on); a
    redirect it drops is recorded (crawler.state.dupefilters)."""

    def close(self, reason: str = "") -> None:
        pass

    def log(self, request: Request, spider) -> None:
        super().log(request, spider)
        report_dropped_redirect(request, spider)


class Scheduler(RedisScheduler):
    """scrapy-redis's scheduler with in-flight recovery, coordinated stop and a crawl record."""

    crawler: Crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Scheduler:
        instance = cls.from_settings(crawler.settings)
        instance.stats = crawler.stats
        instance.setup(crawler)
        return instance

    def setup(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.worker = settings.get("CAIJI_WORKER_ID") or ""
        self.dead_after = max(1.0, settings.getfloat("CAIJI_REDIS_DEAD_AFTER", 30))
        self.prefix = (settings.get("CAIJI_REDIS_PREFIX") or DEFAULT_PREFIX).strip()
        self.keys = Keys(self.prefix, crawler.spidercls.name)
        self.crawl_id: str | None = None
        self.run_id = ""
        self._claims: dict[Request, str] = {}
        self._claim_seq = 0
        self._tick = None
        self._pending = self.server.register_script(_PENDING)
        self._wake_at = 0.0
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    # --- start ---------------------------------------------------------------------------

    def open(self, spider) -> None:
        self.spider = spider
        self.queue = load_object(self.queue_cls)(
            server=self.server, spider=spider, key=self.queue_key % {"spider": spider.name}, serializer=self.serializer
        )
        self.queue.processing_key = self.keys.processing(self.worker)
        if not self.df:
            self.df = load_object(self.dupefilter_cls).from_spider(spider)
        self.queue.dupefilter_key = self.df.key
        if self.flush_on_start:
            self.flush()
        run = self.crawler.get_extension(DatasetRun)
        self.run_id = run.run_id if run is not None else f"{self.worker}-{os.getpid()}"
        if run is not None and not run.active:
            # Locked out or unusable: DatasetRun closes the spider; this worker takes no part.
            return
        pipe = self.server.pipeline(transaction=True)
        pipe.set(self.keys.alive(self.worker), self.run_id, px=int(self.dead_after * 1000))
        pipe.sadd(self.keys.workers, self.worker)
        pipe.set(self.keys.crawl, datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"), nx=True)
        pipe.get(self.keys.crawl)
        *_, created, crawl_id = pipe.execute()
        self.crawl_id = crawl_id.decode()
        if created:
            self.server.lpush(self.keys.crawls, self.crawl_id)
            self.server.ltrim(self.keys.crawls, 0, KEEP_CRAWLS - 1)
            logger.info("Distributed crawl %s started by worker %s", self.crawl_id, self.worker)
        else:
            logger.info("Worker %s joins distributed crawl %s", self.worker, self.crawl_id)
        # A process of the same worker id that died: its requests in flight go back first.
        mine = self.queue.requeue(self.keys.processing(self.worker))
        if mine:
            logger.warning("Put %d requests of a previous run of worker %s back on the queue", mine, self.worker)
        self.requeue_dead()
        queued = len(self.queue)
        if queued:
            logger.info("Resuming crawl (%d requests queued)", queued)
        self._write_record("running")
        self._tick = create_looping_call(self.tick)
        self._tick.start(max(0.5, min(5.0, self.dead_after / 5)), now=False)

    # --- requests ------------------------------------------------------------------------

    def enqueue_request(self, request: Request) -> bool:
        # The dupefilter's check and the push in one round trip.
        fingerprint = "" if request.dont_filter else self.df.request_fingerprint(request)
        if not self.queue.push_new(request, fingerprint):
            self.df.log(request, self.spider)
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        self._claim_seq += 1
        claim = f"{self.run_id}:{self._claim_seq}"
        request = self.queue.pop_claim(claim, self._finished())
        if request is None:
            return None
        self._claims[request] = claim
        self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def release_finished(self) -> None:
        """Drop the requests Scrapy is done with from this worker's processing hash.

        Scrapy holds a request in the engine's in-progress set from the moment it leaves the
        scheduler until its response has been through the callback and the item pipelines
        (crawler.internals.requests_in_progress).
        """
        finished = self._finished()
        if finished:
            self.server.hdel(self.queue.processing_key, *finished)

    def _finished(self) -> list[str]:
        """The claims of requests Scrapy is done with, forgotten here (the caller drops them in Redis)."""
        if not self._claims:
            return []
        inprogress = requests_in_progress(self.crawler.engine)
        # No slot: the engine has closed, nothing is in progress.
        done = list(self._claims) if inprogress is None else [r for r in self._claims if r not in inprogress]
        return [self._claims.pop(request) for request in done]

    def requeue_dead(self) -> int:
        """Put the requests in flight at dead workers back on the queue; how many."""
        moved = 0
        for raw in self.server.smembers(self.keys.workers):
            worker = raw.decode()
            if worker == self.worker or self.server.exists(self.keys.alive(worker)):
                continue
            count = self.queue.requeue(self.keys.processing(worker))
            self.server.srem(self.keys.workers, worker)
            self._mark_dead(worker)
            if count:
                logger.warning("Put %d requests in flight at dead worker %s back on the queue", count, worker)
                self.stats.inc_value("caiji/requeued_from_dead", count)
                moved += count
        return moved

    def has_pending_requests(self) -> bool:
        return len(self.queue) > 0

    # --- heartbeat and stop ----------------------------------------------------------------

    def tick(self) -> None:
        try:
            heartbeat(self.server, self.prefix, self.worker, self.run_id, self.dead_after)
            self.release_finished()
            self.requeue_dead()
            self._write_record("running")
        except Exception:
            logger.exception("Redis heartbeat failed")

    def pending(self) -> tuple[int, int]:
        """``(queued, in flight at other workers)`` across the crawl, read in one step."""
        queued, inflight = self._pending(
            keys=[self.queue.key, self.keys.workers], args=[self.keys.processing_prefix, self.worker]
        )
        return int(queued), int(inflight)

    def spider_idle(self, spider) -> None:
        if self.crawl_id is None:
            return
        self.release_finished()
        self.requeue_dead()
        queued, inflight = self.pending()
        if queued or inflight:
            # Another worker's callbacks may still queue requests: wait, and look again soon
            # (Scrapy's own heartbeat comes only every 5 s).
            self._wake_soon()
            raise DontCloseSpider

    def _wake_soon(self) -> None:
        now = time.monotonic()
        if now < self._wake_at:
            return
        self._wake_at = now + 0.5
        from twisted.internet import reactor

        reactor.callLater(0.5, lambda: wake_engine(self.crawler.engine))

    def close(self, reason: str) -> None:
        # Everything in flight has been through the engine by now.
        if self.crawl_id is None:
            return
        self.release_finished()
        left = self.queue.requeue(self.queue.processing_key)
        if left:
            logger.warning("Put %d unfinished requests back on the queue", left)

    def spider_closed(self, spider, reason: str) -> None:
        if self.crawl_id is None:
            return
        if self._tick is not None and self._tick.running:
            self._tick.stop()
        state = reason
        try:
            self.requeue_dead()
            queued, inflight = self.pending()
            if reason == "finished" and not queued and not inflight:
                # The crawl is complete: the next run starts from the top.
                pipe = self.server.pipeline(transaction=True)
                pipe.delete(self.queue.key, self.df.key, self.keys.crawl)
                pipe.hset(
                    self.keys.record(self.crawl_id),
                    "_crawl",
                    json.dumps({"finished_at": _now(), "finished_by": self.worker}),
                )
                pipe.execute()
                logger.info("Distributed crawl %s is complete", self.crawl_id)
            self._write_record(state)
            pipe = self.server.pipeline(transaction=True)
            pipe.srem(self.keys.workers, self.worker)
            pipe.delete(self.keys.alive(self.worker), self.keys.processing(self.worker))
            pipe.execute()
        except Exception:
            logger.exception("Could not record the end of this worker in Redis")

    # --- the crawl record ------------------------------------------------------------------

    def _write_record(self, state: str) -> None:
        assert self.crawl_id is not None
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        run = self.crawler.get_extension(DatasetRun)
        files = []
        if run is not None and run.dir.is_dir():
            files = sorted(p.name for p in run.dir.glob(f"articles-{self.run_id}-*"))
        entry: dict[str, Any] = {
            "worker": self.worker,
            "run_id": self.run_id,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "state": state,
            "started_at": stats.get("start_time").isoformat() if stats.get("start_time") else None,
            "updated_at": _now(),
            "dir": str(run.dir) if run is not None else None,
            "pages": stats.get("response_received_count", 0),
            "written": stats.get("caiji/written", 0),
            "duplicates": stats.get("caiji/duplicates", 0) + stats.get("caiji/unchanged", 0),
            "skipped": stats.get("caiji/skipped_stored", 0),
            "rejected": sum(v for k, v in stats.items() if k.startswith("caiji/rejected/")),
            "requeued_from_dead": stats.get("caiji/requeued_from_dead", 0),
            "files": files,
        }
        key = self.keys.record(self.crawl_id)
        pipe = self.server.pipeline(transaction=False)
        pipe.hset(key, self.worker, json.dumps(entry, default=str))
        pipe.expire(key, CRAWL_RECORD_TTL)
        pipe.execute()

    def _mark_dead(self, worker: str) -> None:
        if self.crawl_id is None:
            return
        key = self.keys.record(self.crawl_id)
        raw = self.server.hget(key, worker)
        if raw:
            entry = json.loads(raw)
            if entry.get("state") == "running":
                entry["state"] = "dead"
                self.server.hset(key, worker, json.dumps(entry))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
