"""The numbers of ``scrapy report``: a dataset's runs per site and night, from manifests and rejects.

A run's manifest answers for it (counts, field coverage, its newest articles, checks); its data
files are read only when it has none that does: no manifest (killed, or still running), a damaged
one, or one written before manifests carried coverage. What cannot be read is said in
:attr:`DatasetReport.problems` and the report goes on with the rest.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from crawler.extraction.dates import read_iso_time
from pipelines.dataset import COVERAGE_COUNTS, NEWEST_ARTICLES, NewestArticles, present_fields, reason_key

#: The fields whose coverage the report plots, with their labels.
PLOTTED_FIELDS = {
    "timestamp": "时间 timestamp",
    "author": "作者 author",
    "images": "图片 images",
    "related_links": "相关 related",
    "captions": "图注 captions",
}
#: Finish reasons of a complete crawl when the manifest does not say how the run ended.
COMPLETE_REASONS = ("finished", "closespider_pagecount", "closespider_itemcount", "closespider_timeout")
#: Rejected pages listed from the last night's rejects files.
REJECT_EXAMPLES = 20

_NIGHT = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SITE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_MANIFEST = re.compile(r"^manifest-(?P<run>.+)\.json$")
_DATA = re.compile(r"^articles-(?P<run>.+)-\d{4}\.jsonl(?:\.gz)?$")
_PART = re.compile(r"^\.part-(?P<run>(?!manifest-|recovering-).+)-\d{4}\.jsonl(?:\.gz)?$")
_REJECTS = re.compile(r"^rejects-(?P<run>.+)\.jsonl$")
_RUN_INFO = re.compile(r"^\.run-(?P<run>.+)\.json$")


class NothingToReport(Exception):
    """The path holds no run of a caiji dataset (the one-line reason is the message)."""


@dataclass
class Run:
    """One run (one worker's crawl of one site on one night), as its manifest or files tell it."""

    site: str
    night: str
    run_id: str
    worker_id: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    finish_reason: str | None = None
    written: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    pages: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    #: Records written with each field (``COVERAGE_COUNTS``); None when nothing recorded them.
    fields: dict[str, int] | None = None
    newest: list[dict] = field(default_factory=list)
    checks: dict | None = None
    exit_code: int | None = None
    failure: str | None = None
    #: ``manifest``; ``files`` when the counts were read from the data and rejects files.
    source: str = "manifest"

    @property
    def duration(self) -> float | None:
        """Seconds from start to finish, when both are known."""
        if self.started_at and self.finished_at and self.finished_at >= self.started_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None

    @property
    def failed_checks(self) -> dict[str, str]:
        """The checks that failed, by name, with their reasons."""
        failed = (self.checks or {}).get("failed")
        return failed if isinstance(failed, dict) else {}

    @property
    def verdict(self) -> str | None:
        """None when the run went well; else why it did not, in a few words."""
        if self.source == "files" and self.finish_reason is None:
            return "no manifest: killed, or still running"
        if self.exit_code:
            return self.failure or f"exit code {self.exit_code}"
        if self.exit_code is None:
            # A manifest from before runs recorded their outcome, or a killed run's.
            if self.finish_reason not in COMPLETE_REASONS:
                return f"finish reason: {self.finish_reason or 'unknown'}"
            if self.failed_checks:
                return "checks failed: " + ", ".join(self.failed_checks)
        return None


@dataclass
class Night:
    """A site's runs that started on one (UTC) day, added up."""

    day: date
    runs: list[Run] = field(default_factory=list)

    def total(self, name: str) -> int:
        """The sum of a count over the night's runs."""
        return sum(getattr(run, name) for run in self.runs)

    @property
    def rejected(self) -> int:
        return sum(sum(run.rejected.values()) for run in self.runs)

    @property
    def duration(self) -> float | None:
        """Seconds from the first start to the last finish (workers run side by side)."""
        starts = [run.started_at for run in self.runs if run.started_at]
        ends = [run.finished_at for run in self.runs if run.finished_at]
        if not starts or not ends or max(ends) < min(starts):
            return None
        return (max(ends) - min(starts)).total_seconds()

    @property
    def pages_per_second(self) -> float | None:
        seconds = self.duration
        return self.total("pages") / seconds if seconds else None

    def coverage(self, name: str) -> float | None:
        """The share of the night's written records that have ``name``; None when unknown."""
        known = [run for run in self.runs if run.fields is not None]
        written = sum(run.written for run in known)
        if not written:
            return None
        return sum(run.fields.get(name, 0) for run in known) / written

    @property
    def verdicts(self) -> list[str]:
        """Why runs of this night went wrong (empty: all went well)."""
        return [f"{run.run_id}: {run.verdict}" for run in self.runs if run.verdict]

    @property
    def workers(self) -> dict[str, int]:
        """Records written per worker (``-`` for runs without a worker id)."""
        counts: Counter[str] = Counter()
        for run in self.runs:
            counts[run.worker_id or "-"] += run.written
        return dict(counts)


@dataclass
class SiteReport:
    """A site's nights over the report's window."""

    name: str
    nights: list[Night]
    newest: list[dict] = field(default_factory=list)
    reject_examples: list[dict] = field(default_factory=list)

    @property
    def last_night(self) -> Night | None:
        """The newest night with a run."""
        return next((night for night in reversed(self.nights) if night.runs), None)

    @property
    def runs(self) -> list[Run]:
        return [run for night in self.nights for run in night.runs]

    @property
    def distributed(self) -> bool:
        """True when some night was crawled by more than one worker."""
        return any(len({run.worker_id for run in night.runs}) > 1 for night in self.nights)

    def rejects_by_reason(self) -> dict[str, int]:
        """Rejected pages over the window by reason, most first."""
        counts: Counter[str] = Counter()
        for run in self.runs:
            counts.update(run.rejected)
        return dict(counts.most_common())


@dataclass
class DatasetReport:
    """What ``scrapy report`` shows: each site over the last nights, and what could not be read."""

    data_dir: Path
    days: list[date]
    sites: dict[str, SiteReport]
    problems: list[str] = field(default_factory=list)
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def failed_sites(self) -> list[str]:
        """Sites whose last night went wrong."""
        return [name for name, site in self.sites.items() if site.last_night and site.last_night.verdicts]


def read_dataset(data_dir: Path, site: str | None = None, nights: int = 30) -> DatasetReport:
    """The report's numbers for the last ``nights`` nights of ``data_dir`` (a data dir or one site's folder).

    Raises NothingToReport when there is no run to report on.
    """
    data_dir = Path(data_dir)
    if nights < 1:
        raise ValueError("nights must be at least 1")
    if not data_dir.exists():
        raise NothingToReport(f"{data_dir} does not exist")
    if not data_dir.is_dir():
        raise NothingToReport(f"{data_dir} is not a directory")
    site_dirs = _site_dirs(data_dir)
    if not site_dirs and _night_dirs(data_dir):
        site_dirs = {data_dir.name: data_dir}  # pointed at one site's folder
    if site is not None:
        if site not in site_dirs:
            known = ", ".join(sorted(site_dirs)) or "none"
            raise NothingToReport(f"no site {site!r} under {data_dir} (sites: {known})")
        site_dirs = {site: site_dirs[site]}
    night_dirs = {name: _night_dirs(path) for name, path in site_dirs.items()}
    all_days = sorted({day for dirs in night_dirs.values() for day in dirs})
    if not all_days:
        raise NothingToReport(f"no caiji runs under {data_dir} (expected <site>/<YYYY-MM-DD>/manifest-*.json)")
    last = all_days[-1]
    # From the first night of the dataset when it is younger than the window: no empty nights before it.
    first = max(all_days[0], last - timedelta(days=nights - 1))
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    report = DatasetReport(data_dir, days, {})
    for name in sorted(site_dirs):
        report.sites[name] = _read_site(name, night_dirs[name], days, report.problems)
    if not any(site.runs for site in report.sites.values()):
        raise NothingToReport(f"no readable run under {data_dir} in the last {nights} nights")
    age = (datetime.now(UTC).date() - last).days
    if age > 1:
        report.problems.insert(
            0, f"the newest run is {age} days old (night of {last.isoformat()}): are the nightly crawls running?"
        )
    return report


def _site_dirs(data_dir: Path) -> dict[str, Path]:
    """The folders of ``data_dir`` that hold nights of a site."""
    found = {}
    for entry in _scandir(data_dir):
        if entry.is_dir() and _SITE.match(entry.name) and not _NIGHT.match(entry.name) and _night_dirs(Path(entry.path)):
            found[entry.name] = Path(entry.path)
    return found


def _night_dirs(site_dir: Path) -> dict[date, Path]:
    found = {}
    for entry in _scandir(site_dir):
        if entry.is_dir() and _NIGHT.match(entry.name):
            try:
                found[date.fromisoformat(entry.name)] = Path(entry.path)
            except ValueError:
                continue
    return found


def _scandir(path: Path) -> list[os.DirEntry]:
    try:
        with os.scandir(path) as entries:
            return list(entries)
    except OSError:
        return []


def _read_site(name: str, night_dirs: dict[date, Path], days: list[date], problems: list[str]) -> SiteReport:
    nights = []
    for day in days:
        night = Night(day)
        if day in night_dirs:
            night.runs = _read_night(name, night_dirs[day], problems)
        nights.append(night)
    site = SiteReport(name, nights)
    site.newest = _newest([run for night in nights for run in night.runs])
    last = site.last_night
    if last is not None:
        site.reject_examples = _reject_examples(night_dirs[last.day], last.runs, problems)
    return site


def _read_night(site: str, folder: Path, problems: list[str]) -> list[Run]:
    """Every run in one night's folder, oldest first."""
    names: dict[str, dict[str, list[str]]] = {}
    for entry in _scandir(folder):
        for kind, pattern in (
            ("manifest", _MANIFEST),
            ("data", _DATA),
            ("part", _PART),
            ("rejects", _REJECTS),
            ("info", _RUN_INFO),
        ):
            match = pattern.match(entry.name)
            if match:
                names.setdefault(match["run"], {}).setdefault(kind, []).append(entry.name)
                break
    runs = []
    for run_id, kinds in sorted(names.items()):
        runs.append(_read_run(site, folder, run_id, kinds, problems))
    return runs


def _read_run(site: str, folder: Path, run_id: str, kinds: dict[str, list[str]], problems: list[str]) -> Run:
    where = f"{site}/{folder.name}"
    data = sorted(kinds.get("data", []))
    manifest = None
    if "manifest" in kinds:
        path = folder / kinds["manifest"][0]
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(manifest, dict):
                raise ValueError("not a JSON object")
            run = _from_manifest(site, folder.name, run_id, manifest)
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            problems.append(f"{where}/{path.name} could not be read ({_short(exc)}): run {run_id} counted from its files")
            manifest = None
    if manifest is None:
        run = Run(site, folder.name, run_id, source="files", started_at=_run_started(run_id))
        run.worker_id = _worker_of(run_id)
        if "manifest" not in kinds:
            if kinds.get("part") or kinds.get("info"):
                problems.append(f"{where}: run {run_id} has no manifest yet (killed, or still running): counted from its files")
            else:
                problems.append(f"{where}: run {run_id} has no manifest: counted from its files")
        run.fields = {}
        newest = NewestArticles(NEWEST_ARTICLES)
        for name in data + sorted(kinds.get("part", [])):
            run.written += _scan_records(folder / name, run.fields, newest, problems, where)
        run.newest = newest.entries()
        for name in kinds.get("rejects", []):
            run.rejected = _count_rejects(folder / name, problems, where)
        return run
    if run.fields is None and data:
        # A killed run's manifest, or one from before manifests had coverage: its files answer.
        run.fields = {}
        newest = NewestArticles(NEWEST_ARTICLES)
        for name in data:
            _scan_records(folder / name, run.fields, newest, problems, where)
        run.newest = newest.entries()
    return run


def _from_manifest(site: str, night: str, run_id: str, m: dict[str, Any]) -> Run:
    counts = m.get("counts") or {}
    rejected = counts.get("rejected") or {}
    if not isinstance(counts, dict) or not isinstance(rejected, dict):
        raise ValueError("counts are not an object")
    outcome = m.get("outcome") if isinstance(m.get("outcome"), dict) else None
    fields = m.get("fields") if isinstance(m.get("fields"), dict) else None
    files = [f for f in m.get("files") or [] if isinstance(f, dict)]
    return Run(
        site=site,
        night=night,
        run_id=_text(m.get("run_id")) or run_id,
        worker_id=_text(m.get("worker_id")),
        started_at=read_iso_time(m.get("started_at")) or _run_started(run_id),
        finished_at=read_iso_time(m.get("finished_at")),
        finish_reason=_text(m.get("finish_reason")),
        written=_count(counts.get("written", sum(_count(f.get("records")) for f in files))),
        new=_count(counts.get("new")),
        changed=_count(counts.get("changed")),
        unchanged=_count(counts.get("unchanged")),
        pages=_count(counts.get("pages")),
        rejected={str(k): _count(v) for k, v in rejected.items()},
        fields={k: _count(fields.get(k)) for k in COVERAGE_COUNTS} if fields is not None else None,
        newest=[a for a in m.get("newest") or [] if isinstance(a, dict)],
        checks=m.get("checks") if isinstance(m.get("checks"), dict) else None,
        exit_code=_count(outcome.get("exit_code")) if outcome else None,
        failure=_text(outcome.get("failure")) if outcome else None,
    )


def _count(value: object) -> int:
    """A count from a manifest: a non-negative int (null, as a killed run's manifest has, is 0)."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"count {value!r} is not a number")
    return int(value)


def _text(value: object) -> str | None:
    """A name or reason from a manifest as text (a damaged one may hold anything); None if empty."""
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _run_started(run_id: str) -> datetime | None:
    try:
        return datetime.strptime(run_id.split("-", 1)[0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def _worker_of(run_id: str) -> str | None:
    # <stamp>-<worker>-<hex> with a worker id, <stamp>-<hex> without (crawler/state/run.py).
    parts = run_id.split("-")
    return "-".join(parts[1:-1]) or None


def _short(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__


def _lines(path: Path) -> Iterator[bytes]:
    """The lines of a (possibly gzipped) JSON Lines file; a stream cut short raises EOFError or zlib.error."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as f:
        yield from f


def _scan_records(path: Path, fields: dict[str, int], newest: NewestArticles, problems: list[str], where: str) -> int:
    """Count the records of one data file into ``fields`` and ``newest``; the number of records."""
    records = 0
    try:
        for line in _lines(path):
            try:
                record = json.loads(line)
            except ValueError:
                problems.append(f"{where}/{path.name}: line {records + 1} is not a whole record (cut short?); read up to it")
                break
            if not isinstance(record, dict):
                continue
            records += 1
            for name in present_fields(record):
                fields[name] = fields.get(name, 0) + 1
            newest.add(record)
    except (OSError, EOFError, zlib.error) as exc:
        problems.append(f"{where}/{path.name} could not be read to the end ({_short(exc)}); {records} records counted")
    return records


def _read_rejects(path: Path, problems: list[str], where: str) -> Iterator[dict]:
    """The entries of a rejects file; a line cut short (a killed run) is reported, not fatal."""
    try:
        with path.open("rb") as f:
            for number, line in enumerate(f, 1):
                try:
                    entry = json.loads(line)
                except ValueError:
                    problems.append(f"{where}/{path.name}: line {number} is cut short or damaged; left out")
                    continue
                if isinstance(entry, dict):
                    yield entry
    except OSError as exc:
        problems.append(f"{where}/{path.name} could not be read ({_short(exc)})")


def _count_rejects(path: Path, problems: list[str], where: str) -> dict[str, int]:
    reasons: Counter[str] = Counter()
    for entry in _read_rejects(path, problems, where):
        reasons[reason_key(str(entry.get("reason") or "unknown"))] += 1
    return dict(reasons)


def _reject_examples(folder: Path, runs: list[Run], problems: list[str]) -> list[dict]:
    """The first rejected pages of a night's runs: url, reason, stage."""
    examples: list[dict] = []
    for run in runs:
        path = folder / f"rejects-{run.run_id}.jsonl"
        if not path.exists() or run.source == "files":
            # A run counted from its files had its rejects file read already (and its problems said).
            entries = _read_rejects(path, [], "") if path.exists() else iter(())
        else:
            entries = _read_rejects(path, problems, f"{run.site}/{folder.name}")
        for entry in entries:
            if len(examples) < REJECT_EXAMPLES:
                examples.append({"url": entry.get("url"), "reason": entry.get("reason"), "stage": entry.get("stage")})
        # Read to the end all the same: a line cut short is worth saying even past the examples.
    return examples


def _newest(runs: list[Run]) -> list[dict]:
    """The newest articles of the runs' lists, one entry per link, newest first."""
    newest = NewestArticles(NEWEST_ARTICLES)
    seen = set()
    for run in reversed(runs):  # a later run's record of an article is the one to show
        for entry in run.newest:
            if entry.get("url") in seen:
                continue
            seen.add(entry.get("url"))
            newest.add(entry)
    return newest.entries()
