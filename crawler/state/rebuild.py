"""Rebuilding a data dir's article store (``state.sqlite``) from its data files and manifests.

The dataset is the truth: every complete record of every data file, the latest one per article
(by ``crawled_at``) giving its content hash. Run by ``scrapy rebuild-state DATA_DIR``.
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from crawler.extraction.items import identity
from crawler.state.store import DATA_FILES, ArticleStore, StoreError

_DATA_NAME = re.compile(r"^articles-(?P<run>.+)-(?P<seq>\d{4})\.jsonl(?:\.gz)?$")


@dataclass
class Rebuilt:
    """What a rebuild found and did."""

    path: Path
    articles: int = 0
    records: int = 0
    files: int = 0
    runs: int = 0
    kept_old: Path | None = None
    warnings: list[str] = field(default_factory=list)


def rebuild_store(data_dir: Path) -> Rebuilt:
    """Write ``data_dir/state.sqlite`` anew from the dataset; the old one is kept beside it.

    StoreError when a crawl holds a lock on the data dir (its store is in use).
    """
    data_dir = Path(data_dir)
    locks = _take_locks(data_dir)
    try:
        return _rebuild(data_dir)
    finally:
        for fd in locks:
            os.close(fd)


def _take_locks(data_dir: Path) -> list[int]:
    taken: list[int] = []
    for path in sorted(data_dir.glob(".*.lock")):
        fd = os.open(path, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip()
            os.close(fd)
            for other in taken:
                os.close(other)
            raise StoreError(
                f"a crawl is running on {data_dir} ({holder or path.name}): rebuild the store once it ends"
            ) from None
        taken.append(fd)
    return taken


def _rebuild(data_dir: Path) -> Rebuilt:
    target = data_dir / "state.sqlite"
    result = Rebuilt(target)
    listed = _listed_files(data_dir, result)
    latest: dict[str, tuple[str, str, dict]] = {}
    first: dict[str, str] = {}
    runs = set()
    files = sorted((p for p in data_dir.glob(DATA_FILES) if _DATA_NAME.match(p.name)), key=lambda p: p.name)
    for path in files:
        spider = path.parent.parent.name
        entry = listed.get(path)
        read = _read(path, result)
        if read is None:
            continue
        raw, data = read
        if entry is None:
            result.warnings.append(f"{path} is in no manifest (a killed run's file; the next crawl of {spider} lists it)")
        elif hashlib.sha256(raw).hexdigest() != entry.get("sha256"):
            result.warnings.append(f"{path} differs from its manifest: its complete records are used")
        result.files += 1
        runs.add(_DATA_NAME.match(path.name)["run"])
        for number, line in enumerate(data.splitlines(), 1):
            try:
                record = json.loads(line)
                key = identity(record)
                moment = record["crawled_at"] or ""
                if not isinstance(record["content_hash"], str):
                    raise TypeError("no content hash")
            except (ValueError, KeyError, TypeError):
                result.warnings.append(f"{path}:{number}: not a complete record, left out")
                continue
            result.records += 1
            if key not in latest or moment >= latest[key][0]:
                latest[key] = (moment, spider, record)
            first[key] = min(first.get(key, moment), moment)
    result.runs = len(runs)
    result.articles = len(latest)
    tmp = data_dir / f".state.sqlite.rebuild-{os.getpid()}"
    for leftover in (tmp, tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
        leftover.unlink(missing_ok=True)
    store = ArticleStore(tmp)
    try:
        store.load([(key, record, spider, first[key], moment) for key, (moment, spider, record) in sorted(latest.items())])
    finally:
        store.close()
    if target.exists():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        result.kept_old = data_dir / f"state.sqlite.old-{stamp}"
        os.replace(target, result.kept_old)
    # The old store's write-ahead log belongs to it, not to the new file.
    for suffix in ("-wal", "-shm"):
        old = data_dir / f"state.sqlite{suffix}"
        if old.exists() and result.kept_old is not None:
            os.replace(old, result.kept_old.with_name(result.kept_old.name + suffix))
        else:
            old.unlink(missing_ok=True)
    os.replace(tmp, target)
    fd = os.open(data_dir, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return result


def _listed_files(data_dir: Path, result: Rebuilt) -> dict[Path, dict]:
    """Data file → its entry in the manifest that lists it."""
    listed: dict[Path, dict] = {}
    for path in sorted(data_dir.glob("*/*/manifest-*.json")):
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
            entries = list(manifest.get("files") or [])
        except (OSError, ValueError, AttributeError) as exc:
            result.warnings.append(f"{path} is unreadable ({exc}): its files are read all the same")
            continue
        for entry in entries:
            file = path.parent / str(entry.get("name"))
            listed[file] = entry
            if not file.exists():
                result.warnings.append(f"{file} is listed in {path.name} but missing: its records are not in the store")
    return listed


def _read(path: Path, result: Rebuilt) -> tuple[bytes, bytes] | None:
    """The file's bytes as stored and as JSON lines (decompressed when gzipped)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        result.warnings.append(f"{path} is unreadable ({exc.strerror}): left out")
        return None
    if not path.name.endswith(".gz"):
        return raw, raw
    try:
        return raw, gzip.decompress(raw)
    except (OSError, EOFError) as exc:
        result.warnings.append(f"{path} is not a complete gzip file ({exc}): left out")
        return None
