"""The article store in Redis, shared by the workers of a distributed crawl (crawler/distributed/addon.py).

Same interface as crawler.state.store.ArticleStore (SQLite, the one-machine default), plus the two
operations several writers need to keep one record per article:

- :meth:`RedisArticleStore.claim`, called by the dedup pipeline: a Lua script that, in one step,
  compares the stored content hash and takes an in-flight claim on ``identity + content_hash``
  (``SET`` of a claim key naming the worker and run). A claim held by a live run (its heartbeat
  key still names it) makes every other worker drop the record; a dead run's claim is taken over.
- :meth:`RedisArticleStore.keep_recovered`, called when a dead run's temporary data file is
  recovered: keeps a record only if no other run has stored or claimed the same text since.

Keys (``<prefix>`` is ``CAIJI_REDIS_PREFIX``, default ``caiji``):

``<prefix>:store:articles``  hash identity → ``hash\\trun\\ttimestamp\\tfirst\\tlast\\tspider\\turl``
``<prefix>:store:urls``      hash url → identity (when the fetched URL is not the identity)
``<prefix>:store:hashes``    hash content_hash → identity (syndication check)
``<prefix>:store:claim:<sha1>``  ``<worker> <run_id>`` while a record is being written (TTL)
``<prefix>:alive:<worker>``  the worker's current run id, expiring ``CAIJI_REDIS_DEAD_AFTER`` s
after its last heartbeat
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import redis
from scrapy.settings import BaseSettings

from crawler.distributed.addon import DEFAULT_PREFIX

#: A claim outlives any plausible write; it is deleted when the record is marked stored.
CLAIM_TTL = 24 * 3600

_CLAIM = """
local v = redis.call('HGET', KEYS[1], ARGV[1])
if v then
  local stored = string.match(v, '^([^\\t]*)')
  if stored == ARGV[2] then return 'unchanged' end
end
local c = redis.call('GET', KEYS[2])
if c then
  local w, r = string.match(c, '^(%S+) (%S+)$')
  if w and r ~= ARGV[4] and redis.call('GET', ARGV[6] .. ':alive:' .. w) == r then return 'claimed' end
end
redis.call('SET', KEYS[2], ARGV[3] .. ' ' .. ARGV[4], 'EX', ARGV[5])
if v then return 'changed' end
return 'new'
"""

_ADOPT = """
local v = redis.call('HGET', KEYS[1], ARGV[1])
if v then
  local h, r = string.match(v, '^([^\\t]*)\\t([^\\t]*)')
  if h == ARGV[2] then
    if r == ARGV[7] then return 1 end
    return 0
  end
end
local c = redis.call('GET', KEYS[2])
if c then
  local w, r = string.match(c, '^(%S+) (%S+)$')
  if w and r ~= ARGV[4] and r ~= ARGV[7] and redis.call('GET', ARGV[6] .. ':alive:' .. w) == r then return 0 end
end
redis.call('SET', KEYS[2], ARGV[3] .. ' ' .. ARGV[4], 'EX', ARGV[5])
return 1
"""


# The article fetched from ARGV[1] or known by it: its stored value, in one round trip.
_LOOKUP = """
local v = redis.call('HGET', KEYS[1], ARGV[1])
if v then return v end
local identity = redis.call('HGET', KEYS[2], ARGV[1])
if identity then return redis.call('HGET', KEYS[1], identity) end
return false
"""

# Store a record (keeping its first_stored) and release its claim, in one round trip.
_MARK = """
local first = ARGV[6]
local v = redis.call('HGET', KEYS[1], ARGV[1])
if v then first = string.match(v, '^[^\t]*\t[^\t]*\t[^\t]*\t([^\t]*)') or first end
redis.call('HSET', KEYS[1], ARGV[1], table.concat({ARGV[3], ARGV[4], ARGV[5], first, ARGV[6], ARGV[7], ARGV[2]}, '\t'))
if ARGV[2] ~= ARGV[1] then redis.call('HSET', KEYS[2], ARGV[2], ARGV[1]) end
redis.call('HSETNX', KEYS[3], ARGV[3], ARGV[1])
redis.call('DEL', KEYS[4])
return 1
"""


def connect(url: str) -> redis.Redis:
    """A client for ``url`` with the timeouts scrapy-redis uses."""
    return redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=30, retry_on_timeout=True)


def heartbeat(server: redis.Redis, prefix: str, worker: str, run_id: str, ttl: float) -> None:
    """Say that ``worker`` runs ``run_id`` and is alive for ``ttl`` more seconds."""
    server.set(f"{prefix}:alive:{worker}", run_id, px=max(1000, int(ttl * 1000)))


class RedisArticleStore:
    """Identity → last stored content hash, in Redis, for every worker of a distributed crawl."""

    def __init__(self, url: str, prefix: str, worker: str, run_id: str, dead_after: float = 30) -> None:
        self.server = connect(url)
        self.prefix = prefix
        self.worker = worker
        self.run_id = run_id
        self.dead_after = dead_after
        self.articles = f"{prefix}:store:articles"
        self.urls = f"{prefix}:store:urls"
        self.hashes = f"{prefix}:store:hashes"
        self._claim = self.server.register_script(_CLAIM)
        self._adopt = self.server.register_script(_ADOPT)
        self._lookup = self.server.register_script(_LOOKUP)
        self._mark = self.server.register_script(_MARK)
        # Claims are judged by the heartbeat: it must be up before the first one is taken.
        heartbeat(self.server, prefix, worker, run_id, dead_after)

    @classmethod
    def from_settings(cls, settings: BaseSettings, worker: str, run_id: str) -> RedisArticleStore:
        """The store of the crawl ``CAIJI_REDIS_URL`` and ``CAIJI_REDIS_PREFIX`` name (see crawler.state.store.open_store)."""
        return cls(
            (settings.get("CAIJI_REDIS_URL") or "").strip(),
            (settings.get("CAIJI_REDIS_PREFIX") or DEFAULT_PREFIX).strip(),
            worker,
            run_id,
            settings.getfloat("CAIJI_REDIS_DEAD_AFTER", 30),
        )

    def close(self) -> None:
        """Close the connection."""
        self.server.close()

    def _claim_key(self, identity: str, content_hash: str) -> str:
        digest = hashlib.sha1(f"{identity}\n{content_hash}".encode()).hexdigest()
        return f"{self.prefix}:store:claim:{digest}"

    def stored_hash(self, identity: str) -> str | None:
        """The content hash last stored for ``identity``, or None if it was never stored."""
        value = self.server.hget(self.articles, identity)
        return value.decode().split("\t", 1)[0] if value else None

    def hash_elsewhere(self, content_hash: str, identity: str) -> bool:
        """True when the same text is stored under another identity (syndication).

        Redis keeps the first identity per hash, so a third copy of a text is reported, and so is
        the second, but not the first when it is fetched again.
        """
        found = self.server.hget(self.hashes, content_hash)
        return found is not None and found.decode() != identity

    def lookup_url(self, url: str) -> tuple[str | None, str] | None:
        """``(timestamp, last_stored)`` of the article fetched from ``url`` or known by it, if stored."""
        value = self._lookup(keys=[self.articles, self.urls], args=[url])
        if not value:
            return None
        fields = value.decode().split("\t")
        return (fields[2] or None, fields[4])

    def claim(self, identity: str, content_hash: str) -> str:
        """``unchanged`` (stored with this hash), ``claimed`` (another live run writes it now),
        else ``new`` or ``changed``, and this run now holds the claim."""
        result = self._claim(
            keys=[self.articles, self._claim_key(identity, content_hash)],
            args=[identity, content_hash, self.worker, self.run_id, CLAIM_TTL, self.prefix],
        )
        return result.decode() if isinstance(result, bytes) else str(result)

    def keep_recovered(self, record: dict, identity: str, dead_run: str) -> bool:
        """Whether a record that dead run ``dead_run`` wrote but may not have marked stays in the dataset."""
        kept = self._adopt(
            keys=[self.articles, self._claim_key(identity, record["content_hash"])],
            args=[identity, record["content_hash"], self.worker, self.run_id, CLAIM_TTL, self.prefix, dead_run],
        )
        return bool(kept)

    def mark(self, record: dict, identity: str, spider: str, client: redis.client.Pipeline | None = None) -> None:
        """Record that ``record`` is durably in the dataset, and release its claim (on ``client``
        when given: a pipeline that sends it later)."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        self._mark(
            keys=[self.articles, self.urls, self.hashes, self._claim_key(identity, record["content_hash"])],
            args=[identity, record["url"], record["content_hash"], self.run_id, record.get("timestamp") or "", now, spider],
            client=client,
        )

    def mark_many(self, entries: list[tuple[dict, str]], spider: str) -> None:
        """:meth:`mark` each ``(record, identity)``, in one round trip."""
        if not entries:
            return
        pipe = self.server.pipeline(transaction=False)
        for record, identity in entries:
            self.mark(record, identity, spider, client=pipe)
        pipe.execute()

    def count(self) -> int:
        """How many articles the store holds."""
        return int(self.server.hlen(self.articles))
