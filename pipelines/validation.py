"""Validation against the record's JSON Schema; what fails is rejected with its reason."""

from __future__ import annotations

import re

from itemadapter import ItemAdapter
from jsonschema import Draft202012Validator

from crawler.extraction.items import FIELDS, FinishedArticle, ordered_record
from pipelines import RejectItem
from schema import article_schema


class FastCheck:
    """The schema's rules written out in Python, for the hot path of a crawl.

    jsonschema walks ``$ref``s and ``anyOf``s generically, several milliseconds a record; this
    says the same in a few microseconds. It only ever answers "valid": anything it does not pass
    goes to jsonschema, which gives the verdict and the message, so it may be stricter than the
    schema but never looser. The patterns are read from the schema and applied as jsonschema
    applies them (``re.search``). Built only for the schema it was written for: another shape of
    schema (a property added or changed) leaves validation to jsonschema alone.
    """

    def __init__(self, schema: dict) -> None:
        self.usable = self._matches(schema)
        if not self.usable:
            return
        props, defs = schema["properties"], schema["$defs"]
        self._url = re.compile(defs["absolute_url"]["pattern"])
        self._line = re.compile(defs["clean_line"]["pattern"])
        self._site = re.compile(props["site"]["pattern"])
        self._timestamp = re.compile(props["timestamp"]["anyOf"][0]["pattern"])
        self._body = re.compile(props["body"]["pattern"])
        self._date = re.compile(props["related_links"]["items"]["properties"]["date"]["anyOf"][0]["pattern"])
        self._crawled = re.compile(props["crawled_at"]["pattern"])
        self._hash = re.compile(props["content_hash"]["pattern"])
        self._detected = frozenset(props["script"]["properties"]["detected"]["enum"])
        self._targets = frozenset(props["script"]["properties"]["target"]["enum"])

    @staticmethod
    def _matches(schema: dict) -> bool:
        """True when ``schema`` is, to the letter, the one this checker implements."""
        return _shape(schema) == _EXPECTED_SHAPE

    def _is_url(self, value) -> bool:
        return isinstance(value, str) and self._url.search(value) is not None

    def _is_line(self, value) -> bool:
        return isinstance(value, str) and len(value) >= 1 and self._line.search(value) is not None

    def _is_optional_line(self, value) -> bool:
        return value is None or self._is_line(value)

    def valid(self, record: dict) -> bool:
        """True when the record certainly matches the schema; False: ask jsonschema."""
        if not self.usable or type(record) is not dict or len(record) != len(FIELDS) or any(k not in record for k in FIELDS):
            return False
        r = record
        timestamp, raw, site = r["timestamp"], r["timestamp_raw"], r["site"]
        if not (
            self._is_url(r["url"])
            and (r["canonical_url"] is None or self._is_url(r["canonical_url"]))
            and isinstance(site, str)
            and self._site.search(site)
            and self._is_line(r["title"])
            and (timestamp is None or (isinstance(timestamp, str) and self._timestamp.search(timestamp)))
            and (raw is None or (isinstance(raw, str) and len(raw) >= 1))
            and self._is_optional_line(r["author"])
            and self._is_optional_line(r["source"])
            and isinstance(r["breadcrumbs"], list)
            and all(self._is_line(c) for c in r["breadcrumbs"])
            and isinstance(r["body"], str)
            and len(r["body"]) >= 1
            and self._body.search(r["body"])
            and isinstance(r["crawled_at"], str)
            and self._crawled.search(r["crawled_at"])
            and isinstance(r["content_hash"], str)
            and self._hash.search(r["content_hash"])
        ):
            return False
        script = r["script"]
        if not (
            type(script) is dict
            and len(script) == 2
            and "detected" in script
            and "target" in script
            and isinstance(script["detected"], str)
            and script["detected"] in self._detected
            and (script["target"] is None or isinstance(script["target"], str))
            and script["target"] in self._targets
        ):
            return False
        images = r["images"]
        if not isinstance(images, list):
            return False
        for image in images:
            if not (
                type(image) is dict
                and len(image) == 3
                and "url" in image
                and "alt" in image
                and "caption" in image
                and self._is_url(image["url"])
                and self._is_optional_line(image["alt"])
                and self._is_optional_line(image["caption"])
            ):
                return False
        links = r["related_links"]
        if not isinstance(links, list):
            return False
        for link in links:
            if not (
                type(link) is dict
                and len(link) == 4
                and "url" in link
                and "title" in link
                and "summary" in link
                and "date" in link
                and self._is_url(link["url"])
                and self._is_line(link["title"])
                and self._is_optional_line(link["summary"])
                and (link["date"] is None or (isinstance(link["date"], str) and self._date.search(link["date"])))
            ):
                return False
        return True


_ANNOTATIONS = ("description", "title", "$id", "$schema")


def _shape(value, names: bool = False):
    """The schema without its annotations (description, title …), for comparing what it requires.

    ``names``: ``value`` maps property names to subschemas (a property may be called "title").
    """
    if isinstance(value, dict):
        return {k: _shape(v, k in ("properties", "$defs")) for k, v in value.items() if names or k not in _ANNOTATIONS}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return value


# What FastCheck implements: the schema as it was when the checker was written (patterns aside,
# which FastCheck reads from the schema itself). Compared with the shipped schema on start.
_LINE = {"$ref": "#/$defs/clean_line"}
_URL = {"$ref": "#/$defs/absolute_url"}
_NULL = {"type": "null"}


def _expected_shape(schema: dict) -> dict:
    props = schema.get("properties", {})

    def pattern(*path):
        node = props
        for key in path:
            node = node[key]
        return node

    try:
        return {
            "type": "object",
            "additionalProperties": False,
            "required": list(FIELDS),
            "properties": {
                "url": _URL,
                "canonical_url": {"anyOf": [_URL, _NULL]},
                "site": {"type": "string", "pattern": pattern("site", "pattern")},
                "title": _LINE,
                "timestamp": {"anyOf": [{"type": "string", "pattern": pattern("timestamp", "anyOf", 0, "pattern")}, _NULL]},
                "timestamp_raw": {"anyOf": [{"type": "string", "minLength": 1}, _NULL]},
                "author": {"anyOf": [_LINE, _NULL]},
                "source": {"anyOf": [_LINE, _NULL]},
                "breadcrumbs": {"type": "array", "items": _LINE},
                "body": {"type": "string", "minLength": 1, "pattern": pattern("body", "pattern")},
                "images": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["url", "alt", "caption"],
                        "properties": {"url": _URL, "alt": {"anyOf": [_LINE, _NULL]}, "caption": {"anyOf": [_LINE, _NULL]}},
                    },
                },
                "related_links": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["url", "title", "summary", "date"],
                        "properties": {
                            "url": _URL,
                            "title": _LINE,
                            "summary": {"anyOf": [_LINE, _NULL]},
                            "date": {
                                "anyOf": [
                                    {
                                        "type": "string",
                                        "pattern": pattern("related_links", "items", "properties", "date", "anyOf", 0, "pattern"),
                                    },
                                    _NULL,
                                ]
                            },
                        },
                    },
                },
                "script": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["detected", "target"],
                    "properties": {
                        "detected": {"enum": ["hans", "hant", "mixed", "none"]},
                        "target": {"enum": ["hans", "hant", "tw", "hk", None]},
                    },
                },
                "crawled_at": {"type": "string", "pattern": pattern("crawled_at", "pattern")},
                "content_hash": {"type": "string", "pattern": pattern("content_hash", "pattern")},
            },
            "$defs": {
                "absolute_url": {"type": "string", "pattern": schema["$defs"]["absolute_url"]["pattern"]},
                "clean_line": {"type": "string", "minLength": 1, "pattern": schema["$defs"]["clean_line"]["pattern"]},
            },
        }
    except (KeyError, IndexError, TypeError):
        return {}


_EXPECTED_SHAPE = _expected_shape(article_schema())


class RecordValidator:
    """Checks a record against ``schema/article.schema.json``.

    ``fast=True`` (the crawl's pipeline) passes a record that :class:`FastCheck` finds valid
    without asking jsonschema; ``scrapy validate`` and the tests ask jsonschema for every record.
    """

    def __init__(self, fast: bool = False) -> None:
        schema = article_schema()
        self._validator = Draft202012Validator(schema)
        self._fast = FastCheck(schema) if fast else None

    def problem(self, record: dict) -> str | None:
        """A one-line reason the record is invalid, or None when it is valid."""
        if self._fast is not None and self._fast.valid(record):
            return None
        error = next(iter(sorted(self._validator.iter_errors(record), key=lambda e: list(e.absolute_path))), None)
        if error is None:
            return None
        where = "/".join(str(p) for p in error.absolute_path) or "record"
        return f"{where}: {error.message}"[:300]


class ValidationPipeline:
    """Rejects records with no title or body, or that do not match the schema; a record that
    passes leaves with every SPEC key, in SPEC order."""

    def __init__(self) -> None:
        self.validator = RecordValidator(fast=True)

    def process_item(self, item):
        if isinstance(item, FinishedArticle) and item.schema_checked:
            return item
        adapter = ItemAdapter(item)
        if not adapter.get("title"):
            raise RejectItem("missing title", "validate")
        if not adapter.get("body"):
            raise RejectItem("missing body", "validate")
        record = ordered_record(adapter)
        problem = self.validator.problem(record)
        if problem:
            raise RejectItem(f"invalid record: {problem}", "validate")
        if list(adapter.keys()) != list(FIELDS):
            # Feed exports (-O/-o) write the item's keys as they are: a value the page does not
            # have (no time shown) must be there as null, and in its place.
            for key in list(adapter.keys()):
                del adapter[key]
            for key, value in record.items():
                adapter[key] = value
        return item
