"""Property tests: no input makes extraction or the record pipelines raise (issue 6).

Any bytes under any declared charset, and fixture pages mutated at random, give either a record
that validates against the schema, or a NoArticle/RejectItem with a one-line reason.
"""

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.commands.offline import PageExtractor
from crawler.rules import NoArticle
from pipelines import RejectItem
from pipelines.validation import RecordValidator
from tests.fuzzing import CHARSETS, mutate, page_with_bytes

PAGES = sorted((Path(__file__).resolve().parent.parent / "fixtures" / "pages").glob("*/*.html"))
EXTRACTOR = PageExtractor("hans")
VALIDATOR = RecordValidator()
pytestmark = pytest.mark.pure


def outcome(body: bytes, url: str = "https://news.example.cn/a/20250331/1.html", site: str | None = None) -> str:
    try:
        record = EXTRACTOR.extract(body, url, site)
    except (NoArticle, RejectItem) as exc:
        reason = exc.reason
        assert reason and "\n" not in reason
        return "rejected"
    assert VALIDATOR.problem(record) is None
    for value in (record["title"], record["body"], record["author"] or ""):
        assert "<script" not in value.lower() and "</p>" not in value.lower()
    return "record"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=st.binary(max_size=4000), charset=st.sampled_from(CHARSETS))
def test_random_bytes_under_any_charset(payload, charset):
    outcome(page_with_bytes(payload, charset))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**32 - 1), index=st.integers(min_value=0, max_value=len(PAGES) - 1))
def test_mutated_fixture_pages(seed, index):
    page = PAGES[index]
    outcome(mutate(page.read_bytes(), random.Random(seed)), site=page.parent.name)


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=3000))
def test_random_text_as_a_page(text):
    outcome(text.encode("utf-8", "surrogatepass"))
