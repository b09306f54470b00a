"""The article store: what the dataset already holds, so no article is written twice.

SQLite in WAL mode in the data dir: embedded, no server, safe for the spider's reads while the
writer commits. A row is written only after its record is durably in a data file: the dataset
writer hands marks over in batches, after it fsynced their records (``CAIJI_FSYNC``).
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from scrapy.utils.misc import load_object

logger = logging.getLogger(__name__)

#: Values of ``CAIJI_FSYNC`` (pipelines/dataset.py).
FSYNC_MODES = ("batch", "every", "off")
#: The store's layout (``PRAGMA user_version``); 0 is a store written before it was numbered.
STORE_VERSION = 1
#: Where a data dir's records are: complete data files only (SPEC §5).
DATA_FILES = "*/*/articles-*.jsonl*"
_COLUMNS = {"identity", "url", "spider", "content_hash", "timestamp", "first_stored", "last_stored"}


class StoreError(Exception):
    """The article store cannot be used as it is: lost, damaged or of another version (one line)."""


def rebuild_hint(data_dir: Path) -> str:
    """The command that repairs the store of ``data_dir``."""
    return f"`scrapy rebuild-state {data_dir}` rebuilds it from the dataset"


_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    identity     TEXT PRIMARY KEY,
    url          TEXT NOT NULL,
    spider       TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    timestamp    TEXT,
    first_stored TEXT NOT NULL,
    last_stored  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_url ON articles(url);
CREATE INDEX IF NOT EXISTS articles_hash ON articles(content_hash);
"""


class ArticleStore:
    """Identity → last stored content hash, per data dir."""

    def __init__(self, path: str | Path, durable: bool = True) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: each statement commits at once; WAL makes that cheap.
        self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk when it returns (NORMAL in WAL mode waits for a checkpoint).
        self._db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
        self._db.executescript(_SCHEMA)
        self._db.execute(f"PRAGMA user_version={STORE_VERSION}")

    @classmethod
    def open_checked(cls, data_dir: Path, durable: bool = True) -> ArticleStore:
        """The store of ``data_dir``, after making sure it still knows the dataset; StoreError if not.

        A lost store (deleted, emptied) would make the next crawl write every article again, a
        damaged one fails mid-crawl, one of another layout misreads: each is refused in one line
        naming the fix, and a store written before versions were numbered is brought up to date.
        """
        data_dir = Path(data_dir)
        path = data_dir / "state.sqlite"
        has_data = next(data_dir.glob(DATA_FILES), None) is not None
        if not path.exists() and has_data:
            raise StoreError(f"the article store {path} is missing but the data dir holds a dataset: {rebuild_hint(data_dir)}")
        try:
            probe = sqlite3.connect(path, isolation_level=None, timeout=30)
            try:
                version = probe.execute("PRAGMA user_version").fetchone()[0]
                check = probe.execute("PRAGMA quick_check").fetchone()[0]
                columns = {row[1] for row in probe.execute("PRAGMA table_info(articles)")}
                rows = probe.execute("SELECT COUNT(*) FROM articles").fetchone()[0] if columns else 0
            finally:
                probe.close()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"the article store {path} is damaged ({exc}): {rebuild_hint(data_dir)}") from None
        if check != "ok":
            raise StoreError(f"the article store {path} is damaged ({check}): {rebuild_hint(data_dir)}")
        if version > STORE_VERSION:
            raise StoreError(
                f"the article store {path} is of version {version}, written by a newer caiji (this one reads "
                f"up to {STORE_VERSION}): upgrade caiji, or {rebuild_hint(data_dir)}"
            )
        if columns and not columns >= _COLUMNS:
            missing = ", ".join(sorted(_COLUMNS - columns))
            raise StoreError(f"the article store {path} is of an unknown layout (no {missing}): {rebuild_hint(data_dir)}")
        if not rows and has_data:
            raise StoreError(f"the article store {path} is empty but the data dir holds a dataset: {rebuild_hint(data_dir)}")
        if columns and version < STORE_VERSION:
            # Version 0 had today's columns: numbering it is the whole migration.
            logger.info("Article store %s: version %d brought up to version %d", path, version, STORE_VERSION)
        return cls(path, durable=durable)

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def stored_hash(self, identity: str) -> str | None:
        """The content hash last stored for ``identity``, or None if it was never stored."""
        row = self._db.execute("SELECT content_hash FROM articles WHERE identity = ?", (identity,)).fetchone()
        return row[0] if row else None

    def hash_elsewhere(self, content_hash: str, identity: str) -> bool:
        """True when the same text is stored under another identity (syndication)."""
        row = self._db.execute(
            "SELECT 1 FROM articles WHERE content_hash = ? AND identity != ? LIMIT 1", (content_hash, identity)
        ).fetchone()
        return row is not None

    def lookup_url(self, url: str) -> tuple[str | None, str] | None:
        """``(timestamp, last_stored)`` of the article fetched from ``url`` or known by it, if stored."""
        row = self._db.execute(
            "SELECT timestamp, last_stored FROM articles WHERE url = ? OR identity = ? LIMIT 1", (url, url)
        ).fetchone()
        return (row[0], row[1]) if row else None

    def claim(self, identity: str, content_hash: str) -> str:
        """``unchanged`` when stored with this hash, else ``new`` or ``changed``.

        One process writes a data dir's SQLite store, so there is nothing to claim; the Redis
        store (crawler/distributed/store.py) answers ``claimed`` while another worker writes the record.
        """
        stored = self.stored_hash(identity)
        if stored == content_hash:
            return "unchanged"
        return "changed" if stored else "new"

    def keep_recovered(self, record: dict, identity: str, dead_run: str) -> bool:
        """Whether a killed run's unmarked record stays in the dataset: always, with one writer."""
        return True

    def mark(self, record: dict, identity: str, spider: str) -> None:
        """Record that ``record`` is durably in the dataset."""
        self.mark_many([(record, identity)], spider)

    def mark_many(self, entries: list[tuple[dict, str]], spider: str) -> None:
        """Record that each ``(record, identity)`` is durably in the dataset, in one transaction."""
        if not entries:
            return
        now = datetime.now(UTC).isoformat(timespec="seconds")
        rows = [(identity, r["url"], spider, r["content_hash"], r.get("timestamp"), now, now) for r, identity in entries]
        self._db.execute("BEGIN")
        try:
            self._db.executemany(
                "INSERT INTO articles (identity, url, spider, content_hash, timestamp, first_stored, last_stored) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(identity) DO UPDATE SET url = excluded.url, "
                "content_hash = excluded.content_hash, timestamp = excluded.timestamp, last_stored = excluded.last_stored",
                rows,
            )
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def load(self, rows: list[tuple[str, dict, str, str, str]]) -> None:
        """Store ``(identity, record, spider, first_stored, last_stored)`` rows as they are (a rebuild)."""
        self._db.execute("BEGIN")
        self._db.executemany(
            "INSERT OR REPLACE INTO articles (identity, url, spider, content_hash, timestamp, first_stored, last_stored) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(key, r["url"], spider, r["content_hash"], r.get("timestamp"), first, last) for key, r, spider, first, last in rows],
        )
        self._db.execute("COMMIT")

    def count(self) -> int:
        """How many articles the store holds."""
        return self._db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]


def open_store(settings, data_dir: Path, worker_id: str | None, run_id: str):
    """The article store of this run: SQLite in the data dir, or the class ``CAIJI_ARTICLE_STORE`` names.

    The distributed add-on names the Redis store there (crawler/distributed/addon.py), so Redis is
    imported only when ``CAIJI_REDIS_URL`` is set.
    """
    path = settings.get("CAIJI_ARTICLE_STORE")
    if not path:
        durable = (settings.get("CAIJI_FSYNC") or "batch").strip().lower() != "off"
        return ArticleStore.open_checked(Path(data_dir), durable=durable)
    return load_object(path).from_settings(settings, worker_id or "", run_id)
