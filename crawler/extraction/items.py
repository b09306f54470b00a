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


class FinishedArticle(ArticleItem):
    """An article already cleaned, converted and hashed where it was extracted (crawler/workers/):
    the cleaning and script pipelines pass it on as it is, and the validation pipeline takes the
    schema check made there when it passed (``schema_checked``)."""

    def __init__(self, *args, schema_checked: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # A copy (Item.copy) does not carry it: the copy is checked again.
        self._schema_checked = schema_checked

    @property
    def schema_checked(self) -> bool:
        """True when the record, in SPEC key order, passed the schema's fast check where it was made."""
        return self._schema_checked


def ordered_record(item: dict | scrapy.Item) -> dict:
    """The record with every SPEC key present, in SPEC order (missing: null or [])."""
    return {key: item.get(key, [] if key in LIST_FIELDS else None) for key in FIELDS}


def content_hash(title: str, body: str) -> str:
    """Hex SHA-256 of ``title + "\\n" + body``, the record's content identity."""
    return hashlib.sha256(f"{title}\n{body}".encode()).hexdigest()


def identity(record: dict | scrapy.Item) -> str:
    """The article's identity in a dataset: its canonical URL, else its URL (SPEC §5)."""
    return record.get("canonical_url") or record["url"]
