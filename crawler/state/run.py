"""This crawl's place in the dataset: run id, folder, lock and article store (SPEC §5)."""

from __future__ import annotations

import fcntl
import logging
import os
import re
import secrets
import socket
from datetime import UTC, datetime
from pathlib import Path

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, NotConfigured

from crawler.state.store import ArticleStore, StoreError, open_store

logger = logging.getLogger(__name__)

LOCKED_EXIT = 75
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def safe_name(value: str, what: str) -> str:
    """``value`` if it can name a folder or file inside the data dir; ValueError otherwise."""
    if not _SAFE_NAME.match(value) or ".." in value:
        raise ValueError(f"{what} {value!r} cannot name a path in the data dir (letters, digits, _ . - only)")
    return value


class DatasetRun:
    """Scrapy extension that owns this run: its id, dataset folder, one-run lock and store.

    Pipelines and spiders reach it with ``crawler.get_extension(DatasetRun)``.
    """

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.spider_name = safe_name(crawler.spidercls.name, "spider name")
        self.worker_id = settings.get("CAIJI_WORKER_ID") or None
        if self.worker_id:
            safe_name(self.worker_id, "CAIJI_WORKER_ID")
        self.data_dir = Path(settings.get("CAIJI_DATA_DIR") or "data")
        self.started_at = datetime.now(UTC)
        stamp = self.started_at.strftime("%Y%m%dT%H%M%SZ")
        self.run_id = f"{stamp}-{self.worker_id}-{secrets.token_hex(2)}" if self.worker_id else f"{stamp}-{secrets.token_hex(3)}"
        self.dir = self.data_dir / self.spider_name / self.started_at.strftime("%Y-%m-%d")
        self.spider_dir = self.data_dir / self.spider_name
        self.locked_out = False
        self.lock_holder = ""
        self.unusable: str | None = None
        self._lock_fd: int | None = None
        self._store: ArticleStore | None = None
        # Distributed mode (crawler/distributed/addon.py): the store is in Redis, and a dead worker's
        # leftovers in this data dir may be recovered by any worker here.
        self.distributed = bool((settings.get("CAIJI_REDIS_URL") or "").strip())
        self._adopted: dict[str, int | None] = {}
        self._take_lock()
        if self.active and not settings.get("CAIJI_ARTICLE_STORE"):
            # The SQLite store is checked before anything is fetched or written: a lost or damaged
            # one fails the run in one line (the Redis one is opened when first used).
            try:
                self._store = open_store(settings, self.data_dir, self.worker_id, self.run_id)
            except StoreError as exc:
                self.unusable = str(exc)
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        # Released once everything, the manifest included, is written.
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DatasetRun:
        if not getattr(crawler.spidercls, "name", None):
            raise NotConfigured("spider has no name")
        return cls(crawler)

    def _take_lock(self) -> None:
        # flock is released by the kernel when the holder dies, so a killed run's lock is
        # taken over without any stale-lock guessing.
        path = self._lock_path(self.worker_id)
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            self.unusable = f"data dir {self.data_dir} is not writable: {exc.strerror}"
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.locked_out = True
            self.lock_holder = os.pread(fd, 200, 0).decode(errors="replace").strip()
            os.close(fd)
            return
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()} run {self.run_id}\n".encode(), 0)
        self._lock_fd = fd

    def _lock_path(self, worker_id: str | None) -> Path:
        name = f".{self.spider_name}.{worker_id}.lock" if worker_id else f".{self.spider_name}.lock"
        return self.data_dir / name

    def may_recover(self, worker_id: str | None) -> bool:
        """True when this run may recover what runs of ``worker_id`` left in the data dir.

        Its own worker's runs always (it holds their lock). In distributed mode also those of a
        dead worker of this machine (worker ids there change with every process): its lock is
        taken, and kept until this run ends, so that no other worker recovers the same files.
        """
        if worker_id == self.worker_id:
            return True
        if not self.distributed or not worker_id:
            return False
        if worker_id not in self._adopted:
            fd = None
            try:
                fd = os.open(self._lock_path(safe_name(worker_id, "worker id")), os.O_RDWR)
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except (OSError, ValueError):
                if fd is not None:
                    os.close(fd)
                fd = None
            self._adopted[worker_id] = fd
        return self._adopted[worker_id] is not None

    @property
    def store(self) -> ArticleStore:
        """The article store (SQLite in the data dir, or Redis in distributed mode), opened on first use."""
        if self._store is None:
            self._store = open_store(self.crawler.settings, self.data_dir, self.worker_id, self.run_id)
        return self._store

    @property
    def active(self) -> bool:
        """True when this run holds the lock and may write to the dataset."""
        return self._lock_fd is not None and not self.unusable

    def spider_opened(self, spider) -> None:
        if self.unusable:
            logger.error(self.unusable)
            self.crawler.stats.set_value("caiji/exit_code", 1)
            self.crawler.stats.set_value("caiji/failure", self.unusable)
            raise CloseSpider("data_dir_unwritable")
        if self.locked_out:
            message = f"another {self.spider_name} run holds the lock on {self.data_dir} ({self.lock_holder or 'unknown'})"
            logger.error(message)
            self.crawler.stats.set_value("caiji/exit_code", LOCKED_EXIT)
            self.crawler.stats.set_value("caiji/failure", message)
            raise CloseSpider("locked")

    def engine_stopped(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
        for worker_id, fd in self._adopted.items():
            if fd is not None:
                # The dead worker's leftovers are recovered: its lock file goes (ids are per process).
                self._lock_path(worker_id).unlink(missing_ok=True)
                os.close(fd)
        self._adopted.clear()
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None
