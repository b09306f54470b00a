"""The article record (SPEC §1)."""

from __future__ import annotations

import hashlib

import scrapy

# SPEC §1 key order: records are written in exactly this order.
FIELDS: tuple[str, ...] = (
    "url",
    "canonical_url",
    "site",
    "title",
    "timestamp",
    "timestamp_raw",
    "author",
    "source",
    "breadcrumbs",
    "body",
    "images",
    "related_links",
    "script",
    "crawled_at",
    "content_hash",
)
LIST_FIELDS: frozenset[str] = frozenset({"breadcrumbs", "images", "related_links"})


class ArticleItem(scrapy.Item):
    """One article as extracted from its page(s)."""

    url = scrapy.Field()
    canonical_url = scrapy.Field()
    site = scrapy.Field()
    title = scrapy.Field()
    timestamp = scrapy.Field()
    timestamp_raw = scrapy.Field()
    author = scrapy.Field()
    source = scrapy.Field()
    breadcrumbs = scrapy.Field()
    body = scrapy.Field()
    images = scrapy.Field()
    related_links = scrapy.Field()
    script = scrapy.Field()
    crawled_at = scrapy.Field()
    content_hash = scrapy.Field()


def ordered_record(item: dict | scrapy.Item) -> dict:
    """The record with every SPEC key present, in SPEC order (missing: null or [])."""
    return {key: item.get(key, [] if key in LIST_FIELDS else None) for key in FIELDS}


def content_hash(title: str, body: str) -> str:
    """Hex SHA-256 of ``title + "\\n" + body``, the record's content identity."""
    return hashlib.sha256(f"{title}\n{body}".encode()).hexdigest()


def identity(record: dict | scrapy.Item) -> str:
    """The article's identity in a dataset: its canonical URL, else its URL (SPEC §5)."""
    return record.get("canonical_url") or record["url"]
