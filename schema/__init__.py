"""The JSON Schema of the article record (SPEC §1), shipped with the code."""

import json
from functools import cache
from importlib.resources import files

SCHEMA_VERSION = 1


@cache
def article_schema() -> dict:
    """The article record's JSON Schema (2020-12)."""
    return json.loads(files(__name__).joinpath("article.schema.json").read_text(encoding="utf-8"))
