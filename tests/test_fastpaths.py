"""The fast paths of extraction and the record pipelines give exactly what the slow ones give.

No timings here: speed is measured by bench/run.py; these only pin down that nothing changes.
"""

import copy
import random
import re
import sys
from pathlib import Path

import pytest
from lxml import etree
from lxml import html as lxml_html
from parsel import Selector
from scrapy.http import HtmlResponse

from crawler.extraction.charset import decode_html
from crawler.extraction.css import (
    FastHTMLParser,
    forget_indexes,
    release,
    response_select,
    response_selector,
    select,
    select_set,
    select_within,
)
from crawler.extraction.html import _joined, absolute_url, lines, text_of
from crawler.extraction.text import _INVISIBLE, clean_text, is_cjk
from crawler.internals import cached_selector
from pipelines.script import ScriptDetector
from pipelines.validation import FastCheck, RecordValidator
from schema import article_schema
from tests.records import make_record

ROOT = Path(__file__).resolve().parent.parent
PAGES = (
    sorted((ROOT / "fixtures" / "pages").glob("*/*.html"))
    + sorted((ROOT / "fixtures" / "portal" / "tftnews" / "news").glob("10*.html"))[:6]
)
SELECTORS = [
    "h1.article-title",
    ".article-meta .article-time",
    ".breadcrumb a",
    ".article-content",
    "figcaption, .ad-slot, [class*=share]",
    ".related .related-item",
    "a.related-link",
    ".article-pages a.next-page::attr(href)",
    ".channel a::attr(href), .pagination a::attr(href)",
    "div > p",
    "ul li a",
    "a[href]",
    "[rel=nofollow]",
    "#comments",
    "DIV.article-content P",
    "*",
    # Not covered by the index: parsel's XPath answers them.
    "a::text",
    "p:first-child",
    "h1 + div",
]


def _same(expected: list, found: list) -> bool:
    return len(expected) == len(found) and all(
        (a is b) if isinstance(a, etree._Element) else (a == b) for a, b in zip(expected, found, strict=True)
    )


@pytest.mark.parametrize("page", PAGES, ids=[f"{p.parent.name}/{p.stem}" for p in PAGES])
def test_select_gives_what_parsel_gives(page):
    sel = Selector(text=decode_html(page.read_bytes())[0])
    elements = list(sel.root.iter(etree.Element))
    classes = sorted({t for el in elements for t in (el.get("class") or "").split()})
    rng = random.Random(page.name)
    queries = list(SELECTORS)
    for _ in range(10):
        a, b, tag = rng.choice(classes or ["x"]), rng.choice(classes or ["y"]), rng.choice(elements).tag
        queries += [f".{a}", f"{tag}.{a}", f".{a} {tag}", f".{a} > {tag}", f".{b} .{a}", f".{a}, {tag}"]
    scopes = [sel] + [Selector(root=el) for el in rng.sample(elements, min(10, len(elements)))]
    try:
        for query in queries:
            for scope in scopes:
                assert _same([s.root for s in scope.css(query)], select(scope.root, query)), query
    finally:
        forget_indexes()


@pytest.mark.parametrize("page", PAGES, ids=[f"{p.parent.name}/{p.stem}" for p in PAGES])
def test_set_and_per_scope_selection_give_what_select_gives(page):
    root = Selector(text=decode_html(page.read_bytes())[0]).root
    elements = list(root.iter(etree.Element))
    rng = random.Random(page.name)
    scopes = rng.sample(elements, min(12, len(elements))) + [el for el in elements if el.get("class")][:12]
    try:
        for query in [*SELECTORS[:-3], "li", ".related-item", "[class*=related]", "a.related-link", "span"]:
            if "::" not in query:
                for scope in scopes[:4]:
                    assert select_set(scope, query) == set(select(scope, query)), query
            assert select_within(scopes, query) == [select(scope, query) for scope in scopes], query
    finally:
        forget_indexes()


@pytest.mark.parametrize("page", PAGES, ids=[f"{p.parent.name}/{p.stem}" for p in PAGES])
def test_text_of_gives_the_text_of_its_lines(page):
    root = Selector(text=decode_html(page.read_bytes())[0]).root
    for el in root.iter():
        assert text_of(el) == clean_text(" ".join(lines(el)))


def _lines_by_recursion(root, skip=None, content=None, title_el=None):
    """lines() and bylines.outline() written the plain way: (text, in_content, foreign, is_title,
    linked) for each line; the flags are those of the text that starts the line."""
    from crawler.extraction.html import BLOCK_TAGS, SKIP_TAGS
    from crawler.rules.bylines import _FOREIGN_TAGS, _foreign_words

    out, buf, start = [], [], [(False, False, False, False)]

    def add(text, flags):
        if not buf:
            start[0] = flags
        buf.append(text)

    def flush():
        text = clean_text("".join(buf))
        if buf and text:
            out.append((text, *start[0]))
        buf.clear()

    def visit(el, flags):
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if not tag or tag in SKIP_TAGS or (skip is not None and skip(el)):
            if el is not root and el.tail:
                buf.append(el.tail)  # the line keeps the flags of the text that started it
            return
        block = tag in BLOCK_TAGS or el is title_el
        if tag == "br" or block:
            flush()
        in_content, foreign, is_title, linked = flags
        foreign = foreign or tag in _FOREIGN_TAGS or _foreign_words(el.get("class", ""), el.get("id", ""))
        own = (in_content or el is content, foreign, is_title or el is title_el, linked or tag == "a")
        if el.text:
            add(el.text, own)
        for child in el:
            visit(child, own)
        if block:
            flush()
        if el is not root and el.tail:
            add(el.tail, flags)

    visit(root, (False, False, False, False))
    flush()
    return out


WALKER_SNIPPETS = [
    "<p><a href=x></a>tail after an empty link</p><div>a<br>b<br></div>",
    "<div class=comment><span>x</span>tail<p>in</p>after</div><h1>T<a>i</a>tle</h1>tail of h1",
    "<ul><li>one<li><b></b>two<script>no</script>tail</ul><figure><img>cap</figure>after",
    "<div><!--c-->t<?pi x?><em></em><em>e</em>t2<nav><a>n</a></nav>t3</div>",
]


def _check_line_walkers(root, seed):
    from crawler.rules import bylines

    elements = list(root.iter())
    rng = random.Random(seed)
    skipped = set(rng.sample(elements, min(15, len(elements) // 3)))
    for el in [root, *rng.sample(elements, min(30, len(elements)))]:
        assert lines(el) == [line[0] for line in _lines_by_recursion(el)]
        assert lines(el, skipped.__contains__) == [line[0] for line in _lines_by_recursion(el, skipped.__contains__)]
    for content in [None, *rng.sample(elements, min(3, len(elements)))]:
        title_el = next(root.iter("h1"), None)
        outline = [(x.text, x.in_content, x.foreign, x.is_title, x.linked) for x in bylines.outline(root, content, title_el)]
        assert outline == _lines_by_recursion(root, content=content, title_el=title_el)


@pytest.mark.parametrize("page", PAGES, ids=[f"{p.parent.name}/{p.stem}" for p in PAGES])
def test_line_walkers_give_what_a_recursive_walk_gives(page):
    _check_line_walkers(Selector(text=decode_html(page.read_bytes())[0]).root, page.name)


@pytest.mark.parametrize("snippet", WALKER_SNIPPETS)
def test_line_walkers_on_tails_empty_and_skipped_elements(snippet):
    _check_line_walkers(Selector(text=f"<html><body>{snippet}</body></html>").root, snippet)


@pytest.mark.parametrize(
    "body",
    [page.read_bytes() for page in PAGES]
    + [
        b"<html><body><p class=a>x</p></body></html><div class=b>after</div><!--c--><p id=z>q</p>",
        b"<!--x--><div class=pre>a</div><html><body class=q><i id=w aria-label=y>x</i></body></html>",
        b"<p>no classes at all</p>",
        b"<html><body><p class='source x' id='sourceid'>a</p><i id=source>b</i><b class=laiyuan>c</b></body></html>",
    ],
)
def test_lazy_attribute_walks_give_what_the_xpaths_give(body):
    from crawler.rules import generic

    doc = Selector(text=decode_html(body)[0]).root
    named = [
        el
        for el in doc.xpath("//body//*[@class or @id]")
        if "source" in (el.get("class") or "") or "source" in (el.get("id") or "") or "laiyuan" in (el.get("class") or "")
    ]
    assert generic._source_named_elements(doc) == named
    assert list(generic._with_crumb_attrs(doc)) == doc.xpath("//*[@class or @id or @aria-label]")


@pytest.mark.parametrize("page", PAGES, ids=[f"{p.parent.name}/{p.stem}" for p in PAGES])
def test_block_measures_give_what_each_block_alone_gives(page):
    from crawler.rules import generic

    root = Selector(text=decode_html(page.read_bytes())[0]).root
    scores: dict = {}
    generic._score_tree(root, scores, set())
    elements = list(root.iter(etree.Element))
    for blocks in (list(scores), random.Random(page.name).sample(elements, min(30, len(elements))), [root]):
        measures = generic._measures(blocks, {})
        for el in blocks:
            assert measures[el] == (generic._count_cjk_or_word(el.text_content()), generic._link_chars(el))


@pytest.mark.parametrize(
    "body",
    [page.read_bytes() for page in PAGES]
    + [b"<html><body>2025 a<p>x 2025</p>tail 2025<!--c-->ct 2025</body></html><p>after 2025</p>"],
)
def test_body_text_walk_gives_what_the_xpath_gives(body):
    from crawler.rules import generic

    doc = Selector(text=decode_html(body)[0]).root
    for fragment in ("2025", "年", "的", "a", ":"):
        expected = [
            (str(node), node.is_text, node.getparent())
            for node in doc.xpath("//body//text()[contains(., $f)]", f=fragment)
            if node.getparent() is not None
        ]
        found = [(str(text), is_text, el) for text, is_text, el in generic._body_texts_containing(doc, fragment)]
        assert found == expected, fragment


def test_selector_from_utf8_bytes_is_the_tree_scrapy_builds():
    bodies = [page.read_bytes() for page in PAGES] + [
        b"  <html><body><p>a\x00b</p></body></html>",
        "\ufeff<html><body><p>中文</p></body></html>".encode(),
        b"<html><body><p>\xe4\xb8 broken</p></body></html>",
        "<p>全角空格</p>\u3000".encode(),
        b"plain text",
        b"",
    ]
    for body in bodies:
        ours = HtmlResponse(url="http://example.com/a", body=body, encoding="utf-8")
        scrapy_own = HtmlResponse(url="http://example.com/a", body=body, encoding="utf-8")
        assert etree.tostring(response_selector(ours).root) == etree.tostring(scrapy_own.selector.root)
        assert ours.selector is response_selector(ours)


def test_absolute_url_shortcut_agrees_with_urljoin():
    bases = ["http://a.com/x/y.html", "HTTP://A.com:80/x?q#f", "http://u:p@a.com/x", "http://[::1]:8/x",
             "https://b.cn:bad/x", "file:///tmp/a.html", "http://[::1/x", "ftp://a/x", "http://münchen.de/x"]  # fmt: skip
    rng = random.Random(5)
    chars = "/.a?#:;%\\ \t\n@[]\u3000\x01中"
    starts = ["/", "", " /", "//", "http://", "https://", "http://a.com", "https://[::1]:8", "http://x:99999"]
    for _ in range(50_000):
        href = rng.choice(starts) + "".join(rng.choice(chars) for _ in range(rng.randint(0, 8)))
        base = rng.choice(bases)
        stripped = href.strip()
        expected = None if not stripped or stripped.startswith("#") else _joined(base, stripped)
        assert absolute_url(base, href) == expected, (base, href)


def test_date_pattern_shortcuts_agree_with_the_pattern():
    from crawler.rules.bylines import DATE_SHAPE, date_shape, without_date_shapes

    rng = random.Random(13)
    pieces = ["2025", "-", "03", "/", "31", "年", "月", "日", " ", "13:17", "3", "小时前", "分钟", "昨天", "前天", "今天", "刚刚",
              "剛剛", "发布", "新闻", "a", "9/17/2004", "03-31 08:30", "\n", "１２"]  # fmt: skip
    for _ in range(20_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
        expected = DATE_SHAPE.search(text)
        found = date_shape(text)
        assert (found and found.span()) == (expected and expected.span()), text
        assert without_date_shapes(text) == DATE_SHAPE.sub("", text), text


def test_lines_without_byline_characters_give_no_author_candidate():
    from crawler.rules import bylines

    rng = random.Random(17)
    pieces = ["作者", "撰文", "执笔人", "發文機關", "文/", " by ", "By ", "本帖由", "由", "记者", "通訊員", "特派员", "實習生",
              "（", "(", "[", "]", "）", "责任编辑", "編輯", "主编", "张三", "李四", "Tom", " ", ":", "：", "丨", "|", "/",
              "2025", "来源", "新华社", "摄", "报道", "、", "，", "和", "与", "_", "&", "-", "电", "记", "者"]  # fmt: skip
    checked = 0
    for _ in range(50_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
        if bylines._BYLINE_CHARS.search(text):
            continue
        checked += 1
        following = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 3)))
        assert bylines._author_candidates(text, following, True) == [], text
        assert bylines._author_candidates(text, following, False) == [], text
    assert checked > 5_000


def test_clean_text_shortcut_agrees_with_the_substitutions():
    space = re.compile(r"\s+")

    def slow(value):
        if "&" in value:
            value = __import__("html").unescape(value)
        return space.sub(" ", _INVISIBLE.sub("", value)).strip()

    # str.split() and \s split at the same characters (U+3000 and NBSP among them).
    assert [c for c in range(0x110000) if chr(c).isspace() != bool(space.match(chr(c)))] == []

    # The shortcut leaves printable text alone: no character either substitution acts on may be printable.
    acted_on = [chr(c) for c in range(0x110000) if (chr(c).isspace() and c != 0x20) or _INVISIBLE.match(chr(c))]
    assert not [c for c in acted_on if c.isprintable()]
    rng = random.Random(11)
    chars = [chr(c) for c in range(0x100)] + acted_on + ["中", "&amp;", "&#8203;", "  ", "a b"]
    for _ in range(50_000):
        value = "".join(rng.choice(chars) for _ in range(rng.randint(1, 6)))
        assert clean_text(value) == slow(value), repr(value)


def test_fast_parser_builds_the_same_tree_and_element_classes():
    for page in PAGES:
        body = page.read_bytes()
        slow = etree.fromstring(body, parser=lxml_html.HTMLParser(recover=True, encoding="utf-8"))
        fast = etree.fromstring(body, parser=FastHTMLParser(recover=True, encoding="utf-8"))
        assert etree.tostring(slow) == etree.tostring(fast)
        assert [type(e) for e in slow.iter()] == [type(e) for e in fast.iter()]


def test_released_response_parses_again_with_the_same_answers():
    body = (ROOT / "fixtures" / "pages" / "tftnews" / "seed.html").read_bytes()
    response = HtmlResponse(url="https://www.tftnews.com/news/1000.html", body=body, encoding="utf-8")
    before = response_select(response, ".related a.related-link::attr(href)")
    release(response)
    assert cached_selector(response) is None
    assert (
        response_select(response, ".related a.related-link::attr(href)")
        == before
        == response.css(".related a.related-link::attr(href)").getall()
    )


# --- validation ------------------------------------------------------------------------------


_VALUES = [None, "", " ", "a", "a  b", "a\n", "\nb", "x\ty", 1, True, 1.5, [], {}, "http://x", "http://x y", "2025-03-31",
           "2025-03-31T13:17:35+08:00", "2025-03-31\n", "hans", "tw", "0" * 64, "\u3000a", "a\u3000", ["a"], [""], ["a", None],
           [{"url": "http://x", "alt": None, "caption": None}], [{"url": "http://x", "title": "t", "summary": None, "date": None}],
           [{"url": "http://x", "alt": None}]]  # fmt: skip


def test_fast_check_agrees_with_jsonschema():
    slow, fast = RecordValidator(), RecordValidator(fast=True)
    rng = random.Random(7)
    base = make_record()
    assert fast.problem(base) is None
    for _ in range(3000):
        record = copy.deepcopy(base)
        for _ in range(rng.choice([1, 1, 2])):
            key = rng.choice(list(record))
            roll = rng.random()
            if roll < 0.6:
                record[key] = rng.choice(_VALUES)
            elif roll < 0.65:
                record.pop(key, None)
            elif roll < 0.7:
                record["extra"] = 1
            elif roll < 0.85 and isinstance(record.get("images"), list) and record["images"]:
                image = record["images"][0]
                if isinstance(image, dict):
                    image[rng.choice(["url", "alt", "caption", "x"])] = rng.choice(_VALUES)
            elif isinstance(record.get("related_links"), list) and record["related_links"]:
                link = record["related_links"][0]
                if isinstance(link, dict):
                    link[rng.choice(["url", "title", "summary", "date", "x"])] = rng.choice(_VALUES)
            else:
                record["script"] = rng.choice(
                    [{"detected": "x", "target": None}, {"detected": "hans"}, {"detected": "none", "target": True}]
                )
        assert fast.problem(record) == slow.problem(record)


def test_fast_check_steps_aside_for_another_schema():
    schema = copy.deepcopy(article_schema())
    assert FastCheck(schema).usable
    schema["properties"]["title"] = {"type": "string", "maxLength": 5}
    assert not FastCheck(schema).usable


# --- script detection ------------------------------------------------------------------------


def _detect_without_memory(detector: ScriptDetector, texts: list[str]) -> str:
    """The detection as it was before characters were remembered."""
    chars = sorted({c for text in texts for c in text if is_cjk(c)})
    if not chars:
        return "none"
    traditional = detector.changed(detector._t2s, chars)
    simplified = detector.changed(detector._s2t, chars)
    total = traditional + simplified
    if total < 5:
        return "none"
    if min(traditional, simplified) >= 0.2 * total:
        return "mixed"
    return "hant" if traditional > simplified else "hans"


def test_remembered_characters_give_the_same_detection():
    detector = ScriptDetector()
    texts = [decode_html(page.read_bytes())[0] for page in PAGES]
    samples = [[t] for t in texts] + [[a[:3000], b[-3000:]] for a, b in zip(texts, reversed(texts), strict=True)]
    samples += [["简体中文的句子，没有繁體"], ["abc 123"], [""], ["門門門"], ["龍龙鳥鸟書书車车"]]
    for texts_of_record in samples * 2:  # the second time every character is remembered
        assert detector.detect(texts_of_record) == _detect_without_memory(detector, texts_of_record)


# --- the benchmark portal --------------------------------------------------------------------


def test_bench_portal_pages_are_realistic_and_deterministic():
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from portal import FIRST_ID, Portal
    finally:
        sys.path.remove(str(ROOT / "bench"))
    portal = Portal(60)
    sizes, links = [], []
    for i in range(FIRST_ID, FIRST_ID + 60):
        status, _, body = portal.response(f"/news/{i}.html")
        assert status == 200
        sizes.append(len(body))
        links.append(len(lxml_html.fromstring(body).xpath("//a")))
    assert 40_000 <= sum(sizes) / len(sizes) <= 50_000
    assert min(links) >= 230 and max(links) <= 270
    assert Portal(60).response(f"/news/{FIRST_ID + 7}.html") == portal.response(f"/news/{FIRST_ID + 7}.html")
    listed = {u for u in portal.urls() if u.startswith("/news/")}
    assert listed == {f"/news/{i}.html" for i in range(FIRST_ID, FIRST_ID + 60)}
    assert portal.response("/news/1.html")[0] == 404


@pytest.mark.parametrize("target", ["hans", "hant", "tw", "hk"])
def test_one_call_for_all_lines_converts_as_one_call_each(target):
    from crawler.extraction.html import lines
    from pipelines.script import ScriptConverter

    converter = ScriptConverter(target)
    texts: list[str | None] = [None, "", "a\nb"]
    for page in PAGES:
        texts += lines(lxml_html.fromstring(decode_html(page.read_bytes())[0]))
    assert converter.convert_all(texts) == [converter.convert(text) for text in texts]


def test_decoration_words_on_lowered_ascii_agree_with_the_case_insensitive_pattern():
    from crawler.rules import generic

    rng = random.Random(5)
    words = ["logo", "LoGo", "ICON", "Share", "face/", "FACE/", "btn", "ſhare", "\u212aink", "qrcOde", "x", "/", "-", "图"]
    for _ in range(20_000):
        text = "".join(rng.choice(words) for _ in range(rng.randint(0, 4)))
        assert generic._decorative(text) == bool(generic._DECORATION.search(text)), text


def test_remembered_loader_processors_are_what_itemloaders_looks_up():
    from itemloaders import ItemLoader as PlainLoader
    from itemloaders.processors import Identity

    from crawler.extraction.items import FIELDS, ArticleItem
    from crawler.extraction.loaders import ArticleLoader

    class OtherLoader(ArticleLoader):
        title_in = Identity()

    for cls in (ArticleLoader, OtherLoader, ArticleLoader):
        loader = cls(item=ArticleItem())
        for field in FIELDS:
            assert loader.get_input_processor(field) is PlainLoader.get_input_processor(loader, field), field
            assert loader.get_output_processor(field) is PlainLoader.get_output_processor(loader, field), field
    assert OtherLoader(item=ArticleItem()).get_input_processor("title") is OtherLoader.title_in
    assert ArticleLoader(item=ArticleItem()).get_input_processor("title") is ArticleLoader.title_in


def test_a_title_inside_the_body_is_no_text():
    # Never rendered: broken pages (and the cwced corpus's saved ones) put <title> in <body>.
    root = lxml_html.fromstring("<html><body><title>页面标题</title><h1>标题</h1><p>正文第一段。</p></body></html>")
    assert lines(root) == ["标题", "正文第一段。"]
