"""The seed article's record, checked field by field against what the seed dump shows (issue 2)."""

import json
from pathlib import Path

import pytest
from opencc import OpenCC

SEED = Path(__file__).resolve().parent.parent / "fixtures" / "pages" / "tftnews" / "seed.json"
# A copy of ../shared/seeds/000_41a3802ff2d45d1d.txt, so that a clone tests on its own.
DUMP = Path(__file__).resolve().parent.parent / "fixtures" / "seeds" / "000_41a3802ff2d45d1d.txt"
pytestmark = pytest.mark.pure


@pytest.fixture(scope="module")
def record():
    return json.loads(SEED.read_text(encoding="utf-8"))


def test_headline_fields(record):
    assert record["title"] == "深化民族团结进步创建工作"
    assert record["timestamp"] == "2025-03-31T13:17:35+08:00"
    assert record["timestamp_raw"] == "更新时间:2025-03-31 13:17:35"
    assert record["breadcrumbs"] == ["首页", "每日头条", "民俗"]
    assert "代洪" in record["author"]
    assert record["script"] == {"detected": "hant", "target": "hans"}


def test_images_in_page_order_with_captions(record):
    captions = [image["caption"] for image in record["images"]]
    assert captions == [
        None,
        "新滩中学民族团结文体艺术节活动。供图",
        "绥江县创建省级民族团结进步示范县业务培训会。供图",
        "专题文艺演出。供图",
    ]
    assert record["images"][0]["alt"] == "深化民族团结进步创建工作(深入推进民族团结进步示范创建)1"


def test_related_links(record):
    assert [link["title"] for link in record["related_links"]] == [
        "采山买斧什么意思",
        "民间真实的弃婴故事",
        "清明是节日还是节气",
        "罗汉果的主要成分有哪些",
        "农历每月初三的雅称",
    ]
    assert all(link["summary"] and link["date"] == "2025-03-31" for link in record["related_links"])


def test_body_is_the_article_text_only(record):
    body = record["body"]
    dump = OpenCC("t2s").convert(DUMP.read_text(encoding="utf-8"))
    start = dump.index("深化民族团结进步创建工作?近期")
    end = dump.index("云南网通讯员 代洪")
    article_lines = [line for line in dump[start:end].splitlines() if line.strip()]
    expected = [line for line in article_lines if not line.endswith("供图") and not line.endswith(")1")]
    assert body.split("\n") == expected
    for noise in ("供图", "Comments", "Sign up", "推荐阅读", "唐朝诗人", "Copyright", "代洪"):
        assert noise not in body


def test_no_traditional_only_character_in_any_text_value(record):
    t2s = OpenCC("t2s")
    texts = [record["title"], record["author"], record["body"], *record["breadcrumbs"]]
    texts += [v for image in record["images"] for v in (image["alt"], image["caption"]) if v]
    texts += [v for link in record["related_links"] for v in (link["title"], link["summary"]) if v]
    for text in texts:
        assert t2s.convert(text) == text
