"""Second opinions for pages where the content-block scorer finds no article text, or very little.

A page that holds an article must give a record (issue 19: recall first). When the scorer's block
is missing, or was refused because it reads like a list of links, the best-scored block is taken
anyway if the page says it is an article; when the text is still empty or tiny, trafilatura's
reading of the page is asked for a second opinion and kept when it finds more.
"""

from __future__ import annotations

import logging
import re

from lxml import etree
from parsel import Selector

from crawler.extraction.embedded import ARTICLE_TYPES
from crawler.extraction.html import text_content
from crawler.extraction.loaders import has_tag_text
from crawler.extraction.text import clean_text
from crawler.rules import generic

logger = logging.getLogger(__name__)

#: Below this many characters (Han, letters, digits) a body is "tiny": a teaser, a caption, a
#: dateline, rather than an article's text.
TINY_BODY_CHARS = 80

# Metadata only an article page carries: its own publication time.
_ARTICLE_META = frozenset({"article:published_time", "og:article:published_time", "datePublished", "pubdate", "publishdate"})
# A menu written as one line: its entries between spaces or separators.
_PIECES = re.compile(r"[\s|｜·•/]+")
# A list's heading: short, no sentence punctuation or digits, a list's words (not a notice's
# closing date or its 附件).
_LIST_HEADING = re.compile(
    r"(?=[^，。！？；,.!?;\d]{1,12}[:：]?$).*(?:更多|热门|熱門|排行|推荐|推薦|相关|相關|阅读|閱讀|最新|精彩|专题|專題|快讯|快訊|新闻|新聞|资讯|資訊).*"
)
_COUNTED = re.compile(r"[^\u4e00-\u9fff\u3400-\u4dbfA-Za-z0-9]+")


def counted_chars(paragraphs: list[str]) -> int:
    """Han characters, letters and digits in ``paragraphs``: what "tiny" is measured in."""
    return sum(len(_COUNTED.sub("", p)) for p in paragraphs)


def is_tiny(paragraphs: list[str]) -> bool:
    """True for no text or a body too short to be an article's."""
    return counted_chars(paragraphs) < TINY_BODY_CHARS


def without_teasers(paragraphs: list[str], related: list[dict]) -> list[str]:
    """``paragraphs`` without the lines that are a related entry's title or summary (a summary
    may be cut short, so a line it begins, or that begins it, counts too)."""
    titles = {entry["title"] for entry in related if entry.get("title")}
    summaries = [s for s in (entry.get("summary") for entry in related) if s and len(s) >= 10]
    return [
        line for line in paragraphs if line not in titles and not any(line.startswith(s) or s.startswith(line) for s in summaries)
    ]


def without_link_lines(paragraphs: list[str], sel: Selector) -> list[str]:
    """``paragraphs`` without the lines before and after the text that are made only of the page's
    link texts (a menu's 首页 新闻 体育, a pager, a tag list): trafilatura keeps some of them as
    text, SPEC keeps them out of a body, with the short heading of such a list at the end. An
    article that is all links (a round-up) keeps them."""
    root = sel.root
    if not isinstance(root, etree._Element):
        return paragraphs
    anchors = {text for text in (clean_text(text_content(a)) for a in root.getroottree().getroot().iter("a")) if text}

    def linked(line: str) -> bool:
        pieces = [p for p in _PIECES.split(line) if p]
        return bool(pieces) and all(piece in anchors for piece in pieces)

    text = [i for i, line in enumerate(paragraphs) if not linked(line)]
    if not text:
        return paragraphs
    first, last = text[0], text[-1]
    if last < len(paragraphs) - 1 and last > first and _LIST_HEADING.fullmatch(paragraphs[last]):
        last -= 1  # the heading of the list of links that follows (更多快讯, 热门排行)
    return paragraphs[first : last + 1]


def says_article(sel: Selector, byline: str | None = None, timestamp: str | None = None) -> bool:
    """True when the page declares itself an article (og:type, JSON-LD type, publication-time
    metadata, an ``<article>`` element), or shows a byline together with a time, as article pages
    do and list pages do not."""
    root = sel.root
    if not isinstance(root, etree._Element):
        return False
    doc = root.getroottree().getroot()
    for meta in doc.iter("meta"):
        key = meta.get("property") or meta.get("name") or meta.get("itemprop") or ""
        if key == "og:type" and (meta.get("content") or "").strip().lower() in ("article", "news", "blog"):
            return True
        if key in _ARTICLE_META and meta.get("content"):
            return True
    for entry in generic.json_ld(sel):
        types = entry.get("@type")
        types = types if isinstance(types, list) else [types]
        if any(isinstance(t, str) and t in ARTICLE_TYPES for t in types):
            return True
    if next(doc.iter("article"), None) is not None:
        return True
    return bool(byline and timestamp)


def trafilatura_paragraphs(html: str, url: str) -> list[str]:
    """trafilatura's reading of the page's main text, as paragraphs (recall favoured, no
    comments); empty when it finds none or fails on the page."""
    import trafilatura  # imported on first need: most pages never ask for a second opinion

    try:
        text = trafilatura.extract(
            html, url=url, favor_recall=True, include_comments=False, include_tables=True, with_metadata=False
        )
    except Exception as exc:  # a library's failure on one hostile page is a miss, not a crash
        logger.debug("trafilatura failed on %s: %r", url, exc)
        return []
    if not text:
        return []
    # On a broken page (an unclosed <title> or <textarea>) trafilatura can return the markup that
    # follows as text: such lines are not the article's.
    return [line for line in (clean_text(line) for line in _cells(text)) if line and not has_tag_text(line)]


# A table row as trafilatura writes it: "| cell | cell |", a "|" inside a cell escaped as "\|".
_ROW = re.compile(r"^\s*\|(.*)\|\s*$")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_RULE_ROW = re.compile(r"^[\s|:-]*$")


def _cells(text: str) -> list[str]:
    """trafilatura's lines with its table rows taken apart: a layout table's cells (a menu, the
    headline, the date, the text) are lines of their own, as the page shows them, not one line of
    pipes; a row of a data table stays one line, its cells apart by spaces."""
    lines: list[str] = []
    for line in text.splitlines():
        row = _ROW.match(line)
        if row is None:
            lines.append(line)
            continue
        if _RULE_ROW.match(line):
            continue  # the rule under a header row: | --- | --- |
        cells = [cell.strip().replace("\\|", "|") for cell in _CELL_SPLIT.split(row[1])]
        cells = [cell for cell in cells if cell]
        if len(cells) <= 1:
            lines.extend(cells)  # a layout table's one cell
        else:
            lines.append(" ".join(cells))
    return lines
