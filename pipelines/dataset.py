"""Writing the dataset (SPEC §5): data files renamed only when complete, rejects, manifest.

Scrapy's feed exports keep a buffer that a kill -9 loses, empty the file with ``-O`` when a paused
job resumes, and are replaced wholesale by Scrapyd's own FEEDS, so the dataset is written here:
one JSON line per record, flushed as it is written, under a temporary name that only a complete
file loses.

Durability (``CAIJI_FSYNC``): records reach the article store in batches, each after the data
file holding them was fsynced, and a file takes its final name only once its batch is stored.
A power cut then loses at most the last batch, which the store does not name either; a kill
loses nothing (the next run recovers the temporary file and marks its records).
"""

from __future__ import annotations

import gzip
import hashlib
import heapq
import json
import logging
import os
import re
import sqlite3
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro
from twisted.internet import task

from crawler.extraction.dates import read_iso_time, utc_isoformat
from crawler.extraction.items import identity, ordered_record
from crawler.signals import page_rejected
from crawler.state.run import DatasetRun
from crawler.state.store import FSYNC_MODES
from pipelines import RejectItem
from schema import SCHEMA_VERSION

logger = logging.getLogger(__name__)

PART_PREFIX = ".part-"
_PART_NAME = re.compile(r"^\.part-(?P<run>.+)-(?P<seq>\d{4})\.jsonl(?P<gz>\.gz)?$")
_DATA_NAME = re.compile(r"^articles-(?P<run>.+)-(?P<seq>\d{4})\.jsonl(?P<gz>\.gz)?$")
#: Fields whose presence in written records is counted (``caiji/field/<name>``); ``captions``: a
#: record with at least one image caption.
COVERAGE_FIELDS = ("canonical_url", "title", "timestamp", "author", "source", "breadcrumbs", "body", "images", "related_links")
COVERAGE_COUNTS = (*COVERAGE_FIELDS, "captions")
#: How many of a run's newest articles its manifest lists (for ``scrapy report``).
NEWEST_ARTICLES = 20
#: What a run knows of itself from its start (settings), for the manifest if it is killed.
RUN_INFO_PREFIX = ".run-"
_RUN_INFO_NAME = re.compile(r"^\.run-(?P<run>.+)\.json$")
#: Other temporary names a killed run can leave: a manifest being written, a file being recovered.
_TMP_NAME = re.compile(r"^\.part-(?:manifest-(?P<manifest>.+)\.json|recovering-(?P<recovering>.+)-\d{4}\.jsonl(?:\.gz)?)$")


def file_entry(path: Path, records: int) -> dict:
    """``{name, records, bytes, sha256}`` of a finished file, read back from disk."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return {"name": path.name, "records": records, "bytes": path.stat().st_size, "sha256": digest.hexdigest()}


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json_atomic(path: Path, data: dict) -> None:
    """Write ``data`` as pretty JSON to ``path`` through a temporary name."""
    tmp = path.with_name(f"{PART_PREFIX}{path.name}")
    with tmp.open("w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=2)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


class RotatingWriter:
    """Writes JSON lines to ``articles-<run_id>-<NNNN>.jsonl[.gz]``, a new file every N records."""

    def __init__(self, directory: Path, run_id: str, max_records: int, compress: bool, durable: bool = True) -> None:
        self.directory = directory
        #: Folder entries of new files fsynced (False with CAIJI_FSYNC=off).
        self.durable = durable
        self.run_id = run_id
        self.max_records = max(1, max_records)
        self.suffix = ".jsonl.gz" if compress else ".jsonl"
        self.files: list[dict] = []
        self._file: IO[bytes] | None = None
        self._raw: IO[bytes] | None = None
        self._records = 0
        self._seq = 0

    def _part_path(self) -> Path:
        return self.directory / f"{PART_PREFIX}{self.run_id}-{self._seq:04d}{self.suffix}"

    def _open(self) -> None:
        self._seq += 1
        self.directory.mkdir(parents=True, exist_ok=True)
        self._raw = self._part_path().open("xb")
        if self.durable:
            # A new file survives a power cut only once its folder's entry for it is on disk.
            _fsync_dir(self.directory)
        # gzip.GzipFile.flush() ends a deflate block, so every flushed record can be read back.
        self._file = gzip.GzipFile(fileobj=self._raw, mode="wb", mtime=0) if self.suffix.endswith(".gz") else self._raw
        self._records = 0

    @property
    def full(self) -> bool:
        """True when the next record starts a new file (the current one is renamed first)."""
        return self._file is not None and self._records >= self.max_records

    def sync(self, durable: bool = True) -> None:
        """Push what was written to the operating system and, when ``durable``, to the disk."""
        if self._file is None:
            return
        if self._raw is not self._file:
            self._file.flush()
        self._raw.flush()
        if durable:
            os.fsync(self._raw.fileno())

    def write(self, line: bytes) -> None:
        """Append one record line and flush it to the operating system.

        A full file is renamed when the next record comes (or by :meth:`finish_file`), not at
        once: the caller marks a record stored after ``write`` returns, and a kill between a
        rename and that mark would leave a final file with a record the store does not know,
        which the next run would write again. Records of a temporary file are recovered.
        """
        if self._file is not None and self._records >= self.max_records:
            self.finish_file()
        if self._file is None:
            self._open()
        self._file.write(line)
        self._file.flush()
        if self._raw is not self._file:
            self._raw.flush()
        self._records += 1

    def finish_file(self) -> None:
        """Close the current file and give it its final name."""
        if self._file is None:
            return
        part = self._part_path()
        if self._raw is not self._file:
            self._file.close()
        self._raw.flush()
        os.fsync(self._raw.fileno())
        self._raw.close()
        self._file = self._raw = None
        final = self.directory / f"articles-{self.run_id}-{self._seq:04d}{self.suffix}"
        os.replace(part, final)
        _fsync_dir(self.directory)
        self.files.append(file_entry(final, self._records))


class DatasetPipeline:
    """Writes records, rejects and the manifest of the run, and marks articles stored."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.settings = crawler.settings
        self.stats = crawler.stats
        self.run: DatasetRun | None = None
        self.writer: RotatingWriter | None = None
        self.rejects: Counter[str] = Counter()
        self.recovered: list[dict] = []
        self.fsync = (self.settings.get("CAIJI_FSYNC") or "batch").strip().lower()
        self.sync_records = max(1, int(self.settings.getfloat("CAIJI_FSYNC_RECORDS", 100)))
        self.sync_seconds = self.settings.getfloat("CAIJI_FSYNC_SECONDS", 1.0)
        # Written records whose marks wait for the next sync (fsync of the data, then the store).
        self._pending: list[tuple[dict, str]] = []
        self._last_sync = time.monotonic()
        self._timer: task.LoopingCall | None = None
        self._rejects_file: IO[str] | None = None
        self._rejects_count = 0
        self._failed: str | None = None
        self.newest = NewestArticles(NEWEST_ARTICLES)
        crawler.signals.connect(self.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(self.page_rejected, signal=page_rejected)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DatasetPipeline:
        return cls(crawler)

    # --- lifecycle ------------------------------------------------------------------------

    def open_spider(self) -> None:
        run = self.crawler.get_extension(DatasetRun)
        if run is None or not run.active:
            return
        compress = (self.settings.get("CAIJI_COMPRESS") or "").strip().lower()
        if compress not in ("", "none", "gzip"):
            raise ValueError(f"CAIJI_COMPRESS must be gzip or unset, not {compress!r}")
        if self.fsync not in FSYNC_MODES:
            raise ValueError(f"CAIJI_FSYNC must be one of {', '.join(FSYNC_MODES)}, not {self.fsync!r}")
        # The run's folder is made now, not with the first record: the manifest goes there even
        # when nothing is written, and an unusable folder should stop the run before it fetches.
        try:
            run.dir.mkdir(parents=True, exist_ok=True)
            if self.fsync != "off":
                # The run's folder (and the spider's, when new) must outlive a power cut too.
                _fsync_dir(run.dir.parent)
                _fsync_dir(run.dir.parent.parent)
        except OSError as exc:
            # DatasetRun closes the spider on spider_opened (raising here would leave the other
            # pipelines' open_spider coroutines un-awaited).
            run.unusable = f"cannot create the dataset folder {run.dir}: {exc.strerror or exc}"
            return
        self.run = run
        max_records = int(self.settings.getfloat("CAIJI_FILE_RECORDS", 10000))
        self.writer = RotatingWriter(run.dir, run.run_id, max_records, compress == "gzip", durable=self.fsync != "off")
        self.recover_leftovers()
        try:
            write_json_atomic(self._run_info_path(run.dir, run.run_id), {"settings": self.record_settings()})
        except OSError as exc:
            logger.warning("Could not note the run's settings (a killed run's manifest will lack them): %s", exc)
        if self.fsync == "batch" and self.sync_seconds > 0:
            # A batch that fills slowly is still synced within CAIJI_FSYNC_SECONDS.
            self._timer = task.LoopingCall(self._sync_due)
            self._timer.start(self.sync_seconds, now=False)

    def close_spider(self) -> None:
        if self._timer is not None and self._timer.running:
            self._timer.stop()
        if self.writer is not None and self.sync():
            try:
                self.writer.finish_file()
            except OSError as exc:
                self._fail(f"could not finish data file: {exc.strerror or exc}")
        # A file whose records could not be marked stored keeps its temporary name: the next run
        # recovers it and marks them, rather than finding final records the store does not know.
        if self._rejects_file is not None:
            try:
                self._rejects_file.close()
            except OSError as exc:
                self._fail(f"cannot write rejects: {exc.strerror or exc}")

    # --- durability -------------------------------------------------------------------------

    def sync(self) -> bool:
        """Fsync the data file (unless CAIJI_FSYNC=off), then mark its pending records stored.

        False when either failed (the run is then failing, and the file keeps its temporary name).
        """
        if self.run is None or self.writer is None or self._failed:
            return False
        try:
            self.writer.sync(durable=self.fsync != "off")
            if self._pending:
                self.run.store.mark_many(self._pending, self.run.spider_name)
        except (OSError, sqlite3.Error) as exc:
            self._write_failed(getattr(exc, "strerror", None) or str(exc))
            return False
        self._pending.clear()
        self._last_sync = time.monotonic()
        return True

    def _sync_due(self) -> None:
        # Each tick is the deadline: a record waits at most one CAIJI_FSYNC_SECONDS.
        if not self._pending:
            return
        try:
            self.sync()
        except Exception:  # a store's own error (Redis): logged, the batch waits for the next tick
            # Raised out of a LoopingCall, it would stop the timer for the rest of the run.
            logger.exception("Could not sync the dataset; trying again in %s s", self.sync_seconds)

    def _write_failed(self, reason: str) -> None:
        assert self.run is not None
        self._fail(f"cannot write to the dataset in {self.run.dir}: {reason}")
        # Scrapy does not honour CloseSpider raised by a pipeline (it logs a traceback per item
        # and crawls on), so the engine is asked to stop.
        if self.crawler.engine is not None:
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="dataset_write_failed"))

    def spider_closed(self, spider, reason: str) -> None:
        if self.run is None:
            return
        try:
            write_json_atomic(self.run.dir / f"manifest-{self.run.run_id}.json", self.manifest(reason))
        except OSError as exc:
            self._fail(f"could not write manifest: {exc}")
        else:
            self._run_info_path(self.run.dir, self.run.run_id).unlink(missing_ok=True)

    @staticmethod
    def _run_info_path(folder: Path, run_id: str) -> Path:
        return folder / f"{RUN_INFO_PREFIX}{run_id}.json"

    # --- records --------------------------------------------------------------------------

    def process_item(self, item):
        if self.run is None or self.writer is None:
            return item
        if self._failed:
            raise DropItem("not written: the dataset cannot be written", log_level="DEBUG")
        adapter = ItemAdapter(item)
        record = ordered_record(adapter)
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        # The full file's records are marked stored before it takes its final name.
        if self.writer.full and not self.sync():
            raise DropItem("not written: the dataset cannot be written", log_level="DEBUG")
        try:
            self.writer.write(line)
        except OSError as exc:
            self._write_failed(exc.strerror or str(exc))
            raise DropItem("not written: the dataset cannot be written", log_level="DEBUG") from exc
        self._pending.append((record, identity(record)))
        if (
            self.fsync != "batch"
            or len(self._pending) >= self.sync_records
            or time.monotonic() - self._last_sync >= self.sync_seconds
        ):
            self.sync()
        self.stats.inc_value("caiji/written")
        # Per-field counts of what was written, for the coverage check (crawler/checks/monitors.py):
        # measured here so that duplicates and rejected pages do not count.
        for field in present_fields(record):
            self.stats.inc_value(f"caiji/field/{field}")
        self.newest.add(record)
        return item

    def item_dropped(self, item, response, exception, spider=None) -> None:
        if isinstance(exception, RejectItem):
            self.write_reject(ItemAdapter(item).get("url"), exception.reason, exception.stage, ordered_record(ItemAdapter(item)))

    def page_rejected(self, url: str, reason: str, stage: str, record: dict | None = None) -> None:
        self.write_reject(url, reason, stage, ordered_record(record) if record else None)

    def write_reject(self, url: str | None, reason: str, stage: str, record: dict | None) -> None:
        """Append one rejected page to ``rejects-<run_id>.jsonl`` and count its reason."""
        key = reason_key(reason)
        self.rejects[key] += 1
        self.stats.inc_value(f"caiji/rejected/{key}")
        if self.run is None:
            return
        entry = {"url": url, "reason": reason, "stage": stage, "record": record}
        try:
            if self._rejects_file is None:
                self.run.dir.mkdir(parents=True, exist_ok=True)
                self._rejects_file = (self.run.dir / f"rejects-{self.run.run_id}.jsonl").open("a", encoding="utf-8")
            self._rejects_file.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")
            self._rejects_file.flush()
            self._rejects_count += 1
        except OSError as exc:
            self._fail(f"cannot write rejects: {exc}")

    def _fail(self, message: str) -> None:
        if self._failed is None:
            logger.error(message)
            self._failed = message
            self.stats.set_value("caiji/exit_code", 1)
            self.stats.set_value("caiji/failure", message)

    # --- leftovers of a killed run ----------------------------------------------------------

    def recover_leftovers(self) -> None:
        """Give the complete records of a killed run's temporary files their final names.

        A killed run is one of this worker's runs (we hold its lock, so none is live) that left a
        temporary file or finished data files without a manifest; each gets a manifest with
        finish_reason ``killed`` listing all its files.
        """
        assert self.run is not None
        if not self.run.spider_dir.is_dir():
            return
        killed: dict[tuple[Path, str], list[dict]] = {}
        for path in sorted(self.run.spider_dir.glob(f"*/{PART_PREFIX}*")):
            match = _PART_NAME.match(path.name)
            tmp = _TMP_NAME.match(path.name)
            if tmp and self._leftover(tmp["manifest"] or tmp["recovering"]):
                # Half-written: the manifest is written again below, the part file is still there.
                path.unlink(missing_ok=True)
            elif match and not tmp and self._leftover(match["run"]):
                killed.setdefault((path.parent, match["run"]), [])
                try:
                    entry = self._recover(path, match["run"], match["seq"], bool(match["gz"]))
                except (OSError, ValueError) as exc:
                    logger.error("Could not recover %s (left for a later run): %s", path, exc)
                    continue
                if entry:
                    self.recovered.append(entry)
                    killed[path.parent, match["run"]].append(entry)
        for path in self.run.spider_dir.glob("*/articles-*"):
            match = _DATA_NAME.match(path.name)
            if match and self._leftover(match["run"]) and not (path.parent / f"manifest-{match['run']}.json").exists():
                killed.setdefault((path.parent, match["run"]), [])
        # A run killed before it wrote a record gets its manifest too: it ran, and wrote nothing.
        for path in self.run.spider_dir.glob(f"*/{RUN_INFO_PREFIX}*.json"):
            match = _RUN_INFO_NAME.match(path.name)
            if match and self._leftover(match["run"]):
                killed.setdefault((path.parent, match["run"]), [])
        for (folder, run_id), entries in sorted(killed.items()):
            try:
                self._write_killed_manifest(folder, run_id, entries)
            except (OSError, ValueError) as exc:
                logger.error("Could not write the manifest of killed run %s: %s", run_id, exc)

    def _leftover(self, run_id: str) -> bool:
        """True for a run of this worker other than this one: what it left is ours to recover."""
        assert self.run is not None
        # With worker ids, each worker recovers only its own leftovers: the others' may be live
        # (in distributed mode also those of a dead worker, see DatasetRun.may_recover).
        parts = run_id.split("-")
        worker = "-".join(parts[1:-1]) or None
        return run_id != self.run.run_id and self.run.may_recover(worker)

    def _recover(self, part: Path, run_id: str, seq: str, gz: bool) -> dict | None:
        assert self.run is not None
        records = _complete_lines(part, gz)
        # In distributed mode another worker may have written some of these articles since the
        # run died (its requests went back to the queue): those records are left out here.
        kept = [line for line in records if self._keep_recovered(json.loads(line), run_id)]
        if len(kept) < len(records):
            logger.warning("Left out %d records of killed run %s: written by another worker", len(records) - len(kept), run_id)
            records = kept
        final = part.with_name(f"articles-{run_id}-{seq}.jsonl{'.gz' if gz else ''}")
        if not records:
            part.unlink()
            logger.warning("Removed %s: a killed run left it with no complete record", part)
            return None
        tmp = part.with_name(f"{PART_PREFIX}recovering-{part.name[len(PART_PREFIX) :]}")
        with tmp.open("wb") as raw:
            out = gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) if gz else raw
            for line in records:
                out.write(line)
            if out is not raw:
                out.close()
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, final)
        part.unlink()
        _fsync_dir(final.parent)
        # The killed run may have died between writing a record and marking it stored.
        parsed = [json.loads(line) for line in records]
        self.run.store.mark_many([(record, identity(record)) for record in parsed], self.run.spider_name)
        logger.warning("Recovered %d complete records of killed run %s into %s", len(records), run_id, final)
        self.stats.inc_value("caiji/recovered_records", len(records))
        return {**file_entry(final, len(records)), "run_id": run_id, "folder": final.parent.name}

    def _keep_recovered(self, record: dict, run_id: str) -> bool:
        assert self.run is not None
        return self.run.store.keep_recovered(record, identity(record), run_id)

    def _write_killed_manifest(self, folder: Path, run_id: str, recovered: list[dict]) -> None:
        """Write (or complete) ``manifest-<run_id>.json`` of a killed run: every data file it left."""
        assert self.run is not None
        path = folder / f"manifest-{run_id}.json"
        previous = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
        fresh = {entry["name"]: {k: entry[k] for k in ("name", "records", "bytes", "sha256")} for entry in recovered}
        files = []
        for data in sorted(folder.glob(f"articles-{run_id}-*")):
            if _DATA_NAME.match(data.name):
                files.append(fresh.get(data.name) or file_entry(data, _count_lines(data)))
        info_path = self._run_info_path(folder, run_id)
        try:
            info = json.loads(info_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            info = {}
        write_json_atomic(path, _killed_manifest(previous, folder, run_id, self.run, files, info))
        info_path.unlink(missing_ok=True)

    # --- manifest ---------------------------------------------------------------------------

    def record_settings(self) -> dict:
        """The settings that shape records, typed (``-s`` hands every value over as a string)."""
        settings = self.settings
        compress = (settings.get("CAIJI_COMPRESS") or "").strip().lower()
        target = (settings.get("CAIJI_SCRIPT_TARGET") or "none").strip().lower()
        return {
            "CAIJI_SCRIPT_TARGET": target,
            "CAIJI_INCREMENTAL": getattr(self.crawler.spider, "incremental", None),
            "CAIJI_REFRESH_DAYS": settings.getfloat("CAIJI_REFRESH_DAYS", 2),
            "CAIJI_FILE_RECORDS": int(settings.getfloat("CAIJI_FILE_RECORDS", 10000)),
            "CAIJI_COMPRESS": compress if compress == "gzip" else None,
        }

    def manifest(self, reason: str) -> dict:
        """The run's manifest (SPEC §5)."""
        assert self.run is not None
        stats = self.stats
        rejects = None
        path = self.run.dir / f"rejects-{self.run.run_id}.jsonl"
        if self._rejects_count and path.exists():
            rejects = file_entry(path, self._rejects_count)
        files = self.writer.files if self.writer else []
        return {
            "spider": self.run.spider_name,
            "run_id": self.run.run_id,
            "worker_id": self.run.worker_id,
            "started_at": utc_isoformat(self.run.started_at),
            "finished_at": utc_isoformat(datetime.now(UTC)),
            "finish_reason": reason if not self._failed else f"{reason} ({self._failed})",
            "schema_version": SCHEMA_VERSION,
            "settings": self.record_settings(),
            "files": files,
            "rejects": rejects,
            "recovered": self.recovered,
            "counts": {
                "written": sum(f["records"] for f in files),
                "rejected": dict(sorted(self.rejects.items())),
                "duplicates": (stats.get_value("caiji/duplicates") or 0) + (stats.get_value("caiji/unchanged") or 0),
                "new": stats.get_value("caiji/new") or 0,
                "changed": stats.get_value("caiji/changed") or 0,
                "unchanged": stats.get_value("caiji/unchanged") or 0,
                "syndicated": stats.get_value("caiji/syndicated") or 0,
                "skipped": stats.get_value("caiji/skipped_stored") or 0,
                "recovered": sum(r["records"] for r in self.recovered),
                "pages": stats.get_value("response_received_count") or 0,
                "http_errors": sum(v for k, v in stats.get_stats().items() if k.startswith("caiji/http_status/")),
            },
            # Spidermon's checks ran on spider_closed before this (extensions connect before
            # pipelines); None when they did not run.
            "checks": (
                {key: stats.get_value(f"caiji/checks/{key}") for key in ("passed", "skipped", "failed")}
                if stats.get_value("caiji/checks/passed") is not None
                else None
            ),
            # Records written with each field (``captions``: with an image caption), for the report's
            # coverage per night without reading the data files.
            "fields": {field: stats.get_value(f"caiji/field/{field}") or 0 for field in COVERAGE_COUNTS},
            "newest": self.newest.entries(),
            # What `scrapy crawl` exits with and why (SPEC §4), as RunOutcome, the checks and this
            # pipeline's write failures (_fail) set it.
            "outcome": {"exit_code": int(stats.get_value("caiji/exit_code") or 0), "failure": stats.get_value("caiji/failure")},
        }


def present_fields(record: dict) -> Iterator[str]:
    """The names of :data:`COVERAGE_COUNTS` a record has (``captions``: an image with a caption)."""
    for field in COVERAGE_FIELDS:
        if record.get(field):
            yield field
    if any(isinstance(image, dict) and image.get("caption") for image in record.get("images") or ()):
        yield "captions"


class NewestArticles:
    """The N newest records written, by timestamp (fetch time for records without one)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._heap: list[tuple[bool, datetime, int, dict]] = []
        self._seen = 0

    def add(self, record: dict) -> None:
        """Keep ``record``'s title, time and link if it is among the newest so far."""
        # Records with a timestamp come before those without, which are ranked by fetch time.
        timed = read_iso_time(record.get("timestamp"))
        moment = timed or read_iso_time(record.get("crawled_at"))
        if moment is None:
            return
        self._seen += 1
        entry = {
            "title": record.get("title"),
            "timestamp": record.get("timestamp"),
            "url": record.get("canonical_url") or record.get("url"),
            "crawled_at": record.get("crawled_at"),
        }
        # The sequence number breaks ties (dicts do not compare) in favour of the later record.
        item = (timed is not None, moment, self._seen, entry)
        if len(self._heap) < self.size:
            heapq.heappush(self._heap, item)
        elif item > self._heap[0]:
            heapq.heapreplace(self._heap, item)

    def entries(self) -> list[dict]:
        """The kept records, newest first."""
        return [entry for *_, entry in sorted(self._heap, reverse=True)]


def reason_key(reason: str) -> str:
    """A short, stable key for counting reasons (``http 404``, ``missing body`` …)."""
    return reason.split(":", 1)[0].strip()[:60] or "unknown"


def _complete_lines(part: Path, gz: bool) -> list[bytes]:
    """The lines of a killed run's file that are whole JSON records, up to the first that is not."""
    try:
        raw = part.read_bytes()
    except OSError:
        return []
    if gz:
        # A stream cut by the kill: a decompressobj hands back everything before the cut. Fed in
        # blocks, so what precedes damaged bytes is kept when zlib gives up on them.
        inflate = zlib.decompressobj(wbits=31)
        chunks = []
        try:
            for start in range(0, len(raw), 1 << 16):
                chunks.append(inflate.decompress(raw[start : start + (1 << 16)]))
        except zlib.error:
            pass
        data = b"".join(chunks)
    else:
        data = raw
    lines = []
    for line in data.split(b"\n")[:-1]:
        try:
            json.loads(line)
        except ValueError:
            break
        lines.append(line + b"\n")
    return lines


def _count_lines(path: Path) -> int:
    """The number of lines of a finished (possibly gzipped) data file."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as f:
        return sum(1 for _ in f)


def _run_started(run_id: str) -> str | None:
    """The start time a run id carries (``20261129T035537Z-…``), as ISO 8601 UTC."""
    try:
        return utc_isoformat(datetime.strptime(run_id.split("-", 1)[0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC))
    except ValueError:
        return None


def _killed_manifest(
    previous: dict | None, folder: Path, run_id: str, run: DatasetRun, files: list[dict], info: dict | None = None
) -> dict:
    """The manifest of a run that died before writing its own (or whose files changed since).

    What the run noted at its start (``info``: its settings) and its rejects file say is filled
    in; what only its memory held (duplicates) is null.
    """
    manifest = previous or {
        "spider": run.spider_name,
        "run_id": run_id,
        "worker_id": run.worker_id,
        "started_at": _run_started(run_id),
        "finished_at": None,
        "finish_reason": "killed",
        "schema_version": SCHEMA_VERSION,
        "settings": (info or {}).get("settings"),
        "files": [],
        "rejects": None,
        "recovered": [],
        "counts": {"written": 0, "rejected": {}, "duplicates": None},
    }
    rejects = folder / f"rejects-{run_id}.jsonl"
    if previous is None and rejects.exists():
        manifest["rejects"] = file_entry(rejects, _count_lines(rejects))
        manifest["counts"]["rejected"] = _reject_reasons(rejects)
    manifest["recovered_by"] = run.run_id
    manifest["files"] = files
    manifest.setdefault("counts", {})["written"] = sum(f["records"] for f in files)
    return manifest


def _reject_reasons(path: Path) -> dict[str, int]:
    """Rejected pages by reason, read from a rejects file (its complete lines)."""
    reasons: Counter[str] = Counter()
    with path.open("rb") as f:
        for line in f:
            try:
                reasons[reason_key(json.loads(line)["reason"])] += 1
            except (ValueError, KeyError, TypeError):
                continue  # the line a kill cut short
    return dict(sorted(reasons.items()))
