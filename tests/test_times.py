"""Deciding an article's time between the metadata, the visible lines, the address and htmldate."""

from datetime import UTC, date, datetime

import pytest
from scrapy.http import HtmlResponse

from crawler.rules import get_rules
from crawler.rules.times import decide, htmldate_day, url_date

NOW = datetime(2025, 4, 1, 2, 0, tzinfo=UTC)
pytestmark = pytest.mark.pure


def never() -> date | None:
    raise AssertionError("htmldate asked although the evidence was strong")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://news.example.cn/a/2025/03/31/123.html", date(2025, 3, 31)),
        ("https://news.example.cn/a/2025-03-31/123.html", date(2025, 3, 31)),
        ("https://news.example.cn/a/20250331/123456.html", date(2025, 3, 31)),
        ("http://www.gov.cn/xinwen/2025-03/31/content_123.htm", date(2025, 3, 31)),
        ("http://www.example.gov.cn/art/202503/t20250331_4567.html", date(2025, 3, 31)),
        ("https://news.example.cn/a/123456789012.html", None),  # an id, not a date
        ("https://news.example.cn/a/20251399/1.html", None),  # no such month
        ("https://news.example.cn/?d=20250331", None),  # the query is no part of the path
        (None, None),
    ],
)
def test_url_date(url, expected):
    assert url_date(url) == expected


def test_strong_metadata_decides_alone():
    assert decide("2025-03-30T09:00:00+08:00", [], None, "https://a.cn/x/20250331/1.html", never, NOW) == (
        "2025-03-30T09:00:00+08:00"
    )


def test_a_labelled_line_near_the_headline_decides_alone():
    assert decide(None, [(120.0, "发布时间：2025-03-30 09:00")], None, None, never, NOW) == "发布时间：2025-03-30 09:00"


def test_a_strong_line_of_another_day_gives_way_to_the_addresss_day():
    candidates = [(110.0, "2025年4月1日 星期二 10:00"), (70.0, "2025-03-31 10:20")]
    assert decide(None, candidates, None, "https://a.cn/n/20250331/9.html", never, NOW) == "2025-03-31 10:20"
    assert decide(None, candidates, None, "https://a.cn/n/9.html", never, NOW) == "2025年4月1日 星期二 10:00"


def test_metadata_with_a_day_only_takes_the_time_the_page_shows():
    assert decide("2025-03-30", [(40.0, "2025-03-30 09:12:45")], None, None, never, NOW) == "2025-03-30 09:12:45"


def test_weak_lines_are_decided_by_the_address():
    # An unlabelled list-widget date scores above the article's own line; the address agrees with
    # the second.
    candidates = [(60.0, "2025-03-28 08:00"), (45.0, "2025-03-31 10:20")]
    assert decide(None, candidates, None, "https://a.cn/n/20250331/9.html", never, NOW) == "2025-03-31 10:20"


def test_weak_lines_are_decided_by_htmldate_when_the_address_has_no_date():
    candidates = [(60.0, "2025-03-28 08:00"), (45.0, "2025-03-31 10:20")]
    assert decide(None, candidates, None, "https://a.cn/n/9.html", lambda: date(2025, 3, 31), NOW) == "2025-03-31 10:20"


def test_without_agreement_the_best_line_stays():
    candidates = [(60.0, "2025-03-28 08:00"), (45.0, "2025-03-31 10:20")]
    assert decide(None, candidates, None, None, lambda: None, NOW) == "2025-03-28 08:00"


def test_metadata_of_another_day_loses_to_a_labelled_line_the_address_confirms():
    found = decide(
        "2024-01-01T00:00:00+08:00", [(120.0, "发布时间：2025-03-31 10:20")], None, "https://a.cn/n/20250331/9.html", never, NOW
    )
    assert found == "发布时间：2025-03-31 10:20"


def test_metadata_stays_when_nothing_confirms_the_line():
    found = decide("2025-03-30T09:00:00+08:00", [(120.0, "发布时间：2025-03-31 10:20")], None, None, lambda: None, NOW)
    assert found == "2025-03-30T09:00:00+08:00"


def test_times_in_the_future_are_no_candidates():
    candidates = [(130.0, "发布时间：2031-01-01 00:00"), (50.0, "2025-03-30 09:00")]
    assert decide(None, candidates, None, None, lambda: None, NOW) == "2025-03-30 09:00"


def test_no_time_shown_takes_the_address_then_htmldate():
    assert decide(None, [], None, "https://a.cn/n/20250331/9.html", never, NOW) == "2025-03-31"
    assert decide(None, [], None, "https://a.cn/n/9.html", lambda: date(2025, 3, 29), NOW) == "2025-03-29"
    assert decide(None, [], None, None, lambda: None, NOW) is None


def test_a_year_and_month_line_comes_before_other_sources():
    assert decide(None, [], "1998年3月号", None, never, NOW) == "1998年3月号"


def test_htmldate_reads_a_page_and_never_a_string():
    response = HtmlResponse(
        url="https://a.cn/n/9.html",
        body=b"<html><head><meta property='article:published_time' content='2025-03-29T08:00:00+08:00'></head>"
        b"<body><p>text</p></body></html>",
        encoding="utf-8",
    )
    from crawler.extraction.css import response_selector

    root = response_selector(response).root
    assert htmldate_day(root, response.url, NOW) == date(2025, 3, 29)
    assert htmldate_day(None, response.url, NOW) is None


def test_a_page_without_a_shown_time_is_dated_by_htmldate():
    # The time is only in a <time> element's text in an odd place and in the page's markup as
    # htmldate reads it: the record gets its day (with seconds and the site's offset).
    body = (
        "<html><head><title>春耕备耕正当时_示例新闻网</title>"
        "<meta name='og:updated' content='x'></head><body><h1>春耕备耕正当时</h1>"
        "<div class='article-content'>"
        + "".join(f"<p>第{n}段：各地抢抓农时开展春耕备耕，农业机械化水平持续提高，粮食生产开局良好。</p>" for n in range(4))
        + "</div><div class='footer'>最后修改 <abbr class='published' title='2025-03-29'>三月二十九</abbr></div></body></html>"
    )
    response = HtmlResponse(url="https://a.cn/n/9.html", body=body.encode(), encoding="utf-8")
    item = get_rules("generic").extract(response, NOW)
    assert item["timestamp"] == "2025-03-29T00:00:00+08:00"
    assert item["timestamp_raw"] == "2025-03-29"


def test_a_related_items_date_is_no_evidence_from_htmldate():
    # htmldate reads <span class="date"> wherever it is; a date the page shows only in its related
    # list is no article's time (the demo portal's page without a time, read by the generic rules).
    related = "".join(
        f"<li class='related-item'><a href='/news/{n}.html'>相关文章标题第{n}篇</a><span class='related-date'>2025-03-2{n}</span></li>"
        for n in range(1, 5)
    )
    body = (
        "<html><head><title>春耕备耕正当时_示例新闻网</title></head><body><h1>春耕备耕正当时</h1>"
        "<div class='article-content'>"
        + "".join(f"<p>第{n}段：各地抢抓农时开展春耕备耕，农业机械化水平持续提高，粮食生产开局良好。</p>" for n in range(4))
        + f"</div><div class='related'><h3>相关阅读</h3><ul>{related}</ul></div></body></html>"
    )
    response = HtmlResponse(url="https://a.cn/n/9.html", body=body.encode(), encoding="utf-8")
    item = get_rules("generic").extract(response, NOW)
    assert item.get("timestamp") is None


def _article(head: str = "", scripts: str = "", shown: str = "", url: str = "https://a.cn/n/9.html") -> dict:
    body = (
        f"<html><head><title>春耕备耕正当时_示例新闻网</title>{head}</head><body><h1>春耕备耕正当时</h1>{shown}"
        "<div class='article-content'>"
        + "".join(f"<p>第{n}段：各地抢抓农时开展春耕备耕，农业机械化水平持续提高，粮食生产开局良好。</p>" for n in range(4))
        + f"</div>{scripts}</body></html>"
    )
    response = HtmlResponse(url=url, body=body.encode(), encoding="utf-8")
    return get_rules("generic").extract(response, NOW)


@pytest.mark.parametrize(
    ("scripts", "timestamp", "raw"),
    [
        # WeChat: the page's script writes a Unix time into #publish_time when it runs.
        (
            '<em id="publish_time"></em><script>var e=function(e,t,n,i){};'
            'e(0,"1743398255",0,document.getElementById("publish_time"));</script>',
            "2025-03-31T13:17:35+08:00",
            "1743398255",
        ),
        ('<script>var ct = "1743398255"; var msg_title = "x";</script>', "2025-03-31T13:17:35+08:00", "1743398255"),
        # A data object the page is rendered from.
        (
            '<script>var allData = {"docData": {"title": "x", "newsTime": "2025-03-31 13:17:35", "source": "y"}};</script>',
            "2025-03-31T13:17:35+08:00",
            "2025-03-31 13:17:35",
        ),
        # The key repeated with other times belongs to a list of other articles: no evidence.
        (
            '<script>var list = [{"pubDate": "2025-03-30 08:00"}, {"pubDate": "2025-03-29 09:00"}];</script>',
            None,
            None,
        ),
        # JSON-LD is read as metadata, not here; other keys (a comment's) are no publication.
        ('<script>var c = {"commentTime": "2025-03-30 08:00"};</script>', None, None),
    ],
)
def test_a_time_in_the_pages_scripts(scripts, timestamp, raw):
    """Issue 19, third part (WeChat's page in realpages/magic_html, fold 2; the others made): a
    page that shows its time only once its scripts run."""
    item = _article(scripts=scripts)
    assert item.get("timestamp") == timestamp
    assert item.get("timestamp_raw") == raw


def test_a_scripts_time_gives_way_to_a_shown_time_of_another_day():
    # Weaker than metadata: a script's key may be a version's or a widget's time.
    scripts = '<script>var page = {"publishTime": "2025-03-31 20:33:45"};</script>'
    item = _article(scripts=scripts, shown="<div class='info'>2025-03-29 10:00</div>")
    assert item["timestamp"] == "2025-03-29T10:00:00+08:00"
    # Of the same day, it gives the seconds the page does not show.
    item = _article(scripts=scripts, shown="<div class='info'>2025-03-31 20:33</div>")
    assert item["timestamp"] == "2025-03-31T20:33:45+08:00"


@pytest.mark.parametrize(
    "head",
    [
        "<meta name='PubDate' content='2025-03-31 13:17:35'>",  # names read without regard to case
        "<meta name='firstpublishedtime' content='2025-03-31-13:17:35'>",  # gov.cn's CMS
        "<meta name='publishtime' content='2025-03-31 13:17:35'>",
        "<meta property='bytedance:published_time' content='2025-03-31T13:17:35+08:00'>",
    ],
)
def test_metadata_names_portals_use(head):
    assert _article(head=head)["timestamp"] == "2025-03-31T13:17:35+08:00"


def test_microdata_on_a_shown_element():
    shown = "<div class='info'><span itemprop='datePublished' content='2025-03-31T13:17:35+08:00'>3月31日</span></div>"
    assert _article(shown=shown)["timestamp"] == "2025-03-31T13:17:35+08:00"


def test_days_are_compared_in_the_sites_zone():
    # Metadata in UTC of the evening before is the morning shown on the page, in Beijing: the same
    # day, so the metadata is not contradicted by the line and the address (and keeps its seconds).
    item = _article(
        head="<meta property='article:published_time' content='2025-03-30T23:17:35Z'>",
        shown="<div class='info'>发布时间：2025-03-31 07:17</div>",
        url="https://a.cn/n/2025/03/31/9.html",
    )
    assert item["timestamp"] == "2025-03-31T07:17:35+08:00"


def test_a_taiwan_page_with_an_afternoon_time():
    shown = "<div class='info'>發布時間：民國114年3月31日 下午1:17</div>"
    item = _article(shown=shown, url="https://news.example.com.tw/n/9.html")
    assert item["timestamp"] == "2025-03-31T13:17:00+08:00"


@pytest.mark.parametrize(
    ("kwargs", "timestamp"),
    [
        # A comment widget's time in a script, on a page that shows none: the address's day wins.
        (
            {
                "scripts": '<script>var comments = {"list": [{"publishTime": "2025-03-20 08:00:00"}]};</script>',
                "url": "https://a.cn/n/20250331/9.html",
            },
            "2025-03-31T00:00:00+08:00",
        ),
        # Microdata of a comment is no article's time; the line under the headline is.
        (
            {
                "shown": "<div class='info'>2025-03-31 10:00</div>",
                "scripts": "<div class='comments'><div itemscope itemtype='https://schema.org/Comment'>"
                "<span itemprop='datePublished'>2025-03-20 08:00</span></div></div>",
            },
            "2025-03-31T10:00:00+08:00",
        ),
        # PHP's escaped slashes in a script's JSON are read.
        (
            {"scripts": '<script>var doc = {"newsTime": "2025\\/03\\/31 13:17:35"};</script>'},
            "2025-03-31T13:17:35+08:00",
        ),
        ({"scripts": '<script>var  ct  =  "1743398255";</script>'}, "2025-03-31T13:17:35+08:00"),
    ],
)
def test_weak_times_give_way(kwargs, timestamp):
    """From the review of issue 19's third round."""
    assert _article(**kwargs)["timestamp"] == timestamp


def test_a_scripts_time_against_a_year_and_month_line():
    assert decide(None, [], "2025年3月", None, lambda: None, NOW, script="2024-01-01 08:00:00") == "2025年3月"
    assert decide(None, [], "2025年3月", None, lambda: None, NOW, script="2025-03-09 08:00:00") == "2025-03-09 08:00:00"
