"""Text cleaning (SPEC §1) and the loader's processors."""

from datetime import UTC, datetime

import pytest

from crawler.extraction.loaders import drop_tag_text, strip_generic_suffix, strip_label, strip_site_suffix, to_timestamp
from crawler.extraction.text import clean_optional, clean_paragraphs, clean_text

pytestmark = pytest.mark.pure


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  深化&nbsp;民族&amp;團結  ", "深化 民族&團結"),
        ("全角\u3000空格\u00a0和\t制表", "全角 空格 和 制表"),
        ("零\u200b宽\ufeff字\u200d符", "零宽字符"),
        ("控制\x07字符\x1b", "控制字符"),
        ("多行\n文本\r\n", "多行 文本"),
        # "<" + BOMs + "/p>" on a damaged page: a tag once the BOMs go, so it goes with them.
        ("不便。<\ufeff\ufeff/p>施工", "不便。施工"),
        ("公式 a <b 与 c\u200b", "公式 a <b 与 c"),
        ("", ""),
        (None, ""),
    ],
)
def test_clean_text(raw, clean):
    assert clean_text(raw) == clean


def test_clean_optional_and_paragraphs():
    assert clean_optional(" \u3000 ") is None
    assert clean_paragraphs(" 第一段 \n\n\u3000\n 第二  段 ") == "第一段\n第二 段"


@pytest.mark.parametrize(
    ("title", "suffixes", "expected"),
    [
        ("深化民族團結進步創建工作 - 每日頭條", (" - 每日頭條",), "深化民族團結進步創建工作"),
        ("深化民族團結進步創建工作", (" - 每日頭條",), "深化民族團結進步創建工作"),
        (" - 每日頭條", (" - 每日頭條",), "- 每日頭條"),
    ],
)
def test_strip_site_suffix(title, suffixes, expected):
    assert strip_site_suffix(title, {"title_suffixes": suffixes}) == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("国务院常务会议部署稳就业举措_新浪网", "国务院常务会议部署稳就业举措"),
        ("国务院常务会议部署稳就业举措 - 网易新闻", "国务院常务会议部署稳就业举措"),
        ("国务院常务会议部署稳就业举措|凤凰网资讯|凤凰网", "国务院常务会议部署稳就业举措"),
        ("国务院常务会议部署稳就业举措 — 人民网", "国务院常务会议部署稳就业举措"),
        ("春天来了", "春天来了"),
        # A hyphen with no spaces: a site or channel name only when it ends like one.
        ("劳伦斯：一个无法定义的“洛克菲勒”-搜狐财经", "劳伦斯：一个无法定义的“洛克菲勒”"),
        ("标题很长的一条新闻-体育频道-新浪网", "标题很长的一条新闻"),
        ("2025中国-东盟博览会开幕", "2025中国-东盟博览会开幕"),
        ("COVID-19疫情防控新闻网", "COVID-19疫情防控新闻网"),
        ("新闻-新浪网", "新闻-新浪网"),
        # After a headline that ends in a sign or a bracket ("6.1%", "（图）") too.
        ("一季度GDP增长6.1%-示例网-专业财经门户", "一季度GDP增长6.1%"),
        ("市民游园赏花（图）-示例网", "市民游园赏花（图）"),
    ],
)
def test_strip_generic_suffix(title, expected):
    assert strip_generic_suffix(title) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("作者:李華", "李華"),
        ("作者：李华", "李华"),
        ("來源:雲南網", "雲南網"),
        ("来源：新华社", "新华社"),
        ("雲南網通訊員 代洪", "雲南網通訊員 代洪"),
        ("記者 王曉明", "記者 王曉明"),
        ("責任編輯：張三", "張三"),
    ],
)
def test_strip_label(line, expected):
    assert strip_label(line) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("江城书画院举办“翰</p></p></p>墨颂江城”师生作品展", "江城书画院举办“翰墨颂江城”师生作品展"),  # a broken <title>
        ('作者：<a href="/u/1">张三</a>', "作者：张三"),  # a double-escaped byline
        ("标题<br/>续<!-- x -->完", "标题续完"),
        ("3 < 5 且 x>1 的情形", "3 < 5 且 x>1 的情形"),  # comparisons are no tags
        ("没有标记的标题", "没有标记的标题"),
    ],
)
def test_drop_tag_text(value, expected):
    assert drop_tag_text(value) == expected


def test_a_body_paragraph_loses_tags_written_out_as_text():
    from crawler.extraction.items import ArticleItem
    from crawler.extraction.loaders import ArticleLoader

    loader = ArticleLoader(item=ArticleItem())
    loader.add_value("body", ["合理安排路线。</p>", '<div class="x">发表评论</div>', "a < b 且 c > d"])
    assert loader.load_item()["body"] == "合理安排路线。\n发表评论\na < b 且 c > d"


def test_to_timestamp_uses_site_zone_and_fetch_time():
    context = {"timezone": "Asia/Shanghai", "fetched_at": datetime(2025, 4, 1, 2, 0, tzinfo=UTC)}
    assert to_timestamp("更新时间:2025-03-31 13:17:35", context) == "2025-03-31T13:17:35+08:00"
    assert to_timestamp("3小時前", context) == "2025-04-01T07:00:00+08:00"
    assert to_timestamp("2025-03-31T05:17:35Z", context) == "2025-03-31T13:17:35+08:00"
    assert to_timestamp("没有时间", context) is None
