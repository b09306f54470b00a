"""Every saved page under fixtures/pages/<site>/<case>.html gives exactly the record in <case>.json."""

import json
from datetime import datetime
from pathlib import Path

import pytest

from crawler.commands.offline import PageExtractor
from crawler.rules import NoArticle

PAGES = Path(__file__).resolve().parent.parent / "fixtures" / "pages"
CASES = sorted(PAGES.glob("*/*.html"))


@pytest.fixture(scope="module")
def extractor():
    return PageExtractor("hans")


@pytest.mark.parametrize("page", CASES, ids=[f"{p.parent.name}/{p.stem}" for p in CASES])
def test_page_gives_expected_record(extractor, page):
    expected = json.loads(page.with_suffix(".json").read_text(encoding="utf-8"))
    if expected.get("no_article"):
        # A page that holds no article (a list page): {"no_article": true, "url": …, "reason": …}.
        with pytest.raises(NoArticle) as caught:
            extractor.extract(page.read_bytes(), expected["url"], page.parent.name)
        assert caught.value.reason == expected["reason"]
        return
    fetched_at = datetime.fromisoformat(expected["crawled_at"].replace("Z", "+00:00"))
    record = extractor.extract(page.read_bytes(), expected["url"], page.parent.name, fetched_at)
    assert list(record) == list(expected)
    for key in expected:
        assert record[key] == expected[key], key


def test_there_are_cases_for_every_site_rules_module():
    from crawler.rules import all_rules

    assert {p.parent.name for p in CASES} >= set(all_rules()) - {"generic"}
