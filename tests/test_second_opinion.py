"""No page that holds an article gives no record: the fallbacks behind the content-block scorer."""

from datetime import UTC, datetime

import pytest
from scrapy.http import HtmlResponse

from crawler.rules import NoArticle, get_rules
from crawler.rules import fallback as fallback_module

NOW = datetime(2025, 4, 1, 2, 0, tzinfo=UTC)

POEM = ["床前明月光", "疑是地上霜", "举头望明月", "低头思故乡", "春眠不觉晓", "处处闻啼鸟", "夜来风雨声", "花落知多少"] * 3


def extract(body: str, url: str = "https://news.example.cn/a/20250331/123456.html"):
    response = HtmlResponse(url=url, body=body.encode("utf-8"), encoding="utf-8")
    return get_rules("generic").extract(response, NOW)


def page(head: str, main: str, title: str = "唐诗三首赏析") -> str:
    return (
        f"<html><head><title>{title}_示例文化网</title>{head}</head><body>"
        "<div class='nav'><a href='/'>首页</a><a href='/culture/'>文化</a></div>"
        f"<div class='main'><h1>{title}</h1>{main}</div>"
        "<div class='footer'>Copyright © 2003-2025 示例文化网 版权所有</div></body></html>"
    )


def poem_lines() -> str:
    # Lines of five characters: each too short for the scorer, which gives no block at all.
    return "<div class='poem'>" + "".join(f"<p>{line}</p>" for line in POEM) + "</div>"


def test_an_article_of_short_lines_is_read_by_the_second_opinion():
    item = extract(page("<meta property='og:type' content='article'>", poem_lines()))
    assert item["title"] == "唐诗三首赏析"
    lines = item["body"].splitlines()
    assert lines[:8] == POEM[:8]
    assert "首页" not in item["body"] and "Copyright" not in item["body"]


def test_a_byline_and_a_time_say_article_without_metadata():
    main = "<div class='info'>作者：李白 发布时间：2025-03-30 10:00</div>" + poem_lines()
    item = extract(page("", main))
    assert item["body"].splitlines()[0] == POEM[0]
    assert item["author"] == "李白"


def test_a_page_of_links_that_says_article_keeps_its_best_block():
    # A round-up article that is mostly links: it reads like a list, but the page says it is an
    # article (JSON-LD), so the best-scored block is its body.
    rows = "".join(f"<li><a href='/a/{n}.html'>第{n}条：全市重点项目建设稳步推进</a> 2025-03-{n:02d}</li>" for n in range(1, 9))
    head = '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "一周要闻回顾"}</script>'
    item = extract(page(head, f"<div class='content'><ul>{rows}</ul></div>", title="一周要闻回顾"))
    assert "第1条：全市重点项目建设稳步推进" in item["body"]


def test_a_list_page_that_does_not_say_article_gives_no_record():
    rows = "".join(f"<li><a href='/a/{n}.html'>第{n}条：全市重点项目建设稳步推进</a> 2025-03-{n:02d}</li>" for n in range(1, 9))
    with pytest.raises(NoArticle, match="no article text found"):
        extract(page("", f"<div class='content'><ul>{rows}</ul></div>", title="本地新闻"))


def test_a_page_of_short_lines_that_does_not_say_article_gives_no_record():
    with pytest.raises(NoArticle):
        extract(page("", poem_lines()))


def test_a_failing_second_opinion_is_a_miss_not_a_crash(monkeypatch):
    import trafilatura

    def broken(*args, **kwargs):
        raise ValueError("hostile page")

    monkeypatch.setattr(trafilatura, "extract", broken)
    assert fallback_module.trafilatura_paragraphs("<html><body><p>x</p></body></html>", "https://a.example/") == []
    with pytest.raises(NoArticle, match="no article text found"):
        extract(page("<meta property='og:type' content='article'>", poem_lines()))


def test_a_full_body_never_asks_for_a_second_opinion(monkeypatch):
    import trafilatura

    def unexpected(*args, **kwargs):
        raise AssertionError("trafilatura asked about a page the scorer read")

    monkeypatch.setattr(trafilatura, "extract", unexpected)
    text = "".join(
        f"<p>第{n}段：城市更新工作坚持以人民为中心，改造老旧小区、完善公共服务设施，让居民生活更加便利舒适。</p>"
        for n in range(5)
    )
    item = extract(page("<meta property='og:type' content='article'>", f"<div class='article-content'>{text}</div>"))
    assert item["body"].count("\n") == 4


@pytest.mark.parametrize(
    ("paragraphs", "tiny"),
    [([], True), (["图为现场。"], True), (["短" * 79], True), (["长" * 80], False), (["一" * 40, "二" * 40], False)],
)
def test_tiny_is_measured_in_counted_characters(paragraphs, tiny):
    assert fallback_module.is_tiny(paragraphs) is tiny
