"""Extraction accuracy on folders of real pages (<id>.html + <id>.json ground truth).

    python bench/accuracy.py ../shared/realpages/*  [--folds 5 [--dev-folds 0,1]] [--json FILE]
                                                    [--no-others] [--show-misses FIELD]

Metrics (as in ../shared/realpages/README.md), both sides converted to Simplified, white space removed:
body — F1 over the multiset of CJK characters, letters and digits; snippets — the share of the
labelled body's lines found whole in the extracted body (SPEC: the same without the lines SPEC
keeps out of a body — captions, editor and source lines, the headline, link lists); time — same date, and the same hour and
minute where the truth has them; day — the same date only (what a system that gives dates alone, as trafilatura
does, can get right); author — the labelled author contained in the extracted one;
title — equal, or the label is ours plus the site-name suffix SPEC has removed; no record — pages
that give no record at all. trafilatura and GNE are scored on the same pages when installed
(pip install -e .[bench]).

--folds K splits the pages into K folds by site (every page of a site in one fold, each fold with
its share of every source) and reports each field per fold with its n; --dev-folds names the folds a
change was developed on, and the figures on the other folds are reported apart as held-out.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

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


def day_ok(found: str | None, truth: str) -> bool:
    """The same date, as far as the label gives one; the hour is not compared."""
    want = [int(x) for x in re.findall(r"\d+", truth)][:3]
    got = _TRUTH_TIME.search(found or "")
    return bool(want and got) and all(int(got.group(i + 1)) == value for i, value in enumerate(want))


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
            record["no_record"] = True
        except RejectItem:
            return {"no_record": True}
        # Compare the time as the page shows it (local), which is what the labels hold.
        return {
            "title": record["title"],
            "body": record["body"],
            "time": record["timestamp"],
            "author": record["author"],
            "no_record": record.get("no_record", False),
        }

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

FIELDS = ("body_f1", "snippets", "time", "day", "author", "title")
_SEPARATOR = re.compile(r"^\s*[-_|–—:：·•｜@]")


def page_url(url: str | None) -> str | None:
    """The truth's address as a crawl would have fetched it: a scheme-relative one (``//host/…``)
    with ``http:`` in front."""
    return f"http:{url}" if url and url.startswith("//") else url


def counted(text: str | None) -> str:
    """The characters the metrics count (CJK, letters, digits), Simplified, in order."""
    return "".join(_COUNTED.findall(norm(text)))


def snippets_kept(found: str | None, truth: str, outside: set[str] = frozenset()) -> tuple[int, int, int, int]:
    """(lines of the labelled body found whole in ours, lines; the same for the lines SPEC keeps in
    a body, those not in ``outside``): the recall a reader sees, where F1 hides a lost paragraph
    under a long article."""
    have = counted(found)
    lines = [line for line in (counted(line) for line in truth.splitlines()) if len(line) >= 4]
    kept = [line in have for line in lines]
    spec = [k for line, k in zip(lines, kept, strict=True) if line not in outside]
    return sum(kept), len(lines), sum(spec), len(spec)


_SPEC_OUTSIDE_LINE = re.compile(
    r"^[（(【\[]?\s*(?:责任编辑|責任編輯|责编|編輯|编辑|来源|來源|本文来源|文章来源|稿源|原标题|版权|版權|copyright|©|分享到|扫一扫|"
    r"返回|点击|上一篇|下一篇|图为|圖為|图片来源|图[:：]|▲)"
    r"|(?:供图|供圖|摄|攝|资料图|資料圖|图片|圖片)[)）]?。?$",
    re.I,
)
_DATE_LINE = re.compile(r"^\W*(?:19|20)\d{2}\D{1,3}\d{1,2}\D{1,3}\d{1,2}\D*(?:\d{1,2}\D\d{2}(?:\D\d{2})?)?\W*$")


def spec_outside(html: bytes, truth: str) -> set[str]:
    """The labelled body's lines (as :func:`counted` gives them) that SPEC keeps out of a body:
    captions, editor, source and copyright lines, the headline, a date alone, and lines made of
    link texts (related lists, ads). The labels are human copies of the page and hold such lines
    now and then; recall is also reported without them."""
    from lxml import html as lxml_html

    text, _ = decode_html(html)
    try:
        doc = lxml_html.document_fromstring(text.encode("utf-8"), parser=lxml_html.HTMLParser(encoding="utf-8"))
    except Exception:  # an unparsable page: nothing is known to be outside
        return set()
    anchors = {c for c in (counted(a.text_content()) for a in doc.iter("a")) if c}
    headings = {c for c in (counted(h.text_content()) for h in doc.iter("h1", "h2", "title")) if c}
    outside = set()
    for raw in truth.splitlines():
        line = counted(raw)
        if len(line) < 4:
            continue
        pieces = [counted(p) for p in re.split(r"[\s·•|]+", raw.strip())]
        pieces = [p for p in pieces if p]
        if (
            _SPEC_OUTSIDE_LINE.search(norm(raw.strip()))
            or _DATE_LINE.match(raw.strip())
            or any(line == h or (len(line) >= 8 and h.startswith(line)) for h in headings)
            or (pieces and all(any(p in a for a in anchors) for p in pieces))
        ):
            outside.add(line)
    return outside


def title_ok(found: str | None, truth: str) -> bool:
    """Equal; or the label is our title followed by a site-name suffix (the labels keep it, SPEC
    has caiji remove it)."""
    found_n, truth_n = norm(found), norm(truth)
    if not found_n:
        return False
    if found_n == truth_n:
        return True
    if not truth_n.startswith(found_n):
        return False
    # The rest must start with a separator in the label as written.
    raw = re.sub(r"\s+", "", _T2S.convert(truth))
    return bool(_SEPARATOR.match(raw[len(found_n) :]))


@cache
def _outside(html_path: Path, body: str) -> frozenset[str]:
    return frozenset(spec_outside(html_path.read_bytes(), body))


def outside(html_path: Path, truth: dict) -> frozenset[str]:
    """:func:`spec_outside` of a page, computed once for all the systems scored."""
    return _outside(html_path, truth["body"])


def score_page(system: Callable[[bytes, str], dict], html_path: Path, truth: dict) -> dict:
    """One page's result: each labelled field's score, and whether it gave a record at all."""
    html = html_path.read_bytes()
    crashed = False
    try:
        found = system(html, page_url(truth.get("url")) or file_url(html_path))
    except Exception as exc:  # a crash scores zero and is counted
        crashed = True
        found = {}
        print(f"  crash on {html_path.name}: {type(exc).__name__}: {exc}", file=sys.stderr)
    result: dict = {"page": f"{html_path.parent.name}/{html_path.stem}", "crashed": crashed}
    result["no_record"] = crashed or bool(found.get("no_record")) or not found.get("body")
    if truth.get("body"):
        result["body_f1"] = body_f1(found.get("body"), truth["body"])
        kept, lines, spec_kept, spec_lines = snippets_kept(found.get("body"), truth["body"], outside(html_path, truth))
        result["snippets_kept"], result["snippets_n"] = kept, lines
        result["spec_kept"], result["spec_n"] = spec_kept, spec_lines
    if truth.get("publish_time"):
        result["time"] = time_ok(found.get("time"), truth["publish_time"])
        result["day"] = day_ok(found.get("time"), truth["publish_time"])
    if truth.get("author"):
        result["author"] = author_ok(found.get("author"), truth["author"])
    if truth.get("title"):
        result["title"] = title_ok(found.get("title"), truth["title"])
    result["found"] = {k: found.get(k) for k in ("title", "time", "author")}
    return result


def summarize(results: list[dict], seconds: float | None = None) -> dict:
    """Mean of each field over the pages that label it, with its n; snippets over all lines."""
    summary: dict = {"pages": len(results), "n": {}}
    for field in ("body_f1", "time", "day", "author", "title"):
        values = [r[field] for r in results if field in r]
        summary[field] = round(sum(values) / len(values), 3) if values else None
        summary["n"][field] = len(values)
    lines = sum(r.get("snippets_n", 0) for r in results)
    summary["snippets"] = round(sum(r.get("snippets_kept", 0) for r in results) / lines, 3) if lines else None
    summary["n"]["snippets"] = lines
    spec = sum(r.get("spec_n", 0) for r in results)
    summary["spec_snippets"] = round(sum(r.get("spec_kept", 0) for r in results) / spec, 3) if spec else None
    summary["n"]["spec_snippets"] = spec
    summary["no_record"] = sum(r["no_record"] for r in results)
    summary["crashes"] = sum(r["crashed"] for r in results)
    if seconds is not None:
        summary["seconds"] = round(seconds, 2)
    return summary


def show_misses(results: list[dict], pages: list[tuple[Path, dict]], field: str) -> None:
    for result, (html_path, truth) in zip(results, pages, strict=True):
        if field == "body" and result.get("body_f1", 1) < 0.8:
            print(f"  body {result['body_f1']:.2f} {html_path}", file=sys.stderr)
        elif field == "snippets" and result.get("snippets_kept", 0) < result.get("snippets_n", 0):
            print(f"  snippets {result['snippets_kept']}/{result['snippets_n']} {html_path}", file=sys.stderr)
        elif field == "time" and result.get("time") is False:
            print(f"  time {result['found']['time']!r} vs {truth['publish_time']!r} {html_path}", file=sys.stderr)
        elif field == "author" and result.get("author") is False:
            print(f"  author {result['found']['author']!r} vs {truth['author']!r} {html_path}", file=sys.stderr)
        elif field == "title" and result.get("title") is False:
            print(f"  title {result['found']['title']!r} vs {truth['title']!r} {html_path}", file=sys.stderr)
        elif field == "no_record" and result["no_record"]:
            print(f"  no record {html_path}", file=sys.stderr)


def load(folder: Path) -> list[tuple[Path, dict]]:
    pages = []
    for truth_path in sorted(folder.glob("*.json")):
        html_path = truth_path.with_suffix(".html")
        if html_path.exists():
            pages.append((html_path, json.loads(truth_path.read_text(encoding="utf-8"))))
    return pages


# --- folds ----------------------------------------------------------------------------------

_HREF_HOST = re.compile(rb"""href\s*=\s*["']?https?://([A-Za-z0-9.-]+)""", re.I)
# Second-level labels under which a country's registrations sit (sina.com.cn, not com.cn).
_SECOND_LEVEL = frozenset({"com", "net", "org", "gov", "edu", "ac", "co"})


def registered_domain(host: str) -> str:
    """``news.sina.com.cn`` → ``sina.com.cn``: the pages of one site under any of its hosts."""
    labels = host.lower().strip(".").split(".")
    keep = 3 if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2 else 2
    return ".".join(labels[-keep:])


def site_of(html_path: Path, truth: dict) -> str:
    """The site a page is from: its labelled address's domain, else the domain most of its
    absolute links point to (saved pages without an address), else the page itself."""
    url = page_url(truth.get("url"))
    host = urlsplit(url).hostname if url else None
    if not host:
        hosts = Counter(registered_domain(m.decode("ascii", "replace")) for m in _HREF_HOST.findall(html_path.read_bytes()))
        host = hosts.most_common(1)[0][0] if hosts else None
    return registered_domain(host) if host else f"page:{html_path.stem}"


def assign_folds(pages: list[tuple[Path, dict]], k: int) -> list[int]:
    """Each page's fold: sites are never split, and each source (the pages' folder) is spread over
    the folds as evenly as its sites allow. Deterministic: the same pages give the same folds."""
    sites: dict[str, list[int]] = {}
    for i, (html_path, truth) in enumerate(pages):
        sites.setdefault(site_of(html_path, truth), []).append(i)

    def source(i: int) -> str:
        return pages[i][0].parent.name

    # Biggest sites first (they are the hardest to balance), ties in a stable pseudo-random order.
    order = sorted(sites, key=lambda s: (-len(sites[s]), hashlib.sha1(s.encode()).hexdigest()))
    per_source: list[Counter] = [Counter() for _ in range(k)]
    sizes = [0] * k
    folds = [0] * len(pages)
    for site in order:
        members = sites[site]
        main = Counter(source(i) for i in members).most_common(1)[0][0]
        fold = min(range(k), key=lambda f: (per_source[f][main], sizes[f], f))
        for i in members:
            folds[i] = fold
            per_source[fold][source(i)] += 1
        sizes[fold] += len(members)
    return folds


# --- report ---------------------------------------------------------------------------------


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def print_table(rows: list[tuple[str, str, dict]], first: str) -> None:
    print(
        f"{first:<12} {'system':<12} {'pages':>5} {'body F1':>8} {'snipp.':>7} {'SPEC':>6} {'time':>6} {'day':>6} {'author':>7} {'title':>6}"
        f" {'no rec':>6} {'crash':>5}   n (body/lines/SPEC lines/time/author/title)"
    )
    for group, name, r in rows:
        n = r["n"]
        print(
            f"{group:<12} {name:<12} {r['pages']:>5} {_fmt(r['body_f1']):>8} {_fmt(r['snippets']):>7}"
            f" {_fmt(r['spec_snippets']):>6} {_fmt(r['time']):>6} {_fmt(r['day']):>6}"
            f" {_fmt(r['author']):>7} {_fmt(r['title']):>6} {r['no_record']:>6} {r['crashes']:>5}   "
            f"{n['body_f1']}/{n['snippets']}/{n['spec_snippets']}/{n['time']}/{n['author']}/{n['title']}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--json", type=Path, help="also write the results (and each page's) as JSON")
    parser.add_argument("--no-others", action="store_true", help="score caiji only")
    parser.add_argument(
        "--show-misses", choices=["body", "snippets", "time", "author", "title", "no_record"], help="print caiji's misses"
    )
    parser.add_argument("--folds", type=int, default=0, help="split the pages into this many folds by site")
    parser.add_argument(
        "--dev-folds", default="", help="comma-separated folds a change was developed on (with --folds): reported apart"
    )
    parser.add_argument("--only-folds", default="", help="score only these folds (with --folds): look at a dev fold alone")
    args = parser.parse_args(argv)
    if args.folds < 0 or args.folds == 1:
        parser.error("--folds needs 2 or more")
    dev = {int(f) for f in args.dev_folds.split(",") if f.strip()}
    only = {int(f) for f in args.only_folds.split(",") if f.strip()}
    if (dev or only) and not args.folds:
        parser.error("--dev-folds and --only-folds need --folds")
    if any(not 0 <= f < args.folds for f in dev | only):
        parser.error(f"folds are numbered 0 to {args.folds - 1}")
    systems = {"caiji": caiji_system()}
    if not args.no_others:
        for name, factory in (("trafilatura", trafilatura_system), ("gne", gne_system)):
            made = factory()
            if made:
                systems[name] = made
    pages = [page for folder in args.folders if folder.is_dir() for page in load(folder)]
    folds = assign_folds(pages, args.folds) if args.folds else [0] * len(pages)
    if only:
        kept = [i for i, f in enumerate(folds) if f in only]
        pages, folds = [pages[i] for i in kept], [folds[i] for i in kept]
    output: dict = {"systems": {}, "folds": {}}
    rows: list[tuple[str, str, dict]] = []
    fold_rows: list[tuple[str, str, dict]] = []
    for name, system in systems.items():
        started = time.perf_counter()
        results = [score_page(system, html_path, truth) for html_path, truth in pages]
        seconds = time.perf_counter() - started
        for result, fold in zip(results, folds, strict=True):
            result["fold"] = fold
        if name == "caiji" and args.show_misses:
            show_misses(results, pages, args.show_misses)
        groups: dict[str, list[dict]] = {}
        for result in results:
            groups.setdefault(result["page"].split("/")[0], []).append(result)
        for group, members in groups.items():
            rows.append((group, name, summarize(members)))
        rows.append(("ALL", name, summarize(results, seconds)))
        if args.folds:
            for fold in sorted(set(folds)):
                fold_rows.append(
                    (f"fold {fold}" + (" dev" if fold in dev else ""), name, summarize([r for r in results if r["fold"] == fold]))
                )
            if dev:
                fold_rows.append(("held-out", name, summarize([r for r in results if r["fold"] not in dev])))
                fold_rows.append(("dev", name, summarize([r for r in results if r["fold"] in dev])))
        output["systems"][name] = {"summary": {g: s for g, n, s in rows + fold_rows if n == name}, "pages": results}
    print_table(rows, "folder")
    if args.folds:
        print()
        print_table(fold_rows, "fold")
        for fold in sorted(set(folds)):
            output["folds"][fold] = sorted({site_of(*pages[i]) for i, f in enumerate(folds) if f == fold})
    if args.json:
        args.json.write_text(json.dumps(output, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
