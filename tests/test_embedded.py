"""Articles read from a page's embedded JSON, script shells, and which pages go to the browser."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from parsel import Selector
from scrapy.http import HtmlResponse, Request
from scrapy.settings import Settings

from crawler.extraction.embedded import embedded_article, script_shell
from crawler.rules import NoArticle, Rules, get_rules
from crawler.spiders.rendering import RENDER_META, RenderPolicy, render_mode

URL = "https://m.example.cn/news/77.html"
FETCHED = datetime(2025, 6, 20, 2, 0, tzinfo=UTC)
BODY = "<p>第一段正文，讲述本地新闻的来龙去脉。</p><figure><img src='/p/1.jpg' alt='现场'><figcaption>活动现场</figcaption></figure><p>第二段正文，补充更多细节和背景。</p>"
ARTICLE = {
    "title": "移动版页面的新闻标题",
    "content": BODY,
    "publishTime": "2025-06-19 20:15:00",
    "author": {"name": "记者 吴桐"},
    "source": "本地日报",
    "breadcrumbs": ["首页", "本地"],
    "related": [{"title": "另一条新闻", "url": "/news/78.html", "date": "2025-06-18"}],
}


def response(html: str, url: str = URL, meta: dict | None = None) -> HtmlResponse:
    request = Request(url, meta=meta or {})
    return HtmlResponse(url, body=html.encode("utf-8"), encoding="utf-8", request=request)


def shell(extra: str, root: str = '<div id="app"></div>') -> str:
    return f"<html><head><title>移动版</title></head><body>{root}{extra}</body></html>"


def extract(html: str, rules: Rules | None = None) -> dict:
    return dict((rules or Rules()).extract(response(html), FETCHED))


def test_next_data_blob_gives_the_whole_record():
    blob = json.dumps({"props": {"pageProps": {"data": {"article": ARTICLE}}}, "page": "/news/[id]"}, ensure_ascii=False)
    record = extract(shell(f'<script id="__NEXT_DATA__" type="application/json">{blob}</script>', '<div id="__next"></div>'))
    assert record["title"] == "移动版页面的新闻标题"
    assert record["body"] == "第一段正文，讲述本地新闻的来龙去脉。\n第二段正文，补充更多细节和背景。"
    assert record["timestamp"] == "2025-06-19T20:15:00+08:00"
    assert record["timestamp_raw"] == "2025-06-19 20:15:00"
    assert (record["author"], record["source"], record["breadcrumbs"]) == ("记者 吴桐", "本地日报", ["首页", "本地"])
    assert record["images"] == [{"url": "https://m.example.cn/p/1.jpg", "alt": "现场", "caption": "活动现场"}]
    assert record["related_links"] == [
        {"url": "https://m.example.cn/news/78.html", "title": "另一条新闻", "summary": None, "date": "2025-06-18"}
    ]


def test_initial_state_assignment_with_epoch_milliseconds():
    state = {
        "detail": {
            **ARTICLE,
            "publishTime": 1750335300000,
            "content": "第一行纯文本正文，足够长的一段话。\n第二行纯文本正文，也是一段话。",
        }
    }
    script = f"<script>window.__INITIAL_STATE__ = {json.dumps(state, ensure_ascii=False)};(function(){{}})();</script>"
    record = extract(shell(script))
    assert record["body"] == "第一行纯文本正文，足够长的一段话。\n第二行纯文本正文，也是一段话。"
    assert record["timestamp"] == "2025-06-19T20:15:00+08:00"


@pytest.mark.parametrize(
    ("fields", "head", "timestamp"),
    [
        # A time key written another way (case, a portal's own name) is read all the same.
        ({"pubTime": "2025-06-19 20:15:00"}, "", "2025-06-19T20:15:00+08:00"),
        ({"NewsTime": "2025-06-19 20:15:00"}, "", "2025-06-19T20:15:00+08:00"),
        # A blob without a time: the page's metadata gives it, as for any page.
        ({}, "<meta property='article:published_time' content='2025-06-19T20:15:00+08:00'>", "2025-06-19T20:15:00+08:00"),
    ],
)
def test_a_blobs_time_under_other_names_or_from_the_page(fields, head, timestamp):
    """Issue 19, third part (made pages, no fold)."""
    article = {key: value for key, value in ARTICLE.items() if key != "publishTime"} | fields
    blob = json.dumps({"props": {"pageProps": {"data": {"article": article}}}}, ensure_ascii=False)
    html = shell(f'<script id="__NEXT_DATA__" type="application/json">{blob}</script>', '<div id="__next"></div>')
    record = extract(html.replace("<title>", f"{head}<title>"))
    assert record["timestamp"] == timestamp


def test_json_ld_article_body():
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": "结构化数据里的标题",
        "articleBody": "结构化数据里的正文第一段，内容足够长。\n第二段。",
        "datePublished": "2025-06-19T20:15:00+08:00",
    }
    record = extract(shell(f'<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>'))
    assert record["title"] == "结构化数据里的标题"
    assert record["body"] == "结构化数据里的正文第一段，内容足够长。\n第二段。"
    assert record["timestamp"] == "2025-06-19T20:15:00+08:00"


def test_the_longest_article_in_a_blob_wins_and_teasers_do_not_count():
    state = {
        "list": [{"title": "推荐一", "content": "短摘要"}, {"title": "推荐二", "content": "另一条短摘要"}],
        "article": ARTICLE,
    }
    found = embedded_article(Selector(text=shell(f"<script>window.__INITIAL_STATE__={json.dumps(state)}</script>")), URL)
    assert found is not None and found.title == "移动版页面的新闻标题"
    teasers = {"list": state["list"]}
    assert embedded_article(Selector(text=shell(f"<script>window.__INITIAL_STATE__={json.dumps(teasers)}</script>")), URL) is None


@pytest.mark.parametrize(
    "script",
    [
        '<script id="__NEXT_DATA__" type="application/json">{"props": {broken</script>',
        "<script>window.__INITIAL_STATE__ = {'single': 'quotes'};</script>",
        '<script type="application/ld+json">[1, 2, </script>',
        '<script id="__NEXT_DATA__" type="application/json">' + "[" * 5000 + "]" * 5000 + "</script>",
    ],
    ids=["broken-next-data", "not-json", "broken-ld", "deep-nesting"],
)
def test_broken_blobs_are_no_article_not_a_crash(script):
    with pytest.raises(NoArticle, match="no article text found"):
        extract(shell(script))


def test_markup_wins_over_the_blob():
    # A server-rendered page that also ships its state: the markup is read as always.
    blob = json.dumps({"props": {"pageProps": {"article": {**ARTICLE, "title": "数据里的另一个标题"}}}}, ensure_ascii=False)
    page = f"<html><body><h1>页面上的标题</h1><div class='content'>{BODY * 3}</div><script id='__NEXT_DATA__' type='application/json'>{blob}</script></body></html>"
    assert extract(page)["title"] == "页面上的标题"


def test_rules_may_switch_embedded_reading_off():
    class NoBlobs(Rules):
        name = "noblobs"
        embedded_json = False

    blob = json.dumps({"props": {"pageProps": {"article": ARTICLE}}}, ensure_ascii=False)
    with pytest.raises(NoArticle):
        extract(shell(f'<script id="__NEXT_DATA__" type="application/json">{blob}</script>'), NoBlobs())


@pytest.mark.parametrize(
    "html, reason",
    [
        (shell("", '<div id="root"></div>'), "empty app root #root"),
        (shell('<script id="__NEXT_DATA__" type="application/json">{}</script>', '<div id="__next"></div>'), "__NEXT_DATA__"),
        (shell("<script>window.__INITIAL_STATE__={};</script>", "<main></main>"), "window.__INITIAL_STATE__"),
        (shell("<noscript>您需要启用 JavaScript 才能使用本网站</noscript>", "<main></main>"), "<noscript> asks for JavaScript"),
        (shell("<noscript><img src='/pixel.gif'></noscript>", "<main><p>没有文章的普通页面</p></main>"), None),
        (shell("", '<div id="app"><p>服务端已经渲染好的内容</p></div>'), None),
    ],
    ids=["app-root", "next-data", "initial-state", "noscript", "tracking-noscript", "filled-app-root"],
)
def test_script_shells_are_recognised(html, reason):
    assert script_shell(Selector(text=html)) == reason


def policy(mode: str, render: str | None) -> RenderPolicy:
    class Site(Rules):
        name = "site"

    Site.render = render
    return RenderPolicy(mode, Site())


def test_render_policy():
    plain = response("<html><body><main><p>一个没有文章的页面</p></main></body></html>")
    app = response(shell(""))
    rendered = response(shell(""), meta={RENDER_META: "empty app root #app"})
    assert policy("auto", None).again("article", plain) is None
    assert policy("auto", None).again("article", app) == "empty app root #app"
    assert policy("auto", None).again("article", rendered) is None  # once
    assert policy("auto", "article").again("article", plain) == "site rules (render=article)"
    assert policy("auto", "article").again("list", plain) is None
    assert policy("auto", "list").again("list", plain) == "site rules (render=list)"
    assert policy("off", "all").again("article", app) is None
    assert policy("all", None).direct() == {RENDER_META: "CAIJI_RENDER=all"}
    assert policy("auto", "all").direct() == {}
    assert (
        policy("off", None).note(app)
        == "; the page builds it with JavaScript (empty app root #app) and rendering is off (CAIJI_RENDER=off)"
    )
    assert policy("auto", None).note(rendered) == " (after rendering in the browser)"
    assert policy("auto", None).note(plain) == ""
    with pytest.raises(ValueError, match="render must be one of article, list, all"):
        policy("auto", "sometimes")


def test_render_mode_setting():
    assert render_mode(Settings({"CAIJI_RENDER": " OFF "})) == "off"
    assert render_mode(Settings({})) == "auto"
    with pytest.raises(ValueError, match="CAIJI_RENDER must be one of auto, off, all"):
        render_mode(Settings({"CAIJI_RENDER": "yes"}))


def test_every_site_rules_render_value_is_valid():
    for name in ("generic", "tftnews", "jsnews"):
        RenderPolicy("auto", get_rules(name))
