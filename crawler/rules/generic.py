"""Heuristics that find an article's fields on a portal nobody wrote rules for.

The body is found by a content-block scorer in the CETD/GNE family: paragraphs score by their
text and punctuation, scores flow up to their containers, and a container's score is discounted
by its link density; navigation, comment, related and footer blocks are excluded up front.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from urllib.parse import urljoin

from lxml import etree
from parsel import Selector

from crawler.dates import parse_date, parse_time
from crawler.html import BLOCK_TAGS, SKIP_TAGS, lines, text_of
from crawler.text import clean_optional, clean_text

# class/id words of blocks that are never the article.
_NEGATIVE = re.compile(
    r"comment|reply|footer|foot\b|copyright|nav|menu|sidebar|side-|aside|share|social|related|recommend|"
    r"relate|hot|rank|tuijian|xiangguan|breadcrumb|crumb|login|signup|advert|\bad\b|ad-|-ad\b|ads\b|banner|"
    r"popup|modal|toolbar|pagination|pager|tags?\b|keyword|author-info|qrcode|erweima|download|subscribe",
    re.I,
)
# class/id words of blocks that usually are the article.
_POSITIVE = re.compile(r"article|content|post|entry|main|text|body|detail|zhengwen|news_txt|cont\b|con\b", re.I)
_BOILERPLATE_TAGS = frozenset({"nav", "footer", "aside", "form", "header", "menu"})
_PUNCT = re.compile(r"[，。！？；：、,.!?;:“”「」（）]")
_CJK_OR_WORD = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbfA-Za-z0-9]")

RELATED_HEADINGS = re.compile(
    r"^(?:推荐阅读|推薦閱讀|相关阅读|相關閱讀|相关新闻|相關新聞|相关文章|相關文章|延伸阅读|延伸閱讀|热门推荐|熱門推薦|"
    r"猜你喜欢|猜你喜歡|相关推荐|相關推薦|更多阅读|更多閱讀|推荐文章|推薦文章|相关报道|相關報導|热点推荐|熱點推薦|你可能感兴趣)"
)
BREADCRUMB_LABEL = re.compile(r"^(?:当前位置|當前位置|您的位置|你的位置|您现在的位置|所在位置|位置)\s*[:：]?\s*")
_TIME_LABEL = re.compile(
    r"发布时间|發佈時間|發布時間|发表时间|發表時間|更新时间|更新時間|时间|時間|日期|发布于|發佈於|发布|發佈|來源|来源"
)
_DATE_SHAPE = re.compile(
    r"(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}|\d+\s*(?:分钟|分鐘|小时|小時|天)前|昨天|前天|今天\s*\d|刚刚|剛剛"
)
_AUTHOR_LINE = re.compile(
    r"(?:作者|作\s者|记者|記者|通讯员|通訊員|撰稿|撰文|文\s*/|文丨|文\||编辑|編輯|责任编辑|責任編輯|责编|責編|主编|主編)"
    r"\s*[:：丨|/]?\s*(?P<name>[^\s:：|丨/,，。()（）]{2,20}(?:\s+[^\s:：|丨/,，。()（）\d]{2,6}){0,2})"
)
_SOURCE_LINE = re.compile(r"(?:来源|來源|来自|來自|稿源|出处|出處)\s*[:：丨|]\s*(?P<name>[^\s|丨,，。]{2,30}(?:\s[A-Za-z]+)?)")
_BOILERPLATE_LINE = re.compile(
    r"^(?:\(?责任编辑|（责任编辑|責任編輯|编辑[:：]|編輯[:：]|责编|来源[:：]|來源[:：]|原标题|原標題|"
    r"版权|版權|copyright|©|本文(?:来源|转载|來源)|声明[:：]|聲明[:：]|免责声明|免責聲明|分享到|扫一扫|掃一掃|"
    r"点击(?:进入|查看|关注)|返回(?:搜狐|首页)|打印本页|关闭窗口|【纠错】|上一篇|下一篇|上一頁|下一頁|上一页|下一页)",
    re.I,
)
_NEXT_PAGE = re.compile(r"^\s*(?:下一页|下一頁|下页|下頁|后一页|next\s*page|›|»)\s*$", re.I)
_CAPTION_LINE = re.compile(
    r"^(?:图为|圖為|图片来源|圖片來源|图[:：]|圖[:：]|▲)|(?:供图|供圖|摄|攝|资料照|資料照|图片|圖片)[)）]?。?$"
)


def _attr_words(el: etree._Element) -> str:
    return f"{el.get('class', '')} {el.get('id', '')}"


def is_boilerplate(el: etree._Element) -> bool:
    """True for navigation, comments, related lists, ads, footers and the like."""
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag in _BOILERPLATE_TAGS:
        return True
    words = _attr_words(el)
    return bool(words.strip()) and bool(_NEGATIVE.search(words)) and not _POSITIVE.search(el.get("id", ""))


def _link_chars(el: etree._Element) -> int:
    return sum(len(clean_text(a.text_content())) for a in el.iter("a"))


def find_content(sel: Selector) -> tuple[etree._Element | None, set[etree._Element]]:
    """The element holding the article text, and the elements inside it to leave out."""
    root = sel.root
    if not isinstance(root, etree._Element):
        return None, set()
    excluded: set[etree._Element] = set()
    scores: dict[etree._Element, float] = {}
    _score_tree(root, scores, excluded)
    best, best_score = None, 0.0
    for el, score in scores.items():
        text_len = len(_CJK_OR_WORD.findall(el.text_content()))
        if not text_len:
            continue
        density = min(1.0, _link_chars(el) / text_len)
        score *= 1 - density
        if _POSITIVE.search(_attr_words(el)):
            score *= 1.2
        if score > best_score:
            best, best_score = el, score
    if best is None:
        return None, excluded
    inner = {el for el in best.iter() if isinstance(el.tag, str) and el is not best and _is_noise_inside(el)}
    return best, excluded | inner


def _score_tree(root: etree._Element, scores: dict, excluded: set[etree._Element]) -> None:
    # Iterative walk that prunes boilerplate subtrees (their text never scores).
    stack = [root]
    while stack:
        el = stack.pop()
        tag = el.tag if isinstance(el.tag, str) else ""
        if not tag or tag in SKIP_TAGS:
            continue
        if el is not root and is_boilerplate(el):
            excluded.add(el)
            continue
        stack.extend(el)
        if tag in ("p", "pre", "blockquote") or (tag in ("div", "td", "section", "article", "span", "font") and _direct_text(el)):
            text = text_of(el) if tag in ("p", "pre", "blockquote") else clean_text(_direct_text(el))
            chars = len(_CJK_OR_WORD.findall(text))
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
            parts.append(child.text_content())
        parts.append(child.tail or "")
    text = "".join(parts)
    return text if len(text.strip()) >= 20 else ""


def _is_noise_inside(el: etree._Element) -> bool:
    if is_boilerplate(el):
        return True
    if el.tag in ("ul", "ol", "table", "div") and len(el):
        text = clean_text(el.text_content())
        if len(text) >= 10 and _link_chars(el) / max(1, len(text)) > 0.6:
            return True
    return False


def drop_boilerplate_lines(paragraphs: Iterable[str]) -> list[str]:
    """Leave out editor, copyright, share and pager lines, and everything from a related heading on."""
    kept = []
    for line in paragraphs:
        if RELATED_HEADINGS.match(line):
            break
        if _BOILERPLATE_LINE.match(line) or _NEXT_PAGE.match(line):
            continue
        if _CAPTION_LINE.search(line) and len(line) < 80:
            continue
        kept.append(line)
    return kept


# --- title ------------------------------------------------------------------------------------


def _json_ld(sel: Selector) -> list[dict]:
    found = []
    for raw in sel.xpath("//script[@type='application/ld+json']/text()").getall():
        try:
            data = json.loads(raw)
        except ValueError:
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


def find_title(sel: Selector) -> str | None:
    """JSON-LD headline, og:title, an h1 that matches ``<title>``, else ``<title>`` itself."""
    page_title = clean_text(sel.xpath("//title/text()").get())
    for entry in _json_ld(sel):
        headline = clean_optional(entry.get("headline") if isinstance(entry.get("headline"), str) else None)
        if headline:
            return headline
    og = clean_optional(sel.xpath("//meta[@property='og:title']/@content").get())
    h1s = [text_of(h.root) for h in sel.xpath("//h1")]
    for h1 in h1s:
        if h1 and len(h1) >= 4 and (h1 in page_title or (og and h1 in og)):
            return h1
    if og:
        return og
    for h1 in h1s:
        if h1 and len(h1) >= 6:
            return h1
    return page_title or None


# --- time, author, source ---------------------------------------------------------------------

_TIME_META = (
    "article:published_time",
    "og:article:published_time",
    "og:release_date",
    "datePublished",
    "pubdate",
    "publishdate",
    "PubDate",
    "publish_date",
    "publication_date",
    "sailthru.date",
    "weibo: article:create_at",
    "og:time",
    "article:modified_time",
)


def find_time(sel: Selector, content: etree._Element | None) -> str | None:
    """The raw text of the article's time: metadata first, then the visible line near the title."""
    for entry in _json_ld(sel):
        value = entry.get("datePublished") or entry.get("dateCreated")
        if isinstance(value, str) and parse_time(value, fallback=False):
            return value.strip()
    for name in _TIME_META:
        value = sel.xpath(f"//meta[@property='{name}' or @name='{name}' or @itemprop='{name}']/@content").get()
        if value and parse_time(value, fallback=False):
            return value.strip()
    value = sel.xpath("//time/@datetime").get()
    if value and parse_time(value, fallback=False):
        return value.strip()
    return _visible_time(sel, content)


def _visible_time(sel: Selector, content: etree._Element | None) -> str | None:
    root = sel.root
    title_el = _title_element(sel)
    nodes = [n for n in root.xpath("//text()[normalize-space()]") if isinstance(n, str)]
    order = {}
    title_pos = None
    content_pos = None
    candidates = []
    for pos, node in enumerate(nodes):
        parent = node.getparent()
        if parent is None:
            continue
        if title_pos is None and title_el is not None and (parent is title_el or title_el in parent.iterancestors()):
            title_pos = pos
        if content_pos is None and content is not None and (parent is content or content in parent.iterancestors()):
            content_pos = pos
        if _DATE_SHAPE.search(node) and len(node) < 200:
            candidates.append((pos, node, parent))
        order[pos] = node
    best = None
    best_score = -1e9
    for pos, node, parent in candidates:
        if any(is_boilerplate(a) and a.tag not in ("header",) for a in [parent, *parent.iterancestors()]):
            continue
        text = _time_text(node, parent)
        if not parse_time(text, fallback=False):
            continue
        score = 0.0
        if _TIME_LABEL.search(text):
            score += 30
        if title_pos is not None:
            distance = pos - title_pos
            score += 40 - min(abs(distance), 40) if distance >= 0 else -20 - min(-distance, 20)
        if content_pos is not None and pos > content_pos + 3:
            score -= 40
        if score > best_score:
            best, best_score = text, score
    return best


def _time_text(node: str, parent: etree._Element) -> str:
    # A label and its value often sit in sibling spans: read the parent's line when it is short.
    line = text_of(parent)
    if len(line) <= 80 and node.strip() in line:
        return line
    return clean_text(node)


def _title_element(sel: Selector) -> etree._Element | None:
    h1 = sel.xpath("//h1")
    return h1[0].root if h1 else None


def _header_lines(sel: Selector, content: etree._Element | None) -> list[str]:
    """Lines between the headline and the article text, where bylines and sources live."""
    found = []
    title_el = _title_element(sel)
    if title_el is not None:
        parent = title_el.getparent()
        for _ in range(3):
            if parent is None:
                break
            block = lines(parent, is_boilerplate)
            if len(block) > 1:
                found = block[:12]
                break
            parent = parent.getparent()
    if content is not None:
        body_lines = lines(content)
        found += body_lines[:2] + body_lines[-4:]
    return found


def find_author(sel: Selector, content: etree._Element | None) -> str | None:
    """A byline: labelled lines near the headline or at the end of the text, else meta author."""
    for line in _header_lines(sel, content):
        match = _AUTHOR_LINE.search(line)
        if match and not line.startswith(("责任编辑", "責任編輯")):
            return clean_text(match.group(0))
    for entry in _json_ld(sel):
        author = entry.get("author")
        if isinstance(author, list) and author:
            author = author[0]
        name = author.get("name") if isinstance(author, dict) else author
        if isinstance(name, str) and clean_text(name):
            return clean_text(name)
    meta = clean_optional(sel.xpath("//meta[@name='author']/@content").get())
    return meta


def find_source(sel: Selector, content: etree._Element | None) -> str | None:
    """The originating outlet named on a 来源 line."""
    for line in _header_lines(sel, content):
        match = _SOURCE_LINE.search(line)
        if match:
            return clean_text(match.group("name"))
    return clean_optional(sel.xpath("//meta[@name='source' or @property='article:publisher']/@content").get())


# --- breadcrumbs, related links, images, pagination -------------------------------------------


def find_breadcrumbs(sel: Selector, title: str | None) -> list[str]:
    """The category trail, from a breadcrumb block or a 当前位置 line."""
    blocks = sel.xpath(
        "//*[contains(@class,'breadcrumb') or contains(@class,'crumb') or contains(@id,'breadcrumb') or "
        "contains(@class,'position') or contains(@class,'location') or @aria-label='breadcrumb']"
    )
    for block in blocks:
        crumbs = [clean_text(t) for t in block.xpath(".//a//text()").getall()]
        crumbs = [c for c in crumbs if c and c not in (">", "/", "»", "›")]
        if crumbs:
            return [BREADCRUMB_LABEL.sub("", c) for c in crumbs if c != title and BREADCRUMB_LABEL.sub("", c)]
    for node in sel.xpath("//text()[contains(.,'当前位置') or contains(.,'您的位置') or contains(.,'當前位置')]"):
        parent = node.root.getparent()
        if parent is None:
            continue
        crumbs = [clean_text(a.text_content()) for a in parent.iter("a")]
        crumbs = [c for c in crumbs if c and c != title]
        if crumbs:
            return crumbs
    return []


def find_related(sel: Selector, base_url: str, tz: str) -> list[dict]:
    """Links of the block headed 推荐阅读/相关阅读/… in page order."""
    for heading in sel.xpath("//h1|//h2|//h3|//h4|//h5|//div|//span|//p|//strong"):
        text = clean_text("".join(heading.xpath("./text()").getall()))
        if not text or len(text) > 12 or not RELATED_HEADINGS.match(text):
            continue
        block = heading.root.getparent()
        for _ in range(3):
            if block is None:
                break
            anchors = [a for a in block.iter("a") if a.get("href") and len(clean_text(a.text_content())) >= 4]
            if anchors:
                return _related_from(anchors, base_url, tz)
            block = block.getparent()
    return []


def _related_from(anchors: list[etree._Element], base_url: str, tz: str) -> list[dict]:
    links: list[dict] = []
    seen: set[str] = set()
    for a in anchors:
        href = a.get("href", "").strip()
        if href.startswith(("javascript:", "#", "mailto:")):
            continue
        url = urljoin(base_url, href)
        if url in seen:
            continue
        seen.add(url)
        item = a.getparent()
        date_text = None
        if item is not None:
            for node in item.xpath(".//text()"):
                if _DATE_SHAPE.search(node):
                    date_text = node
                    break
        links.append(
            {
                "url": url,
                "title": clean_text(a.text_content()),
                "summary": None,
                "date": parse_date(date_text, tz) if date_text else None,
            }
        )
    return links


_DECORATION = re.compile(r"logo|icon|avatar|qrcode|erweima|share|btn|button|spacer|blank|pixel|loading|emoji|face/", re.I)


def is_decoration(img: etree._Element, url: str) -> bool:
    """Logos, icons, tracking pixels and share buttons: images that are not the article's."""
    if _DECORATION.search(url) or _DECORATION.search(_attr_words(img)):
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
    for a in sel.xpath("//a[@href]"):
        if _NEXT_PAGE.match(clean_text(a.root.text_content())):
            return a.attrib["href"]
    return None
