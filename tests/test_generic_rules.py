"""Tables of cases for the generic heuristics: titles, times, bylines, captions, links."""

from datetime import UTC, datetime

import pytest
from lxml import html as lxml_html
from parsel import Selector
from scrapy.http import HtmlResponse

from crawler.rules import NoArticle, get_rules
from crawler.rules.generic import caption_near, drop_boilerplate_lines, find_title
from crawler.spiders.links import is_pagination, link_kind

NOW = datetime(2025, 4, 1, 2, 0, tzinfo=UTC)
pytestmark = pytest.mark.pure


def extract(body: str, url: str = "https://news.example.cn/a/20250331/123456.html"):
    response = HtmlResponse(url=url, body=body.encode("utf-8"), encoding="utf-8")
    return get_rules("generic").extract(response, NOW)


def article(meta: str = "", after: str = "", head: str = "", title: str = "城市更新让老街区焕发新活力") -> str:
    paragraphs = "".join(
        f"<p>第{n}段：城市更新工作坚持以人民为中心，改造老旧小区、完善公共服务设施，让居民生活更加便利舒适，街区面貌焕然一新。</p>"
        for n in range(1, 6)
    )
    return (
        f"<html><head><title>{title}_示例新闻网</title>{head}</head><body>"
        "<div class='nav'><a href='/'>首页</a><a href='/news/'>新闻</a></div>"
        f"<div class='main'><h1>{title}</h1>{meta}<div class='article-content'>{paragraphs}</div>{after}</div>"
        "<div class='footer'>Copyright © 2003-2025 示例新闻网 版权所有 京ICP备12345678号</div></body></html>"
    )


@pytest.mark.parametrize(
    ("head", "body", "expected"),
    [
        ("<title>春耕备耕正当时_新浪网</title>", "<h1>春耕备耕正当时</h1>", "春耕备耕正当时"),
        ("<title>春耕备耕正当时 - 网易新闻</title>", "", "春耕备耕正当时 - 网易新闻"),  # suffix stripped later
        ("<meta property='og:title' content='标题来自元数据'><title>别的标题</title>", "", "标题来自元数据"),
        (
            '<script type="application/ld+json">{"@type":"NewsArticle","headline":"结构化数据标题"}</script>',
            "<h1>页面标题</h1>",
            "结构化数据标题",
        ),
        # A heading that opens the title is the headline, separators and all; a site-name h1 is not.
        (
            "<title>新竹尖石_美樹營地賞楓 (2) @ 史蒂文的家_藍天 :: 痞客邦 PIXNET ::</title>",
            "<h1>痞客邦 PIXNET</h1><h1><a href='/blog'>史蒂文的家_藍天</a></h1><h2><a href='/p/1'>新竹尖石_美樹營地賞楓 (2)</a></h2>",
            "新竹尖石_美樹營地賞楓 (2)",
        ),
        # A short heading that opens the title is the site's or section's name when og:title or a
        # longer h1 says otherwise.
        (
            "<title>要闻 | 国务院常务会议部署稳就业举措</title><meta property='og:title' content='国务院常务会议部署稳就业举措'>",
            "<h2>要闻</h2><h1>国务院常务会议部署稳就业举措</h1>",
            "国务院常务会议部署稳就业举措",
        ),
        (
            "<title>凤凰网 - 国务院常务会议部署稳就业举措</title>",
            "<h1>凤凰网</h1><h1>国务院常务会议部署稳就业举措</h1>",
            "国务院常务会议部署稳就业举措",
        ),
        # A logo (a heading that is only a link home) opens "site - headline" titles: no headline.
        (
            "<title>示例网 - 全市经济运行总体平稳</title>",
            "<h1><a href='/'>示例网</a></h1>",
            "示例网 - 全市经济运行总体平稳",
        ),  # cut later
        # A JSON-LD headline the title does not hold loses to the heading that opens it.
        (
            '<title>金锺国 - 维基百科，自由的百科全书</title><script type="application/ld+json">{"headline":"韩国男艺人"}</script>',
            "<h1>金锺国</h1>",
            "金锺国",
        ),
    ],
)
def test_find_title(head, body, expected):
    assert find_title(Selector(text=f"<html><head>{head}</head><body>{body}</body></html>")) == expected


@pytest.mark.parametrize(
    ("meta", "after", "timestamp", "raw"),
    [
        (
            "<div class='info'><span>发布时间：2025-03-28 10:15</span></div>",
            "",
            "2025-03-28T10:15:00+08:00",
            "发布时间：2025-03-28 10:15",
        ),
        (
            "<div class='info'>2025年3月28日 10:15 来源：新华社</div>",
            "",
            "2025-03-28T10:15:00+08:00",
            "2025年3月28日 10:15 来源：新华社",
        ),
        ("<p class='meta'><span class='time'>3小时前</span></p>", "", "2025-04-01T07:00:00+08:00", "3小时前"),
        # Traps: a related item's date, a comment's date and the copyright year are not the article's.
        (
            "<div class='info'><span>2025-03-20 08:00</span></div>",
            "<div class='related'><h3>相关新闻</h3><ul><li><a href='/a/1.html'>另一篇文章的标题在这里</a> 2025-03-30</li></ul></div>"
            "<div class='comment-list'><p>网友 2025-03-31 12:00：说得好</p></div>",
            "2025-03-20T08:00:00+08:00",
            "2025-03-20 08:00",
        ),
        # A comment's time is not the article's; with no time shown, the day in the address is
        # (/a/20250331/), without the comment's hour.
        ("", "<div class='comments'><p>网友评论 2025-03-30 12:00</p></div>", "2025-03-31T00:00:00+08:00", "2025-03-31"),
        (
            "<div class='info'>注册时间：2010-01-01 发布于 2025-03-27 09:00</div>",
            "",
            "2025-03-27T09:00:00+08:00",
            "发布于 2025-03-27 09:00",
        ),
    ],
)
def test_times(meta, after, timestamp, raw):
    item = extract(article(meta, after))
    assert item.get("timestamp") == timestamp
    assert item.get("timestamp_raw") == raw


def test_a_comments_time_is_no_time_on_an_undated_address(monkeypatch):
    monkeypatch.setattr("crawler.rules.times.htmldate_day", lambda root, url, now: None)
    page = article("", "<div class='comments'><p>网友评论 2025-03-31 12:00</p></div>")
    item = extract(page, url="https://news.example.cn/a/123456.html")
    assert item.get("timestamp") is None and item.get("timestamp_raw") is None


@pytest.mark.parametrize("query", ["?id=7&copy=1&not=2", "?a=1&para=3&times=4&amp=5", "?q=%E4%B8%AD&lt=1"])
def test_addresses_keep_their_query_as_it_is(query):
    # Addresses are not text: "&copy=1" in a query is no entity (html.unescape would make it "©=1").
    url = "https://news.example.cn/a/20250331/123456.html" + query
    item = extract(article(head=f"<link rel='canonical' href='{url}'>"), url=url)
    assert item["url"] == url
    assert item["canonical_url"] == url


def test_metadata_time_in_the_sites_zone():
    head = "<meta property='article:published_time' content='2025-03-28T02:15:00Z'>"
    item = extract(article(head=head))
    assert item["timestamp"] == "2025-03-28T10:15:00+08:00"
    assert item["timestamp_raw"] == "2025-03-28T02:15:00Z"
    taipei = extract(article(head=head), "https://news.example.com.tw/a/20250328/123456.html")
    assert taipei["timestamp"] == "2025-03-28T10:15:00+08:00"
    paris = extract(article(head=head), "https://www.example.fr/cn/20250328-123456")
    assert paris["timestamp"] == "2025-03-28T03:15:00+01:00"


@pytest.mark.parametrize(
    ("meta", "after", "author", "source"),
    [
        ("<div class='info'>来源：新华网 作者：张三</div>", "", "张三", "新华网"),
        ("<div class='info'>2025-03-28 来源：人民日报</div>", "<p>（记者 李四 王五）</p>", "记者 李四 王五", "人民日报"),
        ("", "<p>本报记者 赵六 发自北京</p>", "本报记者 赵六", None),
        ("<div class='info'>文/小林说史</div>", "", "小林说史", None),
        ("", "<p>（责任编辑：钱七）</p>", "钱七", None),  # only an editor: taken as the byline
        ("<div class='info'>作者：李华 | 责任编辑：钱七</div>", "", "李华", None),  # an author beats the editor
        ("<div class='info'>记者了解到，这项工作进展顺利。</div>", "", None, None),  # 记者 in a sentence is no byline
        ("<div class='info'>來源：中央社 記者林志明／台北報導</div>", "", "记者林志明", "中央社"),
        ("<div class='info'>作者：赵  培</div>", "", "赵培", None),  # a two-character name padded to three
        ("<div class='info'>ggjjzhzz 发表于 2005-9-15 11:46:00</div>", "", "ggjjzhzz", None),
        ("<table><tr><td>发文机关：</td><td>吉林省人民政府</td></tr></table>", "", "吉林省人民政府", None),
        ("<div class='sub'>李华</div>", "", "李华", None),  # a name alone under the headline
        ("<div class='sub'>学习目的</div>", "", None, None),  # but a four-character heading is none
        ("<div class='info'>作者：王 小 明</div>", "", "王小明", None),
        ("<div class='info'>作者：李华 大 中 小</div>", "", "李华", None),  # a font-size widget is no name
        ("<div class='info'>楼主 发表于 2005-9-15 11:46:00</div>", "", None, None),
    ],
)
def test_bylines(meta, after, author, source):
    item = extract(article(meta, after))
    converted = {"記者林志明": "记者林志明"}
    assert converted.get(item.get("author"), item.get("author")) == author
    assert item.get("source") == source


@pytest.mark.parametrize(
    ("markup", "caption"),
    [
        ("<div><p><img src='a.jpg'></p><p>图为市民在公园赏花。</p></div>", "图为市民在公园赏花。"),
        ("<div><p><img src='a.jpg'></p><p>市民在公园赏花。新华社记者 王五 摄</p></div>", "市民在公园赏花。新华社记者 王五 摄"),
        ("<div><p><img src='a.jpg'></p><p>资料图</p></div>", "资料图"),
        ("<div><p><img src='a.jpg'></p><p>这是正文的下一段，讲的是别的事情，与图片无关，篇幅也比较长一些。</p></div>", None),
    ],
)
def test_caption_near(markup, caption):
    img = lxml_html.fromstring(markup).xpath("//img")[0]
    assert caption_near(img) == caption


def test_captions_and_editor_lines_stay_out_of_the_body():
    after = "<p>【责任编辑：钱七】</p><p>原标题：旧的标题</p><p>分享到：微信 微博</p>"
    meta = "<div class='article-content'><p><img src='/a.jpg'></p><p>图为改造后的街区。</p></div>"
    item = extract(article(meta, after))
    assert "责任编辑" not in item["body"] and "原标题" not in item["body"] and "分享到" not in item["body"]
    assert "图为" not in item["body"]


@pytest.mark.parametrize(
    ("url", "text", "kind"),
    [
        ("https://news.example.cn/2025/03/31/a1b2.html", "城市更新让老街区焕发新活力", "article"),
        ("https://news.example.cn/c/2025-03-31/doc-inepabcd1111111.shtml", "标题", "article"),
        ("https://www.example.gov.cn/xxgk/202503/t20250331_123456.html", "通知", "article"),
        ("https://www.example.com/news/178263.html", "标题", "article"),
        ("https://www.example.com/article/98765", "标题", "article"),
        ("https://www.example.com/guonei/", "国内", "list"),
        ("https://www.example.com/guonei/index_2.html", "下一页", "list"),
        ("https://www.example.com/login?next=/", "登录", "skip"),
        ("https://www.example.com/files/report.pdf", "下载", "skip"),
        ("mailto:editor@example.com", "投稿", "skip"),
    ],
)
def test_link_kind(url, text, kind):
    assert link_kind(url, text) == kind


@pytest.mark.parametrize(
    ("url", "text", "expected"),
    [
        ("https://www.example.com/guonei/index_2.html", "2", True),
        ("https://www.example.com/list?page=3", "", True),
        ("https://www.example.com/guonei/", "下一页", True),
        ("https://www.example.com/guonei/", "国内", False),
    ],
)
def test_is_pagination(url, text, expected):
    assert is_pagination(url, text) is expected


def test_json_ld_nested_too_deep_is_skipped():
    nested = "[" * 100_000 + "]" * 100_000
    head = f'<title>春耕备耕正当时_新浪网</title><script type="application/ld+json">{nested}</script>'
    assert find_title(Selector(text=f"<html><head>{head}</head><body><h1>春耕备耕正当时</h1></body></html>")) == "春耕备耕正当时"


SUMMARY = "这是一条很长的摘要文字，用来说明这篇相关文章的主要内容，长度超过四十个字符以便测试规则。"
TEASERS = [line for i in range(5) for line in (f"标题{i}号新闻", SUMMARY)]
TEXT = "这是正文里的一段话，记者在现场看到，工人们正在加紧施工，预计下个月就能完成全部工程建设任务。"


@pytest.mark.parametrize(
    ("lines", "kept"),
    [
        # A lead that opens with its date is text; a dateline before the text is not.
        (["2025年3月27日，国务院总理李强主持召开国务院常务会议，研究部署稳就业举措。", TEXT], 2),
        (["2005-04-27 14:32更新 来源：千龙新闻网", TEXT], 1),
        # Teasers (title, summary) after a related heading end the text, even when longer than it.
        ([TEXT, "相关阅读", *TEASERS], 1),
        # A related block inside the text: its links are skipped and the text goes on.
        ([TEXT, "延伸阅读：", "链接一", "链接二", *[TEXT] * 6], 7),
    ],
)
def test_drop_boilerplate_lines(lines, kept):
    assert len(drop_boilerplate_lines(lines)) == kept


@pytest.mark.parametrize(
    ("head", "author"),
    [
        # A blog's author in meta, with its handle: not a person's name, but no site's either.
        ("<meta name='author' content='史蒂文的家_藍天 (stevenhgm)'>", "史蒂文的家_藍天 (stevenhgm)"),
        ("<meta name='author' content='张三'>", "张三"),
        # The site, its CMS, a number or an outlet are no authors.
        ("<meta name='author' content='示例新闻网'>", None),
        ("<meta name='author' content='Discuz! Team and Comsenz UI Team'>", None),
        ("<meta name='author' content='105464'>", None),
        ("<meta name='author' content='xiaolin_2008'>", "xiaolin_2008"),  # a handle, as before
        ("<meta name='author' content='人民日报'>", None),
        ("<meta property='og:site_name' content='示例文化'><meta name='author' content='示例文化'>", None),
        # JSON-LD: the people, not the organization.
        (
            '<script type="application/ld+json">{"@type":"NewsArticle","author":[{"@type":"Person","name":"王五"},'
            '{"@type":"Person","name":"赵六"},{"@type":"Organization","name":"示例新闻网"}]}</script>',
            "王五 赵六",
        ),
        (
            '<script type="application/ld+json">{"@type":"NewsArticle","author":{"@type":"Organization","name":"示例"}}</script>',
            None,
        ),
    ],
)
def test_author_from_metadata(head, author):
    assert extract(article(head=head)).get("author") == author


@pytest.mark.parametrize(
    ("meta", "kept"),
    [
        # A lead set apart before the text, under the headline: running text, kept first.
        (
            "<p class='chapo'>本报讯，城市更新进入新阶段。各地改造老旧小区的经验表明，群众参与是关键，政府引导和资金保障是基础。</p>",
            "本报讯，城市更新进入新阶段。各地改造老旧小区的经验表明，群众参与是关键，政府引导和资金保障是基础。",
        ),
        # A byline, a date line and a list of links are no lead.
        ("<div class='info'>作者：张三 来源：示例新闻网 发布时间：2025-03-31 10:00</div>", None),
        ("<div>" + "".join(f"<a href='/t/{n}'>城市更新专题报道第{n}篇，</a>" for n in range(6)) + "。</div>", None),
    ],
)
def test_a_lead_before_the_text_is_body(meta, kept):
    """generic.find_lead (issue 19, folds 0-2): a standfirst beside the content block is body."""
    body = extract(article(meta=meta))["body"].split("\n")
    assert body[0].startswith("第1段") != bool(kept)
    if kept:
        assert body[0] == kept


def _table(rows: int, linked: bool = False) -> str:
    cell = "<td><a href='/x/{n}'>专业{n}</a></td>" if linked else "<td>专业{n}</td>"
    return (
        "<table>"
        + "".join(f"<tr>{cell.format(n=n)}<td>导师{n}号，招生人数{n}人</td><td>英语、艺术概论</td></tr>" for n in range(rows))
        + "</table>"
    )


@pytest.mark.parametrize(
    ("after", "kept"),
    [
        (_table(4), True),  # a notice's data table right after its text, in a layout table's next cell
        (_table(4, linked=True), False),  # a list of links laid out in a table is no data
        (_table(2), False),  # two rows: no grid to speak of
    ],
)
def test_a_data_table_after_the_text_is_body(after, kept):
    """generic.find_after (issue 19, folds 3-4): a notice's table set apart after its text."""
    page = article().replace("<div class='article-content'>", "<table><tr><td><table><tr><td class='article-content'>")
    page = page.replace("</p></div></div>", f"</p></td></tr></table>{after}</td></tr></table></div>")
    body = extract(page)["body"]
    assert ("导师3号，招生人数3人" in body) is kept
    assert body.startswith("第1段")


@pytest.mark.parametrize(
    ("head", "heading", "title"),
    [
        ("<meta name='twitter:title' content='推特卡片上的新闻标题'>", "", "推特卡片上的新闻标题"),
        ("<meta name='title' content='元数据里的新闻标题_示例网'>", "", "元数据里的新闻标题"),
        ("<meta name='citation_title' content='论文的题目'>", "", "论文的题目"),
        (
            '<script type="application/ld+json">{"@type": "NewsArticle", "name": "结构化数据的名称"}</script>',
            "",
            "结构化数据的名称",
        ),
        ("", "<h1>春耕忙</h1>", "春耕忙"),  # a short h1: the outline's headline wants four characters
        ("<meta itemprop='name' content='示例新闻网'>", "", None),  # a publisher's name is no title
    ],
)
def test_a_title_for_a_page_without_title_or_headline(head, heading, title):
    """Issue 19: an article page with no <title>, og:title or headline the other readers accept
    takes its title from other metadata, else its first h1 or h2."""
    paragraphs = "".join(f"<p>第{n}段：城市更新工作坚持以人民为中心，改造老旧小区，完善公共服务设施。</p>" for n in range(5))
    body = f"<html><head>{head}</head><body>{heading}<div class='content'>{paragraphs}</div></body></html>"
    if title is None:
        with pytest.raises(NoArticle):
            extract(body)
    else:
        assert extract(body)["title"] == title


_MORE = "".join(
    f"<p>第{n}段：下一步，各区将继续推进老旧小区改造，加快补齐养老托育、停车充电等设施短板，让群众有更多获得感。</p>"
    for n in (6, 7)
)


@pytest.mark.parametrize(
    ("after", "kept"),
    [
        # The rest of an article that an ad splits off, written like the first part: body.
        (
            f"<div class='ad-slot'><a href='/ad/1'><img src='/ad/1.jpg'></a>广告</div><div class='article-content'>{_MORE}</div>",
            True,
        ),
        # The same text in another kind of block (a notice, a comment, a site's promotion): not.
        (f"<div class='notice'>{_MORE}</div>", False),
        # Past a comments' heading (short, like an ad's label), nothing is read.
        (f"<div class='comment-title'>网友评论</div><div class='article-content'>{_MORE}</div>", False),
        # Past a related list, nothing is read.
        (
            "<div class='related'><h3>相关阅读</h3><ul><li><a href='/a/1.html'>老街区改造的经验与做法</a></li></ul></div>"
            f"<div class='article-content'>{_MORE}</div>",
            False,
        ),
    ],
)
def test_the_rest_of_a_split_article_is_body(after, kept):
    """generic.find_after (issue 19, third part: made pages, no fold): a split text's second part."""
    body = extract(article(after=after))["body"]
    assert body.startswith("第1段")
    assert ("第6段" in body) is kept
    assert ("第7段" in body) is kept


@pytest.mark.parametrize(
    ("meta", "author"),
    [
        ("<div class='info'>2025-03-31 10:00 <span class='author'>张三</span></div>", "张三"),
        ("<div class='info'><span itemprop='author'>李四</span> 2025-03-31 10:00</div>", "李四"),
        # An author box: the name marked inside it, not its follow button.
        (
            "<div class='author-info'><a class='author-info__name' href='/u/1'>管不饿</a>"
            "<div class='author-info__follow'>关注</div></div>",
            "管不饿",
        ),
        # A marked element that holds no person's name, or one inside a comment: no author.
        ("<div class='author'>示例新闻网</div>", None),
        ("<div class='comments'><span class='author'>网友王五</span></div>", None),
    ],
)
def test_an_author_marked_by_class_or_microdata(meta, author):
    """generic._marked_author (issue 19, third part: made pages of modern portals, no fold)."""
    assert extract(article(meta=meta)).get("author") == author


def test_a_paragraph_about_copyright_is_kept_and_a_notice_is_not():
    """Recall first (issue 19, third part): a line opening with 版权 is a notice only when short or
    naming an owner, a reservation or a reprint."""
    about = "版权产业已成为国民经济的重要组成部分，去年全国版权产业增加值突破八万亿元，占国内生产总值的比重稳步提高，对经济增长的贡献日益突出。"
    notice = (
        "版权声明：本网刊载的所有内容，包括文字、图片、音视频等，版权均属示例报社所有，未经授权不得转载，违者将依法追究责任。"
    )
    page = article().replace("<div class='article-content'>", f"<div class='article-content'><p>{about}</p>")
    page = page.replace("</p></div>", f"</p><p>{notice}</p></div>", 1)
    body = extract(page)["body"].split("\n")
    assert body[0] == about
    assert notice not in body and body[-1].startswith("第5段")


def test_a_sentence_that_opens_with_a_related_headings_words_is_text():
    line = "为你推荐几条小众线路：沿着古道徒步，住进山间民宿，在星空下露营，都是不错的选择。"
    page = article().replace("<div class='article-content'>", f"<div class='article-content'><p>{line}</p>")
    body = extract(page)["body"].split("\n")
    assert body[0] == line and body[-1].startswith("第5段")


@pytest.mark.parametrize(
    ("meta", "deck"),
    [
        # A newspaper's 副题 under the headline, marked as such: the first line of the body.
        ("<p class='subtitle'>去年改造户用卫生厕所4.66万座</p>", "去年改造户用卫生厕所4.66万座"),
        ("<p id='SubTitle'>去年改造户用卫生厕所4.66万座</p>", "去年改造户用卫生厕所4.66万座"),
        # A byline or a date under the headline is none, even so marked.
        ("<p class='subtitle'>来源：示例日报 2025-03-31</p>", None),
        ("<p class='sub-title'><a href='/zt/1'>城市更新专题</a></p>", None),
    ],
)
def test_a_headlines_subtitle_is_body(meta, deck):
    """generic.find_deck (issue 19, third round: fold 3)."""
    body = extract(article(meta=meta))["body"].split("\n")
    assert body[0] == (deck or body[0]) and (body[0] == deck) == bool(deck)
    assert body[1 if deck else 0].startswith("第1段")


def test_a_headline_broken_over_lines_or_a_button_in_it_is_no_subtitle():
    page = article().replace(
        "<h1>城市更新让老街区焕发新活力</h1>", "<h1>城市更新让<br>老街区焕发新活力<span class='tts'>播报文章</span></h1>"
    )
    assert extract(page)["body"].startswith("第1段")
