"""``scrapy validate PATH...``: check data files line by line and manifests against the files."""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import zlib
from collections.abc import Iterator
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler.extraction.items import FIELDS, content_hash
from pipelines.validation import RecordValidator

#: What a folder is searched for (SPEC §5); hidden ``.part-*`` files are not complete yet.
DATA_GLOBS = ("articles-*.jsonl", "articles-*.jsonl.gz")
_DATA_NAME = re.compile(r"^articles-(?P<run>.+)-\d{4}\.jsonl(?:\.gz)?$")


class Command(ScrapyCommand):
    """Validate every record of data files against the schema, and manifests against their files."""

    requires_project = True
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "PATH..."

    def short_desc(self) -> str:
        return "Validate dataset files (every line against the schema) and their manifests"

    def long_desc(self) -> str:
        return (
            "Validate JSON Lines data files, given as files or as folders (every articles-*.jsonl[.gz] below "
            "them): each line must be a JSON object with the record's keys in SPEC order that matches "
            "schema/article.schema.json. Manifests found in those folders must match the files on disk. "
            "Exits 1 when anything is invalid or no data file is found."
        )

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument(
            "--max-errors", type=int, default=20, metavar="N", help="invalid lines printed per file (default: 20)"
        )

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if not args:
            raise UsageError("give at least one file or folder")
        if opts.max_errors < 0:
            raise UsageError("--max-errors must be 0 or more", print_help=False)
        checker = DatasetChecker(opts.max_errors)
        data_files: list[Path] = []
        manifests: list[Path] = []
        for arg in args:
            path = Path(arg)
            if path.is_dir():
                data_files += sorted({p for pattern in DATA_GLOBS for p in path.rglob(pattern) if p.is_file()})
                manifests += sorted(path.rglob("manifest-*.json"))
            elif path.is_file():
                (manifests if path.name.startswith("manifest-") and path.suffix == ".json" else data_files).append(path)
            else:
                checker.report(f"{path}: no such file or folder")
        # The same file named twice (a folder and a file in it) is checked once.
        data_files = list(dict.fromkeys(data_files))
        manifests = list(dict.fromkeys(manifests))
        for path in data_files:
            checker.check_data_file(path)
        for path in manifests:
            checker.check_manifest(path)
        if not data_files:
            checker.report(f"no data file (articles-*.jsonl[.gz]) in {', '.join(args)}")
        summary = f"{len(data_files)} files, {checker.records} records, {checker.invalid} invalid"
        if manifests:
            summary += f"; {len(manifests)} manifests, {checker.mismatches} mismatches"
        print(summary)
        self.exitcode = 1 if checker.failed else 0


class DatasetChecker:
    """Counts and prints what is wrong with data files and manifests (``file:line: reason``)."""

    def __init__(self, max_errors: int = 20) -> None:
        self.max_errors = max_errors
        self.validator = RecordValidator()
        self.records = 0
        self.invalid = 0
        self.mismatches = 0
        self.failed = False

    def report(self, message: str) -> None:
        """Print one problem and remember that the check failed."""
        self.failed = True
        print(message.replace("\n", " "))

    # --- data files -------------------------------------------------------------------------

    def check_data_file(self, path: Path) -> None:
        """Check every line of ``path``; print at most ``max_errors`` of its invalid lines."""
        shown = hidden = 0
        for number, reason in self._file_problems(path):
            self.invalid += 1
            if shown < self.max_errors:
                shown += 1
                self.report(f"{path}:{number}: {reason}")
            else:
                hidden += 1
        if hidden:
            self.report(f"{path}: … and {hidden} more invalid lines")

    def _file_problems(self, path: Path) -> Iterator[tuple[int, str]]:
        try:
            data = read_data(path)
        except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
            yield 0, f"unreadable: {getattr(exc, 'strerror', None) or exc}"
            return
        if not data:
            return
        lines = data.split(b"\n")
        if lines[-1]:
            # Every record line ends with a newline; a file that does not is cut short.
            yield len(lines), "the last line has no newline (a cut file?)"
        for number, line in enumerate(lines[:-1], 1):
            self.records += 1
            reason = self.line_problem(line)
            if reason:
                yield number, reason

    def line_problem(self, line: bytes) -> str | None:
        """Why one line is not a valid record, or None."""
        if not line.strip():
            return "empty line"
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            return f"not UTF-8: {exc.reason} at byte {exc.start}"
        try:
            record = json.loads(text)
        except ValueError as exc:
            return f"not JSON: {exc}"
        if not isinstance(record, dict):
            return f"not a JSON object but {type(record).__name__}"
        missing = [key for key in FIELDS if key not in record]
        if missing:
            return f"missing key{'s' if len(missing) > 1 else ''}: {', '.join(missing)}"
        unknown = [key for key in record if key not in FIELDS]
        if unknown:
            return f"unknown key{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}"
        if tuple(record) != FIELDS:
            return f"keys not in SPEC order: {', '.join(record)}"
        problem = self.validator.problem(record)
        if problem:
            return problem
        if content_hash(record["title"], record["body"]) != record["content_hash"]:
            return "content_hash is not the SHA-256 of title + newline + body"
        return None

    # --- manifests --------------------------------------------------------------------------

    def check_manifest(self, path: Path) -> None:
        """Check that the files a manifest lists are on disk as it describes them."""
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            self._mismatch(f"{path}: unreadable manifest: {exc}")
            return
        if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), list):
            self._mismatch(f"{path}: not a manifest (no files list)")
            return
        entries = list(manifest["files"])
        if isinstance(manifest.get("rejects"), dict):
            entries.append(manifest["rejects"])
        for entry in entries:
            problem = self._entry_problem(path.parent, entry)
            if problem:
                self._mismatch(f"{path}: {problem}")
        # A data file of this run that its manifest does not list.
        listed = {entry.get("name") for entry in manifest["files"] if isinstance(entry, dict)}
        run_id = manifest.get("run_id")
        for data in sorted(path.parent.glob(f"articles-{run_id}-*")):
            match = _DATA_NAME.match(data.name)
            if match and match["run"] == run_id and data.name not in listed:
                self._mismatch(f"{path}: {data.name} is on disk but not listed")

    def _entry_problem(self, folder: Path, entry: object) -> str | None:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or "/" in entry["name"]:
            return f"bad file entry {entry!r}"
        name = entry["name"]
        path = folder / name
        if not path.is_file():
            return f"{name} is listed but missing"
        size = path.stat().st_size
        if entry.get("bytes") != size:
            return f"{name}: {size} bytes on disk, manifest says {entry.get('bytes')}"
        digest = hashlib.sha256()
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        if entry.get("sha256") != digest.hexdigest():
            return f"{name}: sha256 on disk differs from the manifest's"
        try:
            records = read_data(path).count(b"\n")
        except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
            return f"{name}: unreadable: {exc}"
        if entry.get("records") != records:
            return f"{name}: {records} records on disk, manifest says {entry.get('records')}"
        return None

    def _mismatch(self, message: str) -> None:
        self.mismatches += 1
        self.report(message)


def read_data(path: Path) -> bytes:
    """The bytes of a data file, gunzipped when its name ends in ``.gz``."""
    if path.name.endswith(".gz"):
        with gzip.open(path, "rb") as f:
            return f.read()
    return path.read_bytes()
