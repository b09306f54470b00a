"""Extraction accuracy on folders of real pages (<id>.html + <id>.json ground truth).

    python bench/accuracy.py ../shared/realpages/*  [--json FILE] [--no-others] [--show-misses FIELD]

Metrics (as in ../shared/realpages/README.md), both sides converted to Simplified, white space removed:
body — F1 over the multiset of CJK characters, letters and digits; time — same date, and the same
hour and minute where the truth has them; author — the labelled author contained in the extracted one;
title — equal. trafilatura and GNE are scored on the same pages when installed (pip install -e .[bench]).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from opencc import OpenCC

from crawler.commands.offline import PageExtractor, file_url
from crawler.extraction.charset import decode_html
from crawler.rules import NoArticle
from pipelines import RejectItem

_T2S = OpenCC("t2s")
_COUNTED = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbfA-Za-z0-9]")
_TRUTH_TIME = re.compile(r"(\d{4})\D(\d{1,2})\D(\d{1,2})(?:\D+(\d{1,2}):(\d{1,2}))?")


def norm(text: str | None) -> str:
    return re.sub(r"\s+", "", _T2S.convert(text or ""))


def body_f1(found: str | None, truth: str) -> float:
    a = Counter(_COUNTED.findall(norm(found)))
    b = Counter(_COUNTED.findall(norm(truth)))
    overlap = sum((a & b).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(a.values()), overlap / sum(b.values())
    return 2 * precision * recall / (precision + recall)


def time_ok(found: str | None, truth: str) -> bool:
    """Same date (as far as the label gives one: some give only a year and month), and the same
    hour and minute where the label has them."""
    want = [int(x) for x in re.findall(r"\d+", truth)][:5]
    got = _TRUTH_TIME.search(found or "")
    if not want or not got:
        return False
    have = [int(x) if x is not None else None for x in got.groups()]
    return all(have[i] == value for i, value in enumerate(want))


def author_ok(found: str | None, truth: str) -> bool:
    return bool(found) and norm(truth) in norm(found)


# --- systems --------------------------------------------------------------------------------


def caiji_system() -> Callable[[bytes, str], dict]:
    extractor = PageExtractor("hans")
    now = datetime.now(UTC)

    def run(html: bytes, url: str) -> dict:
        try:
            record = extractor.extract(html, url, None, now)
        except NoArticle as exc:
            # Scored on what was found even when the record would be rejected (no title, say).
            record = {"title": None, "body": None, "timestamp": None, "author": None, **dict(exc.item or {})}
        except RejectItem:
            return {}
        # Compare the time as the page shows it (local), which is what the labels hold.
        return {"title": record["title"], "body": record["body"], "time": record["timestamp"], "author": record["author"]}

    return run


def trafilatura_system() -> Callable[[bytes, str], dict] | None:
    try:
        import trafilatura
    except ImportError:
        return None

    def run(html: bytes, url: str) -> dict:
        out = trafilatura.extract(html, url=url, output_format="json", with_metadata=True, include_comments=False)
        if not out:
            return {}
        data = json.loads(out)
        return {"title": data.get("title"), "body": data.get("text"), "time": data.get("date"), "author": data.get("author")}

    return run


def gne_system() -> Callable[[bytes, str], dict] | None:
    try:
        from gne import GeneralNewsExtractor
    except ImportError:
        return None
    extractor = GeneralNewsExtractor()

    def run(html: bytes, url: str) -> dict:
        text, _ = decode_html(html)
        data = extractor.extract(text)
        return {
            "title": data.get("title"),
            "body": data.get("content"),
            "time": data.get("publish_time"),
            "author": data.get("author"),
        }

    return run


# --- scoring --------------------------------------------------------------------------------


def page_url(url: str | None) -> str | None:
    """The truth's address as a crawl would have fetched it: a scheme-relative one (``//host/…``)
    with ``http:`` in front."""
    return f"http:{url}" if url and url.startswith("//") else url


def score(system: Callable[[bytes, str], dict], pages: list[tuple[Path, dict]], misses: str | None) -> dict:
    body, times, authors, titles = [], [], [], []
    crashes = 0
    started = time.perf_counter()
    for html_path, truth in pages:
        html = html_path.read_bytes()
        try:
            found = system(html, page_url(truth.get("url")) or file_url(html_path))
        except Exception as exc:  # a crash scores zero and is counted
            crashes += 1
            found = {}
            print(f"  crash on {html_path.name}: {type(exc).__name__}: {exc}", file=sys.stderr)
        if truth.get("body"):
            body.append(body_f1(found.get("body"), truth["body"]))
            if misses == "body" and body[-1] < 0.8:
                print(f"  body {body[-1]:.2f} {html_path}", file=sys.stderr)
        if truth.get("publish_time"):
            times.append(time_ok(found.get("time"), truth["publish_time"]))
            if misses == "time" and not times[-1]:
                print(f"  time {found.get('time')!r} vs {truth['publish_time']!r} {html_path}", file=sys.stderr)
        if truth.get("author"):
            authors.append(author_ok(found.get("author"), truth["author"]))
            if misses == "author" and not authors[-1]:
                print(f"  author {found.get('author')!r} vs {truth['author']!r} {html_path}", file=sys.stderr)
        if truth.get("title"):
            titles.append(norm(found.get("title")) == norm(truth["title"]))
    mean = lambda xs: round(sum(xs) / len(xs), 3) if xs else None  # noqa: E731
    return {
        "pages": len(pages),
        "body_f1": mean(body),
        "time": mean(times),
        "author": mean(authors),
        "title": mean(titles),
        "crashes": crashes,
        "seconds": round(time.perf_counter() - started, 2),
        "n": {"body": len(body), "time": len(times), "author": len(authors), "title": len(titles)},
    }


def load(folder: Path) -> list[tuple[Path, dict]]:
    pages = []
    for truth_path in sorted(folder.glob("*.json")):
        html_path = truth_path.with_suffix(".html")
        if html_path.exists():
            pages.append((html_path, json.loads(truth_path.read_text(encoding="utf-8"))))
    return pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    parser.add_argument("--no-others", action="store_true", help="score caiji only")
    parser.add_argument("--show-misses", choices=["body", "time", "author"], help="print caiji's misses of a field")
    args = parser.parse_args(argv)
    systems = {"caiji": caiji_system()}
    if not args.no_others:
        for name, factory in (("trafilatura", trafilatura_system), ("gne", gne_system)):
            made = factory()
            if made:
                systems[name] = made
    groups = {folder.name: load(folder) for folder in args.folders if folder.is_dir()}
    groups["ALL"] = [page for pages in list(groups.values()) for page in pages]
    results: dict = {}
    for name, system in systems.items():
        for group, pages in groups.items():
            results.setdefault(group, {})[name] = score(
                system, pages, args.show_misses if name == "caiji" and group == "ALL" else None
            )
    print(
        f"{'folder':<12} {'system':<12} {'pages':>5} {'body F1':>8} {'time':>6} {'author':>7} {'title':>6} {'crash':>6} {'sec':>6}"
    )
    fmt = lambda v: "-" if v is None else f"{v:.3f}"  # noqa: E731
    for group, by_system in results.items():
        for name, r in by_system.items():
            print(
                f"{group:<12} {name:<12} {r['pages']:>5} {fmt(r['body_f1']):>8} {fmt(r['time']):>6} {fmt(r['author']):>7} "
                f"{fmt(r['title']):>6} {r['crashes']:>6} {r['seconds']:>6}"
            )
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
