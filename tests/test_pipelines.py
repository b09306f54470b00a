"""Cleaning and validation pipelines, and the schema they enforce."""

import pytest

from pipelines import RejectItem
from pipelines.cleaning import CleaningPipeline
from pipelines.validation import RecordValidator, ValidationPipeline
from tests.records import make_record

pytestmark = pytest.mark.pure


def test_cleaning_every_text_value():
    item = {
        "title": " 深化&amp;民族\u3000團結 ",
        "author": "\u200b",
        "source": " 雲南網 ",
        "body": "  第一段 \n\n \u00a0 \n第二\t段 ",
        "breadcrumbs": [" 首页 ", "", "民俗"],
        "images": [{"url": "u", "alt": " ", "caption": " 供圖 "}],
        "related_links": [
            {"url": "u", "title": " 標題 ", "summary": "  ", "date": None},
            {"url": "v", "title": " ", "summary": None},
        ],
    }
    CleaningPipeline().process_item(item)
    assert item["title"] == "深化&民族 團結"
    assert item["author"] is None
    assert item["source"] == "雲南網"
    assert item["body"] == "第一段\n第二 段"
    assert item["breadcrumbs"] == ["首页", "民俗"]
    assert item["images"] == [{"url": "u", "alt": None, "caption": "供圖"}]
    assert item["related_links"] == [{"url": "u", "title": "標題", "summary": None, "date": None}]


def test_valid_record_passes():
    assert RecordValidator().problem(make_record()) is None
    assert ValidationPipeline().process_item(make_record())


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"title": None}, "missing title"),
        ({"title": ""}, "missing title"),
        ({"body": ""}, "missing body"),
        ({"body": "第一段\n\n第二段"}, "body"),
        ({"timestamp": "2025-03-31 13:17"}, "timestamp"),
        ({"url": "/news/1.html"}, "url"),
        ({"images": [{"url": "https://x/a.jpg", "alt": None}]}, "images/0"),
        ({"script": {"detected": "latin", "target": "hans"}}, "script/detected"),
        ({"crawled_at": "2026-11-29T01:02:03+00:00"}, "crawled_at"),
        ({"author": " 代洪"}, "author"),
    ],
)
def test_invalid_records_are_rejected_with_a_reason(changes, reason):
    record = make_record(**changes)
    with pytest.raises(RejectItem) as caught:
        ValidationPipeline().process_item(record)
    assert reason in caught.value.reason
    assert caught.value.stage == "validate"
