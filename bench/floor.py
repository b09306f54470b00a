"""What a site extraction costs before it reads a field, against a bare parse (docs/performance.md).

    python bench/floor.py [--pages 300] [--rounds 9]

Over the same benchmark article pages, in one process, each step taking turns and keeping its
best round (CPU time): ``lxml.html.fromstring``; the response and parsel's parse as a crawl makes
them; the same plus the page's class index; the same plus an ``ArticleLoader`` given the page's
finished values; and the whole ``rules.extract`` with the tftnews rules. Each is printed in ms of
CPU a page and as a fraction of the bare parse's speed (the ``extract_site_pps ≥ 0.40 ×
lxml_parse_pps`` target): what the steps before reading any field already take of it.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import lxml.html  # noqa: E402
from portal import FIRST_ID, Portal  # noqa: E402
from scrapy.http import HtmlResponse  # noqa: E402

from crawler.extraction.charset import detect_encoding  # noqa: E402
from crawler.extraction.css import page_index, response_selector  # noqa: E402
from crawler.extraction.items import ArticleItem  # noqa: E402
from crawler.extraction.loaders import ArticleLoader  # noqa: E402
from crawler.rules import get_rules  # noqa: E402

FIELDS = ("title", "timestamp", "timestamp_raw", "author", "source", "breadcrumbs", "body", "images", "related_links")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args(argv)
    portal = Portal(args.pages)
    base = "http://127.0.0.1:8801"
    pages = [(f"{base}/news/{i}.html", portal.response(f"/news/{i}.html")[2]) for i in range(FIRST_ID, FIRST_ID + args.pages)]
    rules = get_rules("tftnews")
    now = datetime.now(UTC)
    # The values the loader is given: what the extraction of each page found.
    found = {url: dict(rules.extract(HtmlResponse(url=url, body=body, encoding="utf-8"), now)) for url, body in pages}

    def parsed(url: str, body: bytes):
        return response_selector(HtmlResponse(url=url, body=body, encoding=detect_encoding(body)))

    def indexed(url: str, body: bytes):
        selector = parsed(url, body)
        page_index(selector.root).with_class("article-content")  # the rules' first look: the index is built
        return selector

    def loaded(url: str, body: bytes) -> None:
        selector = indexed(url, body)
        values = found[url]
        item = ArticleItem(url=url, site=rules.name, crawled_at=values["crawled_at"])
        loader = ArticleLoader(
            item=item, selector=selector, timezone=rules.timezone, fetched_at=now, title_suffixes=rules.title_suffixes
        )
        for field in FIELDS:
            value = values.get(field)
            loader.add_value(field, value.split("\n") if field == "body" and value else value)
        loader.load_item()

    steps = {
        "lxml.html.fromstring": lambda url, body: lxml.html.fromstring(body),
        "response + parse": parsed,
        "+ class index": indexed,
        "+ item loader": loaded,
        "rules.extract": lambda url, body: rules.extract(HtmlResponse(url=url, body=body, encoding=detect_encoding(body)), now),
    }
    best = dict.fromkeys(steps, float("inf"))
    for _ in range(args.rounds):
        for name, step in steps.items():
            started = time.process_time()
            for url, body in pages:
                step(url, body)
            best[name] = min(best[name], (time.process_time() - started) / len(pages))
    bare = best["lxml.html.fromstring"]
    print(f"{'step':24} {'ms a page':>10} {'× lxml speed':>13}")
    for name, seconds in best.items():
        print(f"{name:24} {seconds * 1e3:10.3f} {bare / seconds:13.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
