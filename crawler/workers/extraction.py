"""Where a crawl extracts its article pages: ``CAIJI_EXTRACT_WORKERS`` worker processes, or its own.

With workers, the reactor thread does the networking, the scheduling and the files; a page's
bytes go to a worker and its finished record comes back (crawler/workers/pool.py).
"""

from __future__ import annotations

import logging
import os

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.settings import BaseSettings

from crawler.extraction.charset import DECODED_IN_WORKER
from crawler.rules import Limits
from crawler.workers.page import CRASHED, ERROR, TIMED_OUT, PageJob, PageResult, PageWork, WorkConfig
from crawler.workers.pool import ExtractionPool, PoolBroken

logger = logging.getLogger(__name__)


def worker_count(settings: BaseSettings) -> int:
    """``CAIJI_EXTRACT_WORKERS``: ``auto`` (cores − 1, at least 1) or a number ≥ 0; ValueError else."""
    if str(settings.get("CAIJI_EXTRACT_WORKERS", "auto") or "auto").strip().lower() == "auto":
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        return max(1, cores - 1)
    return int(_number(settings, "CAIJI_EXTRACT_WORKERS", "auto", int, 0, "auto or a whole number ≥ 0"))


def extract_queue(settings: BaseSettings) -> int:
    """``CAIJI_EXTRACT_QUEUE``: pages one worker holds at once (≥ 1); ValueError else."""
    return int(_number(settings, "CAIJI_EXTRACT_QUEUE", 8, int, 1, "a whole number ≥ 1"))


def extract_timeout(settings: BaseSettings) -> float:
    """``CAIJI_EXTRACT_TIMEOUT``: seconds a worker may spend on one page (0: no limit); ValueError else."""
    return _number(settings, "CAIJI_EXTRACT_TIMEOUT", 60, float, 0, "a number of seconds ≥ 0")


def _number(settings: BaseSettings, name: str, default: object, kind: type, minimum: float, wanted: str) -> float:
    # Unset (a crawler made without the project's settings, as in some tests): the default.
    raw = settings.get(name, default)
    try:
        value = kind(str(raw).strip())
    except ValueError:
        value = None
    if value is None or value < minimum:
        raise ValueError(f"{name} must be {wanted}, not {raw!r}")
    return value


class Extraction:
    """Extracts a spider's article pages in worker processes, or in the crawl's thread (0 workers)."""

    def __init__(self, crawler: Crawler, workers: int, config: WorkConfig, timeout: float, queue: int = 8) -> None:
        self.crawler = crawler
        self.config = config
        # Made here in any case: it checks the settings at once, and it is what runs the pages
        # when there are no workers (or they cannot start).
        self.inline = PageWork(config)
        self.workers = workers
        self.pool = ExtractionPool(workers, config, timeout, queue) if workers else None
        crawler.signals.connect(self._opened, signal=signals.spider_opened)
        crawler.signals.connect(self._closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Extraction:
        """Read from the crawl's settings; ValueError names a setting with a bad value."""
        settings = crawler.settings
        level = settings.get("LOG_LEVEL") or "DEBUG"
        config = WorkConfig(
            script_target=(settings.get("CAIJI_SCRIPT_TARGET") or "none").strip().lower(),
            limits=Limits.from_settings(settings),
            hook=settings.get("CAIJI_EXTRACT_HOOK") or None,
            log_level=level if isinstance(level, int) else logging.getLevelName(str(level).upper()),
            default_timezone=str(settings.get("CAIJI_DEFAULT_TIMEZONE") or "Asia/Shanghai").strip(),
        )
        return cls(crawler, worker_count(settings), config, extract_timeout(settings), extract_queue(settings))

    @property
    def in_workers(self) -> bool:
        """True while pages go to worker processes (their bytes are decoded there)."""
        return self.pool is not None and not self.pool.broken_reason

    async def _opened(self, spider) -> None:
        self.crawler.stats.set_value("caiji/extract/workers", self.workers)
        if self.pool is not None:
            await self.pool.start()

    async def _closed(self, spider, reason) -> None:
        if self.pool is not None:
            self.crawler.stats.set_value("caiji/extract/workers_replaced", self.pool.replaced)
            await self.pool.close()

    async def extract(self, response: Response, job: PageJob) -> PageResult:
        """What ``job``'s page gives; ``response`` is the page as fetched."""
        if self.pool is not None and not self.pool.broken_reason:
            try:
                result = await self.pool.run(job)
            except PoolBroken as exc:
                logger.error("%s: extracting in the crawl's process from now on", exc)
                result = self.inline.run(job)
            else:
                for name, level, message in result.logs:
                    logging.getLogger(name).log(level, "%s", message)
        else:
            # A page requested while the workers ran comes undecoded (the CharsetMiddleware left it).
            result = self.inline.run(job, None if response.meta.get(DECODED_IN_WORKER) else response)
        if result.kind in (CRASHED, TIMED_OUT):
            self.crawler.stats.inc_value(f"caiji/extract/{result.kind}")
            logger.error("%s on %s", result.reason, job.url)
        elif result.kind == ERROR:
            logger.error("Extraction error on %s\n%s", job.url, result.traceback)
        return result
