"""Cleaning every text value of a record (SPEC §1): entities, invisible characters, white space."""

from __future__ import annotations

from itemadapter import ItemAdapter

from crawler.extraction.items import FinishedArticle
from crawler.extraction.text import clean_optional, clean_paragraphs, clean_text

_TEXT_FIELDS = ("title", "author", "source")


def clean_record(item: ItemAdapter) -> None:
    """Clean the text values of ``item`` in place; empty optional values become None."""
    for field in _TEXT_FIELDS:
        item[field] = clean_optional(item.get(field))
    item["body"] = clean_paragraphs(item.get("body"))
    item["breadcrumbs"] = [c for c in (clean_text(c) for c in item.get("breadcrumbs") or []) if c]
    for image in item.get("images") or []:
        image["alt"] = clean_optional(image.get("alt"))
        image["caption"] = clean_optional(image.get("caption"))
    links = []
    for link in item.get("related_links") or []:
        link["title"] = clean_text(link.get("title"))
        link["summary"] = clean_optional(link.get("summary"))
        if link["title"]:
            links.append(link)
    item["related_links"] = links


class CleaningPipeline:
    """Cleans text before script conversion, whatever rules extracted it."""

    def process_item(self, item):
        if not isinstance(item, FinishedArticle):
            clean_record(ItemAdapter(item))
        return item
