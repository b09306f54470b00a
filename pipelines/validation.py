"""Validation against the record's JSON Schema; what fails is rejected with its reason."""

from __future__ import annotations

from itemadapter import ItemAdapter
from jsonschema import Draft202012Validator

from crawler.items import ordered_record
from pipelines import RejectItem
from schema import article_schema


class RecordValidator:
    """Checks a record against ``schema/article.schema.json``."""

    def __init__(self) -> None:
        self._validator = Draft202012Validator(article_schema())

    def problem(self, record: dict) -> str | None:
        """A one-line reason the record is invalid, or None when it is valid."""
        error = next(iter(sorted(self._validator.iter_errors(record), key=lambda e: list(e.absolute_path))), None)
        if error is None:
            return None
        where = "/".join(str(p) for p in error.absolute_path) or "record"
        return f"{where}: {error.message}"[:300]


class ValidationPipeline:
    """Rejects records with no title or body, or that do not match the schema."""

    def __init__(self) -> None:
        self.validator = RecordValidator()

    def process_item(self, item):
        adapter = ItemAdapter(item)
        if not adapter.get("title"):
            raise RejectItem("missing title", "validate")
        if not adapter.get("body"):
            raise RejectItem("missing body", "validate")
        problem = self.validator.problem(ordered_record(adapter))
        if problem:
            raise RejectItem(f"invalid record: {problem}", "validate")
        return item
