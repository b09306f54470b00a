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


def test_a_short_articles_second_opinion_leaves_out_the_related_teasers():
    # Two short paragraphs (a tiny body), then a related list whose summaries trafilatura reads as text.
    teasers = [
        ("非遗展演走进社区广场", "周末晚间，剪纸、皮影和地方戏曲等非遗项目在社区广场集中展演，"),
        ("市民运动会游泳比赛落幕", "为期两天的市民运动会游泳比赛今晚落幕，来自各区的三百余名选手"),
    ]
    related = "".join(
        f"<li><a href='/a/20250330/{i}.html'>{title}</a><p class='summary'>{summary}</p></li>"
        for i, (title, summary) in enumerate(teasers)
    )
    main = (
        "<div class='content'><p>市图书馆夏季阅读计划今天启动，面向中小学生推出分级书单和阅读打卡活动。</p>"
        "<p>活动期间每周六下午举办作家见面会，读者可在图书馆网站预约座位。</p></div>"
        f"<div class='related'><h3>相关阅读</h3><ul>{related}</ul></div>"
    )
    item = extract(page("<meta property='og:type' content='article'>", main, "市图书馆推出夏季阅读计划"))
    assert item["body"].splitlines()[:2] == [
        "市图书馆夏季阅读计划今天启动，面向中小学生推出分级书单和阅读打卡活动。",
        "活动期间每周六下午举办作家见面会，读者可在图书馆网站预约座位。",
    ]
    for title, summary in teasers:
        assert title not in item["body"] and summary not in item["body"]


def test_without_teasers_drops_titles_and_cut_summaries_only():
    related = [{"title": "市民运动会游泳比赛落幕", "summary": "为期两天的市民运动会游泳比赛今晚落幕，来自各区"}]
    lines = [
        "市民运动会游泳比赛落幕",
        "为期两天的市民运动会游泳比赛今晚落幕，来自各区的三百余名选手参赛。",
        "游泳比赛落幕后举行了颁奖仪式。",
    ]
    assert fallback_module.without_teasers(lines, related) == ["游泳比赛落幕后举行了颁奖仪式。"]


def test_markup_that_trafilatura_returns_as_text_is_not_body():
    # Escaped markup is text to a parser; on a broken page trafilatura returns such lines as text.
    html = (
        "<html><body><div class='content'><p>市图书馆夏季阅读计划今天启动，面向中小学生推出分级书单和阅读打卡活动，为期两个月。</p>"
        "<p>&lt;script src=&quot;/js/stat.js&quot;&gt;&lt;/script&gt;</p>"
        "<p>活动期间每周六下午举办作家见面会，读者可在图书馆网站预约座位，名额有限，先到先得。</p></div></body></html>"
    )
    lines = fallback_module.trafilatura_paragraphs(html, "https://news.example.cn/a/20250331/1.html")
    assert lines and not [line for line in lines if "<script" in line]
    assert any(line.startswith("市图书馆夏季阅读计划") for line in lines)


def test_a_layout_tables_cells_are_lines_in_the_second_opinion():
    """trafilatura writes a table's rows with pipes; an old portal laid out in tables gave its
    menu, headline and date as body (issue 19, third part: a made page, no fold)."""
    menu = "".join(f"<a href='/c/{n}'>栏目{n}名称</a> | " for n in range(30))
    text = "<p>本报讯 昨日上午，市政府召开常务会议，研究部署春季农业生产工作。</p><p>会议要求，各地要抓好春耕备耕，确保粮食生产稳定。</p>"
    html = (
        "<html><head><title>市政府召开常务会议部署春耕工作--示例新闻网</title></head><body>"
        f"<table><tr><td>{menu}</td></tr></table><table><tr><td><table>"
        "<tr><td align='center'><b>市政府召开常务会议部署春耕工作</b></td></tr>"
        f"<tr><td align='center'>2005-03-12 08:30</td></tr><tr><td>{text}</td></tr></table></td></tr></table>"
        f"<table><tr><td>{menu}</td></tr></table></body></html>"
    )
    item = extract(html)
    assert item["body"].splitlines() == [
        "本报讯 昨日上午，市政府召开常务会议，研究部署春季农业生产工作。",
        "会议要求，各地要抓好春耕备耕，确保粮食生产稳定。",
    ]


def test_a_data_tables_rows_stay_rows():
    assert fallback_module._cells("| 专业 | 人数 |\n| --- | --- |\n| 数学 | 3 |\n| 栏目一 \\| 栏目二 |\n正文") == [
        "专业 人数",
        "数学 3",
        "栏目一 | 栏目二",
        "正文",
    ]


def test_a_notices_closing_date_is_no_lists_heading():
    from parsel import Selector

    sel = Selector(text="<html><body><a href='/'>首页</a><a href='/n'>新闻</a><p>x</p></body></html>")
    lines = ["通知全文第一段，各单位认真落实。", "2025年3月31日", "首页 新闻"]
    assert fallback_module.without_link_lines(lines, sel) == lines[:2]
    assert fallback_module.without_link_lines(["正文一段，内容。", "更多新闻", "首页 新闻"], sel) == ["正文一段，内容。"]
