"""Heuristics that find an article's fields on a portal nobody wrote rules for.

The body is found by a content-block scorer in the CETD/GNE family: paragraphs score by their
text and punctuation, scores flow up to their containers, and a container's score is discounted
by its link density; navigation, comment, related and footer blocks are excluded up front.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from functools import lru_cache
from itertools import islice
from urllib.parse import urlsplit

from lxml import etree
from parsel import Selector

from crawler.extraction.dates import parse_date, parse_time
from crawler.extraction.embedded import ARTICLE_TYPES
from crawler.extraction.html import BLOCK_TAGS, SKIP_TAGS, absolute_url, lines, text_content, text_of
from crawler.extraction.loaders import strip_generic_suffix
from crawler.extraction.text import clean_optional, clean_text
from crawler.rules import bylines, times
from crawler.rules.bylines import date_shape, without_date_shapes

# class/id words (whole tokens of a class or id, split at -, _, spaces and camelCase) of blocks
# that are never the article. Whole tokens, because substrings lie: "nav" is in "u-has-nav-bar" on
# a <body>, "hot" in "photo", "ad" in "head".
# Comment threads are pruned whatever their size: a long thread under a short post is still not
# the article (the size exception is for sites that wrap the whole page in a breadcrumb div).
_COMMENT_TOKENS = frozenset(["comment", "comments", "commentlist", "commentform", "cmt", "reply", "replies", "respond"])
_NEGATIVE_TOKENS = _COMMENT_TOKENS | frozenset(
    [
        "footer",
        "foot",
        "copyright",
        "copy",
        "nav",
        "navbar",
        "navigation",
        "menu",
        "sidebar",
        "side",
        "aside",
        "share",
        "sharing",
        "social",
        "bshare",
        "jiathis",
        "related",
        "relate",
        "relates",
        "recommend",
        "recommended",
        "recommendation",
        "tuijian",
        "xiangguan",
        "xgyd",
        "xgxw",
        "hot",
        "hotnews",
        "rank",
        "ranking",
        "top10",
        "breadcrumb",
        "breadcrumbs",
        "crumb",
        "crumbs",
        "location",
        "position",
        "login",
        "signup",
        "register",
        "ad",
        "ads",
        "advert",
        "adv",
        "advertisement",
        "guanggao",
        "gg",
        "banner",
        "popup",
        "modal",
        "toolbar",
        "pagination",
        "pager",
        "paging",
        "tags",
        "tag",
        "keywords",
        "keyword",
        "qrcode",
        "erweima",
        "ewm",
        "download",
        "subscribe",
        "widget",
        "more",
        "morelist",
        "list-more",
        "friendlink",
        "links",
        # Wikipedia-style boxes and edit links around an encyclopedia article.
        "navbox",
        "infobox",
        "editsection",
        "reflist",
    ]
)
_TOKEN_SPLIT = re.compile(r"[\s_\-:.]+|(?<=[a-z])(?=[A-Z])")
# class/id words of blocks that usually are the article.
_POSITIVE = re.compile(r"article|content|post|entry|main|text|body|detail|zhengwen|news_txt|cont\b|con\b", re.I)
_BOILERPLATE_TAGS = frozenset({"nav", "footer", "aside", "menu"})
# Never boilerplate, whatever their classes say (ASP.NET wraps whole pages in a <form>).
_NEVER_BOILERPLATE = frozenset({"html", "body", "main", "article", "form"})
_PUNCT = re.compile(r"[，。！？；：、,.!?;:“”「」（）]")
# Runs of what is neither a Han character nor a letter or digit.
_NOT_CJK_OR_WORD = re.compile(r"[^\u4e00-\u9fff\u3400-\u4dbfA-Za-z0-9]+")


def _count_cjk_or_word(text: str) -> int:
    """Han characters, letters and digits in ``text``, counted without a string per character."""
    return len(_NOT_CJK_OR_WORD.sub("", text))


RELATED_HEADINGS = re.compile(
    r"^(?:推荐阅读|推薦閱讀|相关阅读|相關閱讀|相关新闻|相關新聞|相关文章|相關文章|延伸阅读|延伸閱讀|热门推荐|熱門推薦|"
    r"猜你喜欢|猜你喜歡|相关推荐|相關推薦|更多阅读|更多閱讀|推荐文章|推薦文章|相关报道|相關報導|热点推荐|熱點推薦|你可能感兴趣|"
    r"为你推荐|為你推薦|精彩推荐|精彩推薦|热门文章|熱門文章|相关链接|相關鏈接)"
)
_HEADING_CHARS = re.compile("[推相延热熱猜更你为為精&]")
BREADCRUMB_LABEL = re.compile(r"^(?:当前位置|當前位置|您的位置|你的位置|您现在的位置|所在位置|位置)\s*[:：]?\s*")
_BOILERPLATE_LINE = re.compile(
    r"^[【\[（(]?\s*(?:\(?责任编辑|（责任编辑|責任編輯|编辑[:：]|編輯[:：]|责编|来源[:：]|來源[:：]|原标题|原標題|"
    r"版权|版權|copyright|©|本文(?:来源|转载|來源|发表于|發表於)|声明[:：]|聲明[:：]|免责声明|免責聲明|分享到|扫一扫|掃一掃|"
    r"点击(?:进入|查看|关注)|返回(?:搜狐|首页)|打印本页|关闭窗口|【纠错】|上一篇|下一篇|上一頁|下一頁|上一页|下一页)",
    re.I,
)
_NEXT_PAGE = re.compile(r"^\s*(?:下一页|下一頁|下页|下頁|后一页|next\s*page|›|»)\s*$", re.I)
_CAPTION_LINE = re.compile(
    r"^(?:图为|圖為|图片来源|圖片來源|图[:：]|圖[:：]|▲)|(?:供图|供圖|摄|攝|资料照|資料照|资料图|資料圖|网络图|網絡圖|图片|圖片)[)）]?。?$"
)


def _document(sel: Selector) -> etree._Element | None:
    """The root element of the document ``sel`` belongs to (what an absolute ``//`` XPath searches)."""
    root = sel.root
    return root.getroottree().getroot() if isinstance(root, etree._Element) else None


def _text_nodes(el: etree._Element) -> list[str]:
    """``el.xpath("text()")``: its own text and its children's tails, in order."""
    found = [el.text] if el.text is not None else []
    found.extend(child.tail for child in el if child.tail is not None)
    return found


def _first_attr(elements: Iterable[etree._Element], attr: str, **equal: str) -> str | None:
    """``(//tag[@k='v' or …]/@attr)[1]``: ``attr`` of the first element with any ``k == v``."""
    for el in elements:
        if any(el.get(key.replace("_", "-")) == value for key, value in equal.items()):
            value = el.get(attr)
            if value is not None:
                return value
    return None


# Elements that have one of these attributes: XPath tests their presence in C, cheaply; the
# contains() tests that follow are done in Python on the few found (XPath's string functions cost).
# The attributes themselves, tested in C: far fewer than the elements that carry a class or id.
_SOURCE_ATTRS = etree.XPath(
    "//body//*/@class[contains(., 'source') or contains(., 'laiyuan')] | //body//*/@id[contains(., 'source')]"
)


def _source_named_elements(doc: etree._Element) -> list[etree._Element]:
    """``//body//*`` whose class holds "source" or "laiyuan" or whose id holds "source", in
    document order."""
    found: dict[etree._Element, None] = {}
    for attr in _SOURCE_ATTRS(doc):
        found.setdefault(attr.getparent(), None)
    return list(found)


def _document_elements(doc: etree._Element) -> Iterator[etree._Element]:
    """Every element of the document in order, as ``//*`` finds them (a broken page can leave
    elements beside its root element)."""
    for top in [*reversed(list(doc.itersiblings(preceding=True))), doc, *doc.itersiblings()]:
        yield from top.iter(etree.Element)


def _with_crumb_attrs(doc: etree._Element) -> Iterator[etree._Element]:
    """``//*[@class or @id or @aria-label]``, lazily (a breadcrumb sits near the top)."""
    for el in _document_elements(doc):
        if el.get("class") is not None or el.get("id") is not None or el.get("aria-label") is not None:
            yield el


def _attr_words(el: etree._Element) -> str:
    return f"{el.get('class', '')} {el.get('id', '')}"


@lru_cache(maxsize=4096)
def _words_tokens(classes: str, id_: str) -> frozenset[str]:
    # Pages repeat a few class names on many elements: each pair is tokenized once.
    return frozenset(t.lower() for t in _TOKEN_SPLIT.split(f"{classes} {id_}") if t)


def is_boilerplate(el: etree._Element) -> bool:
    """True for navigation, comments, related lists, ads, footers and the like."""
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag in _BOILERPLATE_TAGS:
        return True
    if tag in _NEVER_BOILERPLATE:
        return False
    return _boilerplate_words(el.get("class", ""), el.get("id", ""))


@lru_cache(maxsize=4096)
def _boilerplate_words(classes: str, id_: str) -> bool:
    return bool(_words_tokens(classes, id_) & _NEGATIVE_TOKENS) and not _POSITIVE.search(id_)


def _is_comments(el: etree._Element) -> bool:
    """True for a comment thread or form, by its class or id words."""
    return bool(_words_tokens(el.get("class", ""), el.get("id", "")) & _COMMENT_TOKENS)


def _link_chars(el: etree._Element, cache: dict[etree._Element, int] | None = None) -> int:
    """Characters of link text under ``el``; ``cache`` keeps each link's count for the next block."""
    if cache is None:
        return sum(len(clean_text(text_content(a))) for a in el.iter("a"))
    return sum(_link_count(a, cache) for a in el.iter("a"))


def _link_count(a: etree._Element, cache: dict[etree._Element, int]) -> int:
    count = cache.get(a)
    if count is None:
        count = cache[a] = len(clean_text(text_content(a)))
    return count


def _measures(blocks: Iterable[etree._Element], links: dict[etree._Element, int]) -> dict[etree._Element, tuple[int, int]]:
    """For each of ``blocks``: ``_count_cjk_or_word(el.text_content())`` and ``_link_chars(el,
    links)``, reading each text and each link once.

    Scored blocks nest (a paragraph's parent, its parent …), and the outer ones hold most of the
    page: a subtree with no block inside is measured in one piece, the others from their parts.
    """
    holders: set[etree._Element] = set()
    for el in blocks:
        if el not in holders:
            holders.add(el)
            for ancestor in el.iterancestors():
                if ancestor in holders:
                    break
                holders.add(ancestor)
    found: dict[etree._Element, tuple[int, int]] = {}
    # Post-order without recursion: (element, children done).
    for top in blocks:
        stack = [(top, False)]
        while stack:
            el, done = stack.pop()
            if el in found:
                continue
            if not done:
                stack.append((el, True))
                stack.extend((child, False) for child in el if child in holders and child not in found)
                continue
            chars = _count_cjk_or_word(el.text) if el.text else 0
            linked = _link_count(el, links) if el.tag == "a" else 0
            for child in el:
                if child in holders:
                    child_chars, child_linked = found[child]
                    chars += child_chars
                    linked += child_linked
                elif isinstance(child.tag, str):  # an element (comments' and PIs' own text is no text)
                    chars += _count_cjk_or_word(text_content(child))
                    linked += _link_chars(child, links)
                if child.tail:
                    chars += _count_cjk_or_word(child.tail)
            found[el] = (chars, linked)
    return found


def find_content(sel: Selector, listing_ok: bool = False) -> tuple[etree._Element | None, set[etree._Element]]:
    """The element holding the article text, and the elements inside it to leave out.

    A best block that reads as a list of links gives None, unless ``listing_ok`` (the page says
    it is an article: an article that is mostly links still has to give a record)."""
    root = sel.root
    if not isinstance(root, etree._Element):
        return None, set()
    excluded: set[etree._Element] = set()
    scores: dict[etree._Element, float] = {}
    _score_tree(root, scores, excluded)
    final: dict[etree._Element, float] = {}
    # Blocks nest: each link's text is measured once, not once per enclosing block.
    links: dict[etree._Element, int] = {}
    measures = _measures(scores, links)
    for el, score in scores.items():
        text_len, link_chars = measures[el]
        if not text_len:
            continue
        density = min(1.0, link_chars / text_len)
        score *= 1 - density
        if _POSITIVE.search(_attr_words(el)):
            score *= 1.2
        final[el] = score
    if not final:
        return None, excluded
    best = max(final, key=final.__getitem__)
    best = _first_of_kind(best, final)
    if not listing_ok and _is_listing(best, links):
        return None, excluded
    inner = {el for el in best.iter() if isinstance(el.tag, str) and el is not best and _is_noise_inside(el, links)}
    return best, excluded | inner


# Sentence punctuation of running text (a lead's), as against a byline's or a menu's separators.
_SENTENCE_PUNCT = re.compile(r"[，。！？；]")
_SENTENCE_END = re.compile(r"[。！？]")
_HEADING_TAGS_LEAD = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})


def _alone_in(block: etree._Element) -> etree._Element:
    """The outermost element that holds ``block`` and no other text (``<table><tr><td>`` around
    a layout table's cell): what the block's neighbours are the siblings of."""
    while True:
        parent = block.getparent()
        if parent is None or parent.tag in ("body", "html") or (parent.text or "").strip():
            return block
        for child in parent:
            if child is not block and (
                (child.tail or "").strip()
                or (isinstance(child.tag, str) and child.tag not in SKIP_TAGS and text_content(child).strip())
            ):
                return block
        if (block.tail or "").strip():
            return block
        block = parent


# Class or id words of a headline's 引题 (above it) or 副题 (below it); whole tokens, or pairs of them.
_DECK_TOKENS = frozenset({"subtitle", "subtitles", "subhead", "subheading", "deck", "pretitle", "introtitle"})
_DECK_PAIRS = (
    frozenset({"sub", "title"}),
    frozenset({"pre", "title"}),
    frozenset({"intro", "title"}),
    frozenset({"vice", "title"}),
)
# A line of a byline, a dateline or a toolbar, which sits by the headline too but is no deck.
_NOT_DECK = re.compile(
    r"来源|來源|作者|记者|記者|编辑|編輯|发布|發布|發佈|时间|時間|日期|浏览|瀏覽|点击|點擊|字号|字號|分享|评论|評論|打印|"
    r"播报|播報|语音|語音|朗读|朗讀|收听|收聽|收藏|关注|關注|订阅|訂閱"
)


def find_deck(sel: Selector, title: str | None) -> list[str]:
    """The headline's 引题 and 副题 (a newspaper's kicker and subtitle), which SPEC's article text and
    labelled corpora hold: lines printed inside the headline's element beside the headline (a
    table of three rows in an ``<h1>``), or a sibling of it marked ``subtitle``/``pretitle``.
    Short, no date, no byline or toolbar words, not a link. Issue 19, third round: two real pages
    of fold 3 lost such a line (one is read now; the other's ``<h1>`` holds a table, which the
    parser moves out of it); the rule names the convention, not their sites."""
    doc = _document(sel)
    if doc is None or not title:
        return []
    heading = title_element(sel, title)
    if heading is None or title not in (text_of(heading) or ""):
        return []  # title_element's last resort, the first h1, need not hold the headline
    found: list[str] = []
    before = [el for el in islice(heading.itersiblings(preceding=True), 2) if _marked_deck(el)]
    after = [el for el in islice(heading.itersiblings(), 2) if _marked_deck(el)]
    for el in reversed(before):
        found += lines(el)
    own = lines(heading)
    if len(own) > 1:
        # A headline broken over lines is no deck; a button's word in the heading is none either.
        found += [line for line in own if title not in line and line not in title and _count_cjk_or_word(line) >= 8]
    for el in after:
        found += lines(el)
    return [line for line in found if _deck_line(line, title)]


def _marked_deck(el: etree._Element) -> bool:
    if not isinstance(el.tag, str) or next(el.iter("a"), None) is not None:
        return False
    tokens = _words_tokens(el.get("class", ""), el.get("id", ""))
    return bool(tokens & _DECK_TOKENS) or any(pair <= tokens for pair in _DECK_PAIRS)


def _deck_line(line: str, title: str) -> bool:
    return (
        _count_cjk_or_word(line) >= 4
        and len(line) <= 80
        and line not in title
        and not date_shape(line)
        and not _NOT_DECK.search(line)
        and not RELATED_HEADINGS.match(line)
    )


def find_lead(content: etree._Element | None, excluded: set[etree._Element]) -> list[etree._Element]:
    """Paragraphs of running text just before the content block, beside it under one parent: a
    lead (导语, a standfirst) or an abstract that the page sets apart from the text.

    Features that hold across sites, not a site's class names: among the block's four nearest
    non-empty earlier siblings (up to the headline, a heading or a boilerplate block), those with
    40 counted characters or more, at most a fifth of them in links, and sentence punctuation (three
    marks or more, one of them a full stop); a byline, a date line, a menu or an embedded JSON
    has none of that. Found on folds 0–2 of ``bench/accuracy.py --folds 5`` (issue 19, second
    part): a news lead and a paper's abstract lost. See docs/accuracy.md.
    """
    if content is None:
        return []
    found: list[etree._Element] = []
    seen = 0
    for sibling in _alone_in(content).itersiblings(preceding=True):
        tag = sibling.tag if isinstance(sibling.tag, str) else ""
        if not tag or tag in SKIP_TAGS:
            continue
        if tag in _HEADING_TAGS_LEAD or sibling in excluded or is_boilerplate(sibling):
            break
        if any(isinstance(el.tag, str) and el.tag in _HEADING_TAGS_LEAD for el in sibling.iter()):
            break  # the headline's block: the lead comes after it
        text = clean_text(text_content(sibling))
        if not text:
            continue
        seen += 1
        if seen > 4:
            break
        if _reads_as_text(sibling, text):
            found.append(sibling)
    found.reverse()
    return found


def find_after(content: etree._Element | None, excluded: set[etree._Element]) -> list[etree._Element]:
    """Blocks right after the content block, beside it under one parent, that are still the
    article: a data table laid out apart from the text, or running text that continues it (the
    rest of an article that an ad, a player or a 展开全文 button splits off).

    Features that hold across sites, not a site's names. Among the block's four nearest non-empty
    later siblings, up to a heading, a boilerplate block (comments, related lists, footers by their
    class words) or a block that is neither: a grid (see :func:`_is_data_table`), or a block written
    like the content block (same tag and class) whose text reads as :func:`find_lead` reads a lead
    (40 counted characters or more, at most a fifth in links, sentence punctuation with a full
    stop): comments, notices and a site's promotion after an article read as text too, but are
    written otherwise. A short block between them (an ad's label, a button: under 20 counted
    characters, no heading, one link at most) is passed over. The table: folds 3–4 of ``bench/accuracy.py
    --folds 5`` (issue 19, second part); the running text: no fold, from made pages of split
    articles (issue 19, third part). See docs/accuracy.md.
    """
    if content is None:
        return []
    found: list[etree._Element] = []
    seen = 0
    block = _alone_in(content)
    for sibling in block.itersiblings():
        tag = sibling.tag if isinstance(sibling.tag, str) else ""
        if not tag or tag in SKIP_TAGS:
            continue
        text = clean_text(text_content(sibling))
        if not text:
            continue
        if tag in _HEADING_TAGS_LEAD:
            break
        seen += 1
        if seen > 4:
            break
        if (
            _count_cjk_or_word(text) < 20
            and _is_filler(sibling)
            and not _is_comments(sibling)
            and not _OPENS_ELSEWHERE.search(text)
        ):
            continue  # an ad's label, a button: passed over (not a comments' or a list's heading)
        if sibling in excluded or is_boilerplate(sibling):
            break
        if not (_is_data_table(sibling, text) or (_same_markup(sibling, block) and _reads_as_text(sibling, text))):
            break
        found.append(sibling)
    return found


# Words of a short heading that opens comments or another list, not the article's rest.
_OPENS_ELSEWHERE = re.compile(r"评论|評論|留言|跟帖|回复|回覆|推荐|推薦|相关|相關|阅读|閱讀|热门|熱門|排行|更多")


def _is_filler(block: etree._Element) -> bool:
    """True for a short block between two parts of a text (an ad's label, a 展开全文 button): no
    heading and at most one link, as against a related list's heading and links."""
    links = 0
    for el in block.iter():
        if isinstance(el.tag, str) and el.tag in _HEADING_TAGS_LEAD:
            return False
        links += el.tag == "a"
    return links <= 1


def _same_markup(a: etree._Element, b: etree._Element) -> bool:
    """True when two blocks are written alike (tag and a class): the parts of one split text are;
    a comment, a notice or a site's promotion after an article are not."""
    classes = (b.get("class") or "").split()
    # Blocks with no class at all are written alike by every old table layout: no evidence.
    return bool(classes) and a.tag == b.tag and (a.get("class") or "").split() == classes


def _reads_as_text(block: etree._Element, text: str) -> bool:
    """True for running text: 40 counted characters or more, at most a fifth of it in links, and
    sentence punctuation (three marks or more, one a full stop), which a byline, a date line, a
    menu or an embedded JSON has none of; and no heading inside (a section of its own)."""
    return (
        _count_cjk_or_word(text) >= 40
        and _link_chars(block) <= 0.2 * len(text)
        and len(_SENTENCE_PUNCT.findall(text)) >= 3
        and bool(_SENTENCE_END.search(text))
        and not any(isinstance(el.tag, str) and el.tag in _HEADING_TAGS_LEAD for el in block.iter())
    )


def _is_data_table(block: etree._Element, text: str) -> bool:
    """True for a table (or a block holding only one) that is a grid: three rows or more, most of
    them with two cells of text or more, 50 counted characters or more, at most a tenth of it in
    links (a footer's, a related list's or a menu's table is mostly links)."""
    table = block if block.tag == "table" else None
    if table is None and len(block) == 1 and block[0].tag == "table" and not (block.text or "").strip():
        table = block[0]
    if table is None or _count_cjk_or_word(text) < 50 or _link_chars(block) > 0.1 * len(text):
        return False
    rows = [row for row in table.iter("tr") if next(row.iterancestors("table")) is table]
    grid = [row for row in rows if sum(1 for cell in row if cell.tag in ("td", "th") and clean_text(text_content(cell))) >= 2]
    return len(rows) >= 3 and len(grid) >= 0.6 * len(rows)


_LIST_ROW = re.compile(r"(?:(?:19|20)\d{2}[-/.年]\d{1,2}[-/.月]\d{1,2}日?|\d{1,2}[-/]\d{1,2})(?:\s+\d{1,2}:\d{2})?\)?$")


def _is_listing(block: etree._Element, links: dict[etree._Element, int] | None = None) -> bool:
    """True for a list of links (a category or search page), which holds no article.

    Its text is mostly link text, or most of its rows are "headline … date" (a teaser's summary
    may come between them: then the row opens with its headline's link).
    """
    text = clean_text(block.text_content())
    if not text:
        return True
    link_share = _link_chars(block, links) / len(text)
    rows = [(row, el) for row, el in ((clean_text(el.text_content()), el) for el in block.iter("li", "tr", "dd")) if row]
    dated: list[str] = []
    teasers: list[str] = []  # dated rows that open with their headline's link
    for row, el in rows:
        if not _LIST_ROW.search(row):
            continue
        opens = _opens_with_link(el, row)
        if opens:
            teasers.append(row)
        if len(row) < 80 or opens:
            dated.append(row)
    if link_share > 0.6 or (len(rows) >= 5 and len(dated) >= 0.6 * len(rows)):
        return True
    # The last page of a category: a few teasers (headline link, summary, date), which are nearly
    # all of the block's text.
    return len(teasers) >= 2 and sum(map(len, teasers)) >= 0.7 * len(text)


def _opens_with_link(row: etree._Element, text: str) -> bool:
    """True when the row's text starts with the text of a link in it of four characters or more."""
    for a in row.iter("a"):
        headline = clean_text(a.text_content())
        if len(headline) >= 4 and text.startswith(headline):
            return True
    return False


def _first_of_kind(best: etree._Element, final: dict[etree._Element, float]) -> etree._Element:
    """On a page of several posts (a blog's front page, a forum thread), the first one.

    Posts are blocks of one kind (same tag and class, at the same depth) that each score as an
    article; paragraphs of one article score for their common parent instead.
    """
    kind = (best.tag, best.get("class"), len(list(best.iterancestors())))
    if not best.get("class"):
        return best
    peers = [
        el
        for el, score in final.items()
        if score >= max(20.0, 0.05 * final[best]) and (el.tag, el.get("class"), len(list(el.iterancestors()))) == kind
    ]
    if len(peers) < 2:
        return best
    order = {el: i for i, el in enumerate(best.getroottree().getroot().iter())}
    return min(peers, key=order.__getitem__)


def _score_tree(root: etree._Element, scores: dict, excluded: set[etree._Element]) -> None:
    # Iterative walk that prunes boilerplate subtrees (their text never scores), unless the
    # "boilerplate" holds most of the page: some sites wrap everything in a div.breadcrumb.
    page_chars = len(root.text_content())
    stack = [root]
    while stack:
        el = stack.pop()
        tag = el.tag if isinstance(el.tag, str) else ""
        if not tag or tag in SKIP_TAGS:
            continue
        if (
            el is not root
            and is_boilerplate(el)
            and (tag in _BOILERPLATE_TAGS or _is_comments(el) or len(el.text_content()) < 0.5 * page_chars)
        ):
            excluded.add(el)
            continue
        stack.extend(el)
        if tag in ("p", "pre", "blockquote") or (tag in ("div", "td", "section", "article", "span", "font") and _direct_text(el)):
            text = text_of(el) if tag in ("p", "pre", "blockquote") else clean_text(_direct_text(el))
            chars = _count_cjk_or_word(text)
            if chars < 8:
                continue
            weight = 1 + len(_PUNCT.findall(text)) + min(chars / 50, 4)
            holder = el if tag not in ("p", "pre", "blockquote") else el.getparent()
            share = 1.0
            while holder is not None and share > 0.2:
                scores[holder] = scores.get(holder, 0.0) + weight * share
                holder = holder.getparent()
                share /= 2


def _direct_text(el: etree._Element) -> str:
    """Text that sits directly in ``el`` or its inline children (text broken by <br>)."""
    parts = [el.text or ""]
    for child in el:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag and tag not in BLOCK_TAGS and tag not in SKIP_TAGS and tag != "a":
            parts.append(text_content(child))
        parts.append(child.tail or "")
    text = "".join(parts)
    return text if len(text.strip()) >= 20 else ""


def _is_noise_inside(el: etree._Element, links: dict[etree._Element, int] | None = None) -> bool:
    if is_boilerplate(el):
        return True
    if el.tag == "form":
        # A form is never boilerplate on its own (ASP.NET pages wrap the whole page in one), but
        # one inside the article's block is a comment or contact form, not its text.
        return _boilerplate_words(el.get("class", ""), el.get("id", "")) or next(el.iter("textarea"), None) is not None
    if el.tag in ("ul", "ol", "table", "div") and len(el):
        text = clean_text(el.text_content())
        if len(text) >= 10 and _link_chars(el, links) / max(1, len(text)) > 0.6:
            return True
    return False


# A line that is a button's label and nothing else.
_ACTION_LINE = re.compile(
    r"^(?:发表评论|發表評論|我要评论|我要評論|查看评论|查看評論|网友评论|網友評論|评论|評論|打印|列印|收藏|关闭|關閉|"
    r"(?:发表|發表|查看)?(?:评论|評論)\s*[(（]\s*\d+\s*[)）])$"
)


def drop_boilerplate_lines(paragraphs: Iterable[str], title: str | None = None) -> list[str]:
    """Leave out editor, copyright, share and pager lines, and everything from a related heading on
    (a related block inside the text: its heading and links only); before the text, the headline
    again and a short dateline (``2005-04-27 14:32更新 来源：…``)."""
    lines = list(paragraphs)
    # Characters in text lines from each line on, for the related headings' look ahead.
    text_after = [0] * (len(lines) + 1)
    text_count = [0] * (len(lines) + 1)
    for i in range(len(lines) - 1, -1, -1):
        long = len(lines[i]) >= _TEXT_LINE
        text_after[i] = text_after[i + 1] + (len(lines[i]) if long else 0)
        text_count[i] = text_count[i + 1] + long
    kept: list[str] = []
    kept_chars = 0
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if RELATED_HEADINGS.match(line) and not _reads_on(line):
            # 延伸阅读 in the middle of an article: its links, then more text than came before it,
            # mostly in text lines (teasers after a heading alternate a title with a summary).
            resume = i
            while resume < len(lines) and len(lines[resume]) < _TEXT_LINE:
                resume += 1
            rest = len(lines) - resume
            text_lines = text_count[resume]
            if text_after[resume] <= kept_chars or rest < 5 or text_lines <= 0.6 * rest:
                break
            i = resume
            continue
        if (_BOILERPLATE_LINE.match(line) and not _about_rights(line)) or _NEXT_PAGE.match(line) or _ACTION_LINE.match(line):
            continue
        if not kept and (line == title or _is_dateline(line)):
            continue
        if _CAPTION_LINE.search(line) and len(line) < 80:
            continue
        kept.append(line)
        kept_chars += len(line)
    return kept


def _reads_on(line: str) -> bool:
    """True for a sentence that opens with a related heading's words ("为你推荐几条小众线路：…。"),
    not the heading: longer, no colon or separator right after the words, and a full stop."""
    found = RELATED_HEADINGS.match(line)
    rest = line[found.end() :] if found else line
    return len(line) > 20 and not re.match(r"\s*[:：|｜>》\]】]", rest) and bool(_SENTENCE_END.search(rest))


_RIGHTS_OPENING = re.compile(r"^[【\[（(]?\s*(?:版权|版權|copyright)", re.I)
_RIGHTS_NOTICE = re.compile(r"所有|声明|聲明|保留|转载|轉載|授权|授權|侵权|侵權|reserved|©", re.I)


def _about_rights(line: str) -> bool:
    """True for a paragraph of an article about copyright that opens with the word (版权保护是…),
    not a copyright notice: long, and naming no owner, reservation, reprint or licence. Recall
    first (issue 19): such a paragraph was dropped whole."""
    return len(line) > 60 and bool(_RIGHTS_OPENING.match(line)) and not _RIGHTS_NOTICE.search(line)


def _is_dateline(line: str) -> bool:
    """A short line that is a date and labels (``2005-04-27 14:32更新 来源：转载文章``), not a sentence
    that starts with one (``2025年3月27日，国务院总理…``)."""
    if len(line) > 60 or not date_shape(line):
        return False
    rest = without_date_shapes(line)
    return len(rest) <= 20 and not re.search(r"[，。！？；]", rest)


# A line this long is article text, not a related link's headline.
_TEXT_LINE = 40


# --- title ------------------------------------------------------------------------------------


def json_ld(sel: Selector) -> list[dict]:
    """Every object of the page's JSON-LD blocks (``@graph`` members too); broken blocks are skipped."""
    found = []
    doc = _document(sel)
    if doc is None:
        return found
    raws = [text for el in doc.iter("script") if el.get("type") == "application/ld+json" for text in _text_nodes(el)]
    for raw in raws:
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):  # RecursionError: arrays nested 100,000 deep
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            entry = stack.pop()
            if isinstance(entry, dict):
                found.append(entry)
                graph = entry.get("@graph")
                if isinstance(graph, list):
                    stack.extend(graph)
    return found


def find_title(sel: Selector, strip_suffix: bool = False) -> str | None:
    """JSON-LD headline, a heading that opens ``<title>`` or og:title, og:title, an h1 that matches
    ``<title>``, else ``<title>`` itself; with ``strip_suffix``, the site-name suffix of a headline
    read from those (not of a heading that opens them: its separators are the headline's own)."""
    doc = _document(sel)
    if doc is None:
        return None
    page_title = clean_text(next((text for el in doc.iter("title") for text in _text_nodes(el)), None))
    strip = strip_generic_suffix if strip_suffix else (lambda title: title)
    og = clean_optional(_first_attr(doc.iter("meta"), "content", property="og:title"))
    h1s = [text_of(h) for h in doc.iter("h1") if not _is_logo(h)]
    opening = _opening_heading(h1s, h1s, page_title, og) or _opening_heading(
        (text_of(h) for h in doc.iter("h2") if not _is_logo(h)), h1s, page_title, og, shortest=4
    )
    for entry in json_ld(sel):
        headline = clean_optional(entry.get("headline") if isinstance(entry.get("headline"), str) else None)
        # Unless the page's own title disagrees (Wikipedia's "headline" is the short description).
        if headline and (opening is None or headline in page_title or (og and headline in og)):
            return strip(headline)
    if opening:
        return opening
    for h1 in h1s:
        if h1 and len(h1) >= 4 and (h1 in page_title or (og and h1 in og)):
            return strip(h1)
    if og:
        return strip(og)
    for h1 in h1s:
        if h1 and len(h1) >= 6:
            return strip(h1)
    return strip(page_title) or strip(_metadata_title(sel, doc) or "") or None


_HOME_PATHS = frozenset({"", "/", "/index.html", "/index.htm", "/index.shtml", "/index.php", "/default.htm", "/default.aspx"})


def _is_logo(heading: etree._Element) -> bool:
    """True for a heading that is a link to the site's home page and nothing else: the logo
    (``<h1><a href="/">示例网</a></h1>``), which opens a "site - headline" title but is no headline."""
    links = list(heading.iter("a"))
    if len(links) != 1 or text_of(links[0]) != text_of(heading):
        return False
    return urlsplit(links[0].get("href") or "").path in _HOME_PATHS


# Other metadata that names a page's title, for a page with no <title>, og:title or headline.
_TITLE_META = ("twitter:title", "title", "DC.title", "dc.title", "dcterms.title", "citation_title", "headline")


def _metadata_title(sel: Selector, doc: etree._Element) -> str | None:
    """The title that metadata other than ``<title>`` and og:title gives: twitter:title, a meta
    title (Dublin Core, scholarly, itemprop), or the ``name`` of JSON-LD's article (a fallback of
    issue 19 for an article page whose markup names none; no fold: no real page lacks a title)."""
    contents: dict[str, str] = {}
    for meta in doc.iter("meta"):
        content = clean_optional(meta.get("content"))
        if content:
            for key in ("name", "property", "itemprop"):
                value = meta.get(key)
                if value is not None and value not in contents:
                    contents[value] = content
    for name in _TITLE_META:
        if contents.get(name):
            return contents[name]
    for entry in json_ld(sel):
        types = entry.get("@type")
        types = types if isinstance(types, list) else [types]
        name = entry.get("name")
        if isinstance(name, str) and clean_text(name) and any(isinstance(t, str) and t in ARTICLE_TYPES for t in types):
            return clean_text(name)
    return None


def fallback_title(sel: Selector) -> str | None:
    """The last resort for a page whose markup names no headline the other readers accept: its first
    short ``<h1>``, else its first ``<h2>`` (issue 19; no fold: no real page lacks a title)."""
    doc = _document(sel)
    if doc is None:
        return None
    for tag in ("h1", "h2"):
        for heading in doc.iter(tag):
            text = text_of(heading)
            if text and len(text) <= 80:
                return text
    return None


# What follows the headline in a <title>: a separator before the site's or blog's name.
_AFTER_HEADLINE = re.compile(r"\s*(?:[-–—|｜_@·•]|::|：:)")


def _opening_heading(headings: Iterable[str], h1s: list[str], page_title: str, og: str | None, shortest: int = 2) -> str | None:
    """The first heading that the title starts with, followed by a separator: the headline (a page's
    other headings that the title holds are its site's or blog's name, "… :: 痞客邦 PIXNET ::").

    Not one that og:title leaves out, nor a short one (a site's name first, "凤凰网 - …") while a
    longer h1 is in the title too.
    """
    for heading in headings:
        if len(heading) < shortest or (og and heading not in og):
            continue
        if len(heading) < 4 and any(len(h1) >= 4 and h1 != heading and h1 in page_title for h1 in h1s):
            continue
        for title in (page_title, og):
            if title and len(title) > len(heading) and title.startswith(heading) and _AFTER_HEADLINE.match(title, len(heading)):
                return heading
    return None


# --- time, author, source ---------------------------------------------------------------------

# Metadata names of an article's publication time, best first; matched without regard to case
# (portals write PubDate, pubdate, publishDate …).
_TIME_META = (
    "article:published_time",
    "og:article:published_time",
    "og:published_time",
    "og:release_date",
    "datepublished",
    "pubdate",
    "publishdate",
    "publish_date",
    "publish-date",
    "publishtime",
    "publish_time",
    "pubtime",
    # Government sites' CMS (TRS, as on gov.cn): 2024-05-20-10:20:30.
    "firstpublishedtime",
    "publication_date",
    "bytedance:published_time",
    "parsely-pub-date",
    # Scholarly and Dublin Core metadata (journals, repositories, government document sites).
    "citation_publication_date",
    "citation_date",
    "citation_online_date",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date",
    "dc.date.created",
    "sailthru.date",
    "weibo: article:create_at",
    "og:time",
    "article:modified_time",
)


def find_time(
    sel: Selector,
    outline: list[bylines.Line],
    title: str | None,
    now: datetime | None = None,
    url: str | None = None,
    tz: str = "Asia/Shanghai",
) -> str | None:
    """The raw text of the article's time, decided between the metadata (a page's scripts'
    too), the visible lines, the address and htmldate (see :mod:`crawler.rules.times`)."""
    candidates = bylines.time_candidates(outline, title, now)
    fallback_line = None if candidates else bylines.find_time(outline, title, now)

    def htmldate() -> date | None:
        found = times.htmldate_day(_document(sel), url, now or datetime.now(UTC))
        return None if found and _only_foreign_day(outline, found, now) else found

    meta = _meta_time(sel)
    script = None
    if meta is None and not (candidates and candidates[0][0] >= bylines.STRONG_TIME):
        # Read only when the page's own evidence is weak: each costs a walk of the whole page.
        script = _microdata_time(_document(sel)) or times.script_time(_document(sel))
    found = times.decide(meta, candidates, fallback_line, url, htmldate, now, tz, script)
    if found and (found == fallback_line or any(found == text for _, text in candidates)):
        return _time_element_text(sel, found)
    return found


def _only_foreign_day(outline: list[bylines.Line], day: date, now: datetime | None) -> bool:
    """True when ``day`` is shown on the page only in comment, related-list, widget or linked
    lines: htmldate reads ``<span class="date">`` wherever it is, a related item's too."""
    foreign = False
    for line in outline:
        if len(line.text) > 300 or not date_shape(line.text):
            continue
        moment = parse_time(line.text, now=now, fallback=False)
        if moment is None or moment.date() != day:
            continue
        if not (line.foreign or line.linked):
            return False
        foreign = True
    return foreign


_DATE_PUBLISHED = etree.XPath("//body//*[@itemprop='datePublished']")


def _microdata_time(doc: etree._Element | None) -> str | None:
    """The time of a shown element marked as the publication's by microdata,
    ``<span itemprop="datePublished" content="…">2024年5月20日</span>``: not inside a comment, a
    related list or another boilerplate block, nor in an item that is no article (a Comment's)."""
    for el in _DATE_PUBLISHED(doc) if doc is not None else ():
        scope = next((a for a in el.iterancestors() if a.get("itemscope") is not None), None)
        itemtype = (scope.get("itemtype") or "") if scope is not None else ""
        if itemtype and not any(itemtype.rstrip("/").endswith("/" + kind) for kind in ARTICLE_TYPES):
            continue
        if any(is_boilerplate(a) or _is_comments(a) for a in el.iterancestors()):
            continue
        value = el.get("content") or el.get("datetime") or text_of(el)
        if value and parse_time(value, fallback=False):
            return value.strip()
    return None


def _time_element_text(sel: Selector, line: str) -> str:
    """The text of the smallest element on the line that shows the time (``<span>发布于 3小时前</span>``
    rather than the whole meta line with author, source and view count)."""
    match = date_shape(line)
    root = sel.root
    if not match or not isinstance(root, etree._Element):
        return line
    fragment = match.group(0)
    for node, is_text, parent in _body_texts_containing(root.getroottree().getroot(), fragment):
        text = text_of(parent) if is_text else clean_text(node)
        if fragment in text and text in line:
            return text if len(text) <= 80 else line
    return line


def _body_texts_containing(doc: etree._Element, fragment: str) -> Iterator[tuple[str, bool, etree._Element]]:
    """``//body//text()[contains(., $fragment)]`` as (text, is it an element's own text, that
    element), in document order, read lazily: the search stops at the first good one."""
    bodies = list(doc.iter("body"))
    if len(bodies) != 1 or doc.getnext() is not None or doc.getprevious() is not None:
        for node in doc.xpath("//body//text()[contains(., $f)]", f=fragment):
            if node.getparent() is not None:
                yield node, node.is_text, node.getparent()
        return
    body = bodies[0]
    # An element's text comes when it is entered, its tail when it is left.
    for event, el in etree.iterwalk(body, events=("start", "end", "comment", "pi")):
        if event == "start":
            if el.text and fragment in el.text:
                yield el.text, True, el
        elif el is not body and el.tail and fragment in el.tail:  # "end", or a comment's or PI's tail
            yield el.tail, False, el


def _meta_time(sel: Selector) -> str | None:
    for entry in json_ld(sel):
        value = entry.get("datePublished") or entry.get("dateCreated")
        if isinstance(value, str) and parse_time(value, fallback=False):
            return value.strip()
    doc = _document(sel)
    if doc is None:
        return None
    # What _first_attr(metas, "content", property=name, name=name, itemprop=name) gives for each
    # name, read in one pass over the page's meta elements rather than one pass per name.
    contents: dict[str, str] = {}
    for meta in doc.iter("meta"):
        content = meta.get("content")
        if content is not None:
            for key in ("property", "name", "itemprop"):
                value = meta.get(key)
                if value is not None and value.strip().lower() not in contents:
                    contents[value.strip().lower()] = content
    for name in _TIME_META:
        value = contents.get(name)
        if value and parse_time(value, fallback=False):
            return value.strip()
    value = next((v for v in (el.get("datetime") for el in doc.iter("time")) if v is not None), None)
    if value and parse_time(value, fallback=False):
        return value.strip()
    return None


def title_element(sel: Selector, title: str | None) -> etree._Element | None:
    """The element showing the headline: an h1 that holds it, else the first h1/h2 equal to it."""
    doc = _document(sel)
    if doc is None:
        return None
    for h in doc.iter("h1", "h2"):
        text = text_of(h)
        if text and title and (text == title or title in text):
            return h
    return next(doc.iter("h1"), None)


def find_author(sel: Selector, outline: list[bylines.Line], title: str | None) -> str | None:
    """A byline near the headline or at the end of the text, else JSON-LD or meta author."""
    found = bylines.find_author(outline, title)
    if found:
        return found
    source = bylines.find_source(outline, title)
    if source and bylines.looks_like_person(source):
        return source  # "来源：尹娟": a person given as the source is the author
    for entry in json_ld(sel):
        name = _json_ld_author(entry.get("author"))
        if name:
            return name
    doc = _document(sel)
    meta = clean_optional(
        _first_attr(doc.iter("meta"), "content", name="author", property="article:author") if doc is not None else None
    )
    if meta and _meta_author_ok(meta, doc):
        return meta
    return _marked_author(doc, title_element(sel, title)) if doc is not None else None


# Class or id words of the element that shows an article's author (<span class="author">张三</span>).
_AUTHOR_TOKENS = frozenset({"author", "authors", "byline", "writer", "reporter"})
_AUTHOR_LABEL = re.compile(r"^(?:作者|记者|記者|文|撰文|by)\s*[:：|｜/]?\s*", re.I)


def _marked_author(doc: etree._Element, headline: etree._Element | None) -> str | None:
    """The text of the first element marked as the author by its class, id or microdata
    (``itemprop="author"``) in the headline's part of the page (up to three levels above it),
    outside comments and related lists, when it reads as a person's name or a handle. Issue 19,
    third part: from made pages of modern portals, no fold."""
    if headline is None:
        return None
    region = headline
    for _ in range(3):
        parent = region.getparent()
        if parent is None or parent.tag in ("body", "html"):
            break
        region = parent

    def marked(el: etree._Element) -> bool:
        return isinstance(el.tag, str) and (
            el.get("itemprop") == "author" or bool(_words_tokens(el.get("class", ""), el.get("id", "")) & _AUTHOR_TOKENS)
        )

    for el in region.iter():
        if not marked(el) or el.tag in SKIP_TAGS or any(is_boilerplate(a) for a in el.iterancestors()):
            continue
        if any(marked(inner) for inner in el.iterdescendants()):
            continue  # an author box (name, follow button, avatar): its name is marked inside
        name = _AUTHOR_LABEL.sub("", text_of(el) or "").strip()
        if name and bylines.looks_like_person(name) and _meta_author_ok(name, doc):
            return name
    return None


_ORGANIZATIONS = frozenset({"Organization", "NewsMediaOrganization", "Corporation", "GovernmentOrganization"})


def _json_ld_author(author: object) -> str | None:
    """The names of JSON-LD's author (a name, a Person, or a list of them), organizations left out."""
    entries = author if isinstance(author, list) else [author]
    names = []
    for entry in entries[:10]:
        if isinstance(entry, dict):
            if entry.get("@type") in _ORGANIZATIONS:
                continue
            entry = entry.get("name")
        if isinstance(entry, str) and clean_text(entry) and clean_text(entry) not in names:
            names.append(clean_text(entry))
    return " ".join(names) or None


# A CMS's, a team's or an account's signature in meta author (Discuz! Team, sina_mobile, 105464).
_NOT_AN_AUTHOR = re.compile(
    r"discuz|powered|team|cms|wordpress|phpwind|dedecms|admin|webmaster|https?:|www\.|\.(?:com|cn|net)\b", re.I
)


def _meta_author_ok(name: str, doc: etree._Element | None) -> bool:
    """True for a meta author that names a person, a blogger or an account, not the site, its
    software or a number.

    Beyond a person's name or a handle, Han names pass too when they are no outlet's (…网, …报):
    a blog's "史蒂文的家_藍天 (stevenhgm)" (bench/accuracy.py, fold 1 of
    the first split: see docs/accuracy.md). The site's own name (og:site_name, the
    <title>'s suffix), CMS signatures, addresses and bare numbers (ids) never do.
    """
    if len(name) > 40 or name.isdigit() or _NOT_AN_AUTHOR.search(name):
        return False
    if doc is not None:
        site = _first_attr(doc.iter("meta"), "content", property="og:site_name") or ""
        title_el = next(doc.iter("title"), None)
        page_title = clean_text(text_content(title_el)) if title_el is not None else ""
        suffix = re.split(r"[-_|｜—–]", page_title)[-1] if page_title else ""
        if name in site or (suffix and name in suffix and not page_title.startswith(name)):
            return False
    if bylines.looks_like_person(name):
        return True
    return bool(re.search(r"[\u4e00-\u9fff]", name)) and not bylines.names_no_person(name)


def find_source(sel: Selector, outline: list[bylines.Line], title: str | None) -> str | None:
    """The originating outlet named on a 来源 line, else in metadata."""
    found = bylines.find_source(outline, title)
    if found:
        return found
    # An unlabelled outlet in an element named for it: <a class="source">人民日报</a>.
    doc = _document(sel)
    if doc is None:
        return None
    for el in _source_named_elements(doc):
        text = strip_source_label(text_of(el))
        if text and len(text) <= 20 and not date_shape(text):
            return text
    return clean_optional(_first_attr(doc.iter("meta"), "content", name="source"))


def strip_source_label(text: str) -> str:
    """``来源：新华网`` → ``新华网``."""
    return re.sub(r"^(?:来源|來源|稿源|出处|出處)\s*[:：]?\s*", "", text).strip()


# Hosts print times in their own zone; +08:00 unless the country domain says otherwise.
_ZONES_BY_TLD = {
    "tw": "Asia/Taipei", "hk": "Asia/Hong_Kong", "mo": "Asia/Macau", "sg": "Asia/Singapore", "my": "Asia/Kuala_Lumpur",
    "jp": "Asia/Tokyo", "kr": "Asia/Seoul", "fr": "Europe/Paris", "de": "Europe/Berlin", "uk": "Europe/London",
    "au": "Australia/Sydney", "ca": "America/Toronto", "nz": "Pacific/Auckland",
}  # fmt: skip


def timezone_for_host(host: str, default: str) -> str:
    """The timezone of a host without site rules, from its country domain."""
    return _ZONES_BY_TLD.get(host.rsplit(".", 1)[-1].lower(), default)


# --- breadcrumbs, related links, images, pagination -------------------------------------------


_CRUMB_CLASS_WORDS = ("breadcrumb", "crumb", "position", "location", "path", "curpos", "weizhi")
_CRUMB_ID_WORDS = ("breadcrumb", "position", "location")


def find_breadcrumbs(sel: Selector, title: str | None) -> list[str]:
    """The category trail, from a breadcrumb block or a 当前位置 line."""
    doc = _document(sel)
    if doc is None:
        return []
    for block in _with_crumb_attrs(doc):
        classes, id_ = block.get("class") or "", block.get("id") or ""
        if not (
            any(word in classes for word in _CRUMB_CLASS_WORDS)
            or any(word in id_ for word in _CRUMB_ID_WORDS)
            or block.get("aria-label") == "breadcrumb"
        ):
            continue
        crumbs = [clean_text(t) for t in block.xpath(".//a//text()")]
        crumbs = [c for c in crumbs if c and c not in (">", "/", "»", "›")]
        if crumbs:
            return [BREADCRUMB_LABEL.sub("", c) for c in crumbs if c != title and BREADCRUMB_LABEL.sub("", c)]
    for node in doc.xpath(
        "//body//text()[contains(.,'当前位置') or contains(.,'您的位置') or contains(.,'當前位置') or "
        "contains(.,'现在的位置') or contains(.,'所在位置') or contains(.,'現在的位置')]"
    ):
        parent = node.getparent()
        if parent is None:
            continue
        crumbs = [clean_text(text_content(a)) for a in parent.iter("a")]
        crumbs = [c for c in crumbs if c and c != title]
        if crumbs:
            return crumbs
    return []


# The elements a related list's heading can be, as //h1|//h2|… reads them (in document order).
_HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "div", "span", "p", "strong", "b", "td", "th", "font", "em", "dt")


def find_related(sel: Selector, base_url: str, tz: str) -> list[dict]:
    """Links of the block headed 推荐阅读/相关阅读/… in page order."""
    doc = _document(sel)
    if doc is None:
        return []
    for heading in doc.iter(*_HEADING_TAGS):
        own = heading.text or ""
        if len(heading):
            own = "".join(_text_nodes(heading))
        # A heading starts with one of these (or an entity that decodes to one): most elements'
        # text is passed over without cleaning it.
        if not own or not _HEADING_CHARS.search(own):
            continue
        text = clean_text(own)
        if not text or len(text) > 12 or not RELATED_HEADINGS.match(text):
            continue
        # The list is what follows the heading: its next siblings, or, when the heading is
        # alone in its wrapper (<div class="hd"><h3>推荐阅读</h3></div>), the wrapper's.
        node = heading
        for _ in range(3):
            anchors = [
                a
                for sibling in node.itersiblings()
                for a in sibling.iter("a")
                if a.get("href") and len(clean_text(text_content(a))) >= 4
            ]
            if anchors:
                return _related_from(anchors, base_url, tz)
            parent = node.getparent()
            if parent is None or len(parent) > 1 or parent.tag in ("body", "html"):
                return []
            node = parent
    return []


def _list_item(a: etree._Element) -> etree._Element | None:
    """The list entry an anchor belongs to (its li, dd or tr, or a small wrapper)."""
    for ancestor in a.iterancestors():
        if ancestor.tag in ("li", "dd", "tr", "dt"):
            return ancestor
        if ancestor.tag in ("ul", "ol", "dl", "table", "body"):
            break
        if _more_than(2, (x for x in ancestor.iter("a") if x is not ancestor and x.get("href") is not None)):
            break
    return a.getparent()


def _more_than(count: int, found: Iterable) -> bool:
    return next(islice(found, count, None), None) is not None


def _related_from(anchors: list[etree._Element], base_url: str, tz: str) -> list[dict]:
    links: list[dict] = []
    seen: set[str] = set()
    for a in anchors:
        href = a.get("href", "").strip()
        if href.startswith(("javascript:", "#", "mailto:")):
            continue
        url = absolute_url(base_url, href)
        if url is None or url in seen:
            continue
        seen.add(url)
        item = _list_item(a)
        title = clean_text(text_content(a))
        date_text = summary = None
        if item is not None:
            for node in item.itertext():  # what .//text() gives, without an XPath per item
                if date_shape(node):
                    date_text = node
                    break
            # A teaser: the item's longest text that is neither the headline nor the date.
            texts = [clean_text(text_content(t)) for t in item.iter("p", "div", "span", "dd") if next(t.iter("a"), None) is None]
            texts = [t for t in texts if t != title and len(without_date_shapes(t).strip()) >= 15]
            summary = max(texts, key=len) if texts else None
        links.append(
            {
                "url": url,
                "title": title,
                "summary": summary,
                "date": parse_date(date_text, tz) if date_text else None,
            }
        )
    return links


_DECORATION = re.compile(r"logo|icon|avatar|qrcode|erweima|share|btn|button|spacer|blank|pixel|loading|emoji|face/", re.I)
# The same words in lower case: a case-insensitive pattern is scanned a character at a time,
# ten times slower; on ASCII text (addresses, class names) lowering it first matches the same.
_DECORATION_LOWER = re.compile(_DECORATION.pattern)


def _decorative(text: str) -> bool:
    if text.isascii():
        return _DECORATION_LOWER.search(text.lower()) is not None
    return _DECORATION.search(text) is not None


def is_decoration(img: etree._Element, url: str) -> bool:
    """Logos, icons, tracking pixels and share buttons: images that are not the article's."""
    if _decorative(url) or _decorative(_attr_words(img)):
        return True
    for dim in ("width", "height"):
        value = (img.get(dim) or "").strip().rstrip("px")
        if value.isdigit() and int(value) < 50:
            return True
    return False


def caption_near(img: etree._Element) -> str | None:
    """A caption line right after the image's paragraph (图为…, …供图, …摄)."""
    holder = img
    while holder.getparent() is not None and not (holder.tail and holder.tail.strip()) and holder.getnext() is None:
        parent = holder.getparent()
        if parent.tag in ("p", "div", "center", "a", "span", "strong"):
            holder = parent
        else:
            break
    candidate = holder.getnext()
    if candidate is None or not isinstance(candidate.tag, str):
        return None
    text = text_of(candidate)
    if text and len(text) < 120 and _CAPTION_LINE.search(text):
        return text
    return None


def next_page_href(sel: Selector) -> str | None:
    """The href of a 下一页 link, the continuation of a split article."""
    doc = _document(sel)
    if doc is None:
        return None
    for a in doc.iter("a"):
        if a.get("href") is not None and _NEXT_PAGE.match(clean_text(text_content(a))):
            return a.get("href")
    return None
