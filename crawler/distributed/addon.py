"""Distributed mode: ``-s CAIJI_REDIS_URL=redis://host:port/db`` turns any spider into one worker of many.

The :class:`Distributed` add-on (``ADDONS`` in crawler/settings.py) does nothing unless
``CAIJI_REDIS_URL`` is set, and this module imports nothing from redis, so a one-machine crawl
needs neither the package nor a server. When it is set, the add-on switches the crawl onto
scrapy-redis (crawler/distributed/frontier.py): the shared request queue and dupefilter in Redis, a
per-worker record of requests in flight so that none is lost to a killed worker, and the article
store in Redis (crawler/distributed/store.py) so that every worker sees what the dataset holds.

Every worker runs the same command line; its id is ``CAIJI_WORKER_ID`` or, unset, ``<host>-<pid>``,
and it names the worker's lock and files (crawler/state/run.py, pipelines/dataset.py).
"""

from __future__ import annotations

import os
import re
import socket

from scrapy.settings import BaseSettings

#: The dupefilter of a one-machine crawl (``DUPEFILTER_CLASS`` in crawler/settings.py).
ONE_MACHINE_DUPEFILTER = "crawler.state.dupefilters.DupeFilter"
#: Key prefix of everything caiji keeps in Redis (``CAIJI_REDIS_PREFIX``).
DEFAULT_PREFIX = "caiji"


def redis_url(settings: BaseSettings) -> str | None:
    """The Redis URL of distributed mode, or None for a one-machine crawl."""
    value = (settings.get("CAIJI_REDIS_URL") or "").strip()
    return value or None


def unreachable(url: str, timeout: float = 5.0) -> str | None:
    """Why the Redis server at ``url`` cannot be used, in one line; None when it answers a PING."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        try:
            client.ping()
        finally:
            client.close()
    except (redis.RedisError, OSError, ValueError) as exc:
        return f"cannot reach Redis at {_without_password(url)}: {exc}"
    return None


def _without_password(url: str) -> str:
    """``url`` with its password (``redis://:secret@host``) masked, for messages and logs."""
    return re.sub(r"(?<=://)([^:@/]*):[^@/]*@", r"\1:***@", url)


def auto_worker_id() -> str:
    """``<host>-<pid>``, usable in file names (crawler.state.run.safe_name)."""
    host = re.sub(r"[^A-Za-z0-9_.-]+", "-", socket.gethostname().split(".")[0]).strip("-.") or "host"
    return f"{host[:48]}-{os.getpid()}"


class Distributed:
    """Scrapy add-on: with ``CAIJI_REDIS_URL`` set, the crawl runs on scrapy-redis.

    Settings it sets (at add-on priority, so ``-s`` still wins): the scheduler, dupefilter and
    queue keys of scrapy-redis, ``SCHEDULER_PERSIST`` (the frontier outlives a worker), the article
    store in Redis (``CAIJI_ARTICLE_STORE``) and ``CAIJI_WORKER_ID`` when none is given.
    """

    def update_settings(self, settings: BaseSettings) -> None:
        url = redis_url(settings)
        if url is None:
            return
        prefix = (settings.get("CAIJI_REDIS_PREFIX") or DEFAULT_PREFIX).strip()
        settings.set("REDIS_URL", url, "addon")
        settings.set("SCHEDULER", "crawler.distributed.frontier.Scheduler", "addon")
        # settings.py names the one-machine dupefilter at project priority, above an add-on's: that
        # one is replaced by the shared one at its own priority (one given with -s still wins).
        dupefilter_priority = (
            settings.getpriority("DUPEFILTER_CLASS") if settings.get("DUPEFILTER_CLASS") == ONE_MACHINE_DUPEFILTER else "addon"
        )
        settings.set("DUPEFILTER_CLASS", "crawler.distributed.frontier.DupeFilter", dupefilter_priority)
        settings.set("SCHEDULER_QUEUE_CLASS", "crawler.distributed.frontier.ClaimingQueue", "addon")
        settings.set("SCHEDULER_QUEUE_KEY", f"{prefix}:%(spider)s:requests", "addon")
        settings.set("SCHEDULER_DUPEFILTER_KEY", f"{prefix}:%(spider)s:dupefilter", "addon")
        settings.set("SCHEDULER_PERSIST", True, "addon")
        if not settings.get("CAIJI_ARTICLE_STORE"):
            # At the priority of the project's None, as CAIJI_WORKER_ID below.
            store = "crawler.distributed.store.RedisArticleStore"
            settings.set("CAIJI_ARTICLE_STORE", store, settings.getpriority("CAIJI_ARTICLE_STORE") or "addon")
        settings.set("SCHEDULER_SERIALIZER", "scrapy_redis.picklecompat", "addon")
        if not settings.get("CAIJI_WORKER_ID"):
            # At the priority of the empty value (the project's None), so that it takes effect.
            settings.set("CAIJI_WORKER_ID", auto_worker_id(), settings.getpriority("CAIJI_WORKER_ID") or "addon")
