"""Articles a page carries as data rather than markup, and pages that are only a script shell.

Pages built with JavaScript often ship the article in the HTML anyway, as a JSON blob their
script reads: Next.js's ``<script id="__NEXT_DATA__">``, a ``window.__INITIAL_STATE__ = {…}``
assignment (Vue/Nuxt, React stores) or JSON-LD's ``articleBody``. Reading it costs a JSON parse;
rendering the page costs a browser. :func:`embedded_article` reads it; :func:`script_shell` says
why a page with no article in its HTML looks like one that a browser would fill in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lxml import etree
from parsel import Selector

from crawler.extraction.dates import isoformat, parse_date, zone
from crawler.extraction.html import absolute_url
from crawler.extraction.text import clean_optional, clean_text

#: Keys of an article object, in the order they are tried.
TITLE_KEYS = ("headline", "title", "articleTitle", "name")
BODY_KEYS = ("articleBody", "content", "contentHtml", "content_html", "body", "bodyHtml", "html", "text", "articleContent")
TIME_KEYS = (
    "datePublished",
    "publishTime",
    "publish_time",
    "publishedAt",
    "pubDate",
    "pubtime",
    "publishDate",
    "publish_date",
    "releaseTime",
    "newsTime",
    "postTime",
    "ptime",
    "createTime",
    "createdAt",
    "dateCreated",
    "time",
    "date",
    "dateModified",
    "updateTime",
)
AUTHOR_KEYS = ("author", "authors", "editor", "reporter", "byline")
SOURCE_KEYS = ("source", "sourceName", "media", "publisher", "origin")
RELATED_KEYS = ("related", "relatedArticles", "relatedNews", "recommend", "recommends", "relatedList")
URL_KEYS = ("url", "href", "link", "shareUrl")
#: A body shorter than this (characters of text) is a teaser or a summary, not an article.
MIN_BODY_CHARS = 20
#: schema.org types of an article page (JSON-LD ``@type``).
ARTICLE_TYPES = frozenset(
    {
        "Article",
        "NewsArticle",
        "BlogPosting",
        "ReportageNews",
        "AnalysisNewsArticle",
        "OpinionNewsArticle",
        "BackgroundNewsArticle",
        "ScholarlyArticle",
        "TechArticle",
        "Report",
        "SocialMediaPosting",
        "DiscussionForumPosting",
        "LiveBlogPosting",
    }
)
#: Elements single-page apps mount into, by id.
APP_ROOT_IDS = ("app", "root", "__next", "__nuxt", "___gatsby", "main-app", "App")

_STATE = re.compile(r"window\.(__INITIAL_STATE__|__PRELOADED_STATE__|__APOLLO_STATE__|__DATA__|__INITIAL_DATA__)\s*=\s*")
_JS_WORDS = re.compile(r"javascript|JavaScript|JS|脚本", re.IGNORECASE)
_TAGS = re.compile(r"<[a-zA-Z/!][^>]*>")


@dataclass
class EmbeddedArticle:
    """An article read from a page's JSON: its content as an element, so that the site rules
    read paragraphs, images and captions from it as from the page's own markup."""

    found_in: str
    title: str | None
    content: etree._Element
    timestamp_raw: str | None = None
    author: str | None = None
    source: str | None = None
    breadcrumbs: list[str] = field(default_factory=list)
    related_links: list[dict] = field(default_factory=list)


def embedded_article(sel: Selector, base_url: str, timezone: str = "Asia/Shanghai") -> EmbeddedArticle | None:
    """The article in the page's embedded JSON (``__NEXT_DATA__``, ``window.__INITIAL_STATE__``,
    JSON-LD ``articleBody``), or None when it carries none."""
    best: tuple[int, str, dict] | None = None
    for found_in, blob in _blobs(sel):
        for candidate in _article_objects(blob):
            size = len(_text_of_body(candidate))
            if size >= MIN_BODY_CHARS and (best is None or size > best[0]):
                best = (size, found_in, candidate)
    if best is None:
        return None
    _, found_in, article = best
    return EmbeddedArticle(
        found_in=found_in,
        title=clean_optional(_first_text(article, TITLE_KEYS)),
        content=_content_element(_body(article) or ""),
        timestamp_raw=_time(article, timezone),
        author=_person(article, AUTHOR_KEYS),
        source=_person(article, SOURCE_KEYS),
        breadcrumbs=_strings(article.get("breadcrumbs") or article.get("breadcrumb")),
        related_links=_related(article, base_url, timezone),
    )


def script_shell(sel: Selector) -> str | None:
    """Why the page looks like a shell that JavaScript fills in (an empty app root, a state blob,
    a ``<noscript>`` asking for JavaScript), or None."""
    root = sel.root
    if not isinstance(root, etree._Element):
        return None
    if root.xpath("//script[@id='__NEXT_DATA__']"):
        return "__NEXT_DATA__"
    for script in root.iter("script"):
        match = _STATE.search(script.text or "")
        if match:
            return f"window.{match.group(1)}"
    for ident in APP_ROOT_IDS:
        for el in root.xpath("//*[@id=$ident]", ident=ident):
            if not clean_text(" ".join(el.itertext())):
                return f"empty app root #{ident}"
    for noscript in root.iter("noscript"):
        # lxml keeps a <noscript>'s content as text or as elements depending on where it sits.
        text = clean_text(" ".join(noscript.itertext()))
        if _JS_WORDS.search(text):
            return "<noscript> asks for JavaScript"
    return None


# --- finding the blobs ---------------------------------------------------------------------------


def _blobs(sel: Selector) -> Iterator[tuple[str, Any]]:
    root = sel.root
    if not isinstance(root, etree._Element):
        return
    for script in root.iter("script"):
        text = (script.text or "").strip()
        if not text:
            continue
        kind = (script.get("type") or "").lower()
        if script.get("id") == "__NEXT_DATA__":
            data = _loads(text)
            if data is not None:
                yield "__NEXT_DATA__", data
        elif kind == "application/ld+json":
            data = _loads(text)
            if data is not None:
                yield "JSON-LD", data
        elif kind in ("", "text/javascript", "application/javascript", "module"):
            match = _STATE.search(text)
            if match:
                try:
                    data, _ = json.JSONDecoder().raw_decode(text, match.end())
                except (ValueError, RecursionError):
                    continue
                yield f"window.{match.group(1)}", data


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # broken, or nested deeper than Python recurses
        return None


def _article_objects(data: Any, depth: int = 0) -> Iterator[dict]:
    """Every object in ``data`` with a title and a body, depth first (bounded: blobs nest deep)."""
    if depth > 12:
        return
    if isinstance(data, dict):
        types = data.get("@type")
        types = set(types) if isinstance(types, list) else {types}
        # A JSON-LD article may leave its headline to the page; any other object needs a title.
        if (types & ARTICLE_TYPES or _first_text(data, TITLE_KEYS)) and _body(data):
            yield data
        for value in data.values():
            if isinstance(value, dict | list):
                yield from _article_objects(value, depth + 1)
    elif isinstance(data, list):
        for value in data:
            if isinstance(value, dict | list):
                yield from _article_objects(value, depth + 1)


# --- reading an article object -------------------------------------------------------------------


def _first_text(data: dict, keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return None


def _body(data: dict) -> str | None:
    value = _first_text(data, BODY_KEYS)
    if value is None:
        # {"content": {"html": "…"}} and the like.
        for key in BODY_KEYS:
            nested = data.get(key)
            if isinstance(nested, dict):
                value = _first_text(nested, BODY_KEYS)
                if value:
                    break
    return value


def _text_of_body(data: dict) -> str:
    return clean_text(_TAGS.sub(" ", _body(data) or ""))


def _content_element(body: str) -> etree._Element:
    """The body as an element: HTML as it is, plain text as a paragraph per line."""
    if not _TAGS.search(body):
        paragraphs = [line for line in (clean_text(part) for part in body.splitlines()) if line]
        body = "".join(f"<p>{_escape(p)}</p>" for p in paragraphs)
    tree = Selector(text=f"<html><body><div>{body}</div></body></html>", type="html").root
    return tree.find("body").find("div")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _time(data: dict, timezone: str) -> str | None:
    # Keys matched without regard to case: pubTime, PubTime and pubtime are one key to a portal.
    by_lower = {key.lower(): value for key, value in reversed(list(data.items())) if isinstance(key, str)}
    for key in TIME_KEYS:
        value = by_lower.get(key.lower())
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            # Epoch seconds or milliseconds: written out as the site's local time, which the
            # rules' time parser reads like any shown time.
            seconds = value / 1000 if value > 10**11 else value
            try:
                return isoformat(datetime.fromtimestamp(seconds, zone(timezone)))
            except (OverflowError, OSError, ValueError):
                continue
    return None


def _person(data: dict, keys: tuple[str, ...]) -> str | None:
    for key in keys:
        names = _strings(data.get(key))
        if names:
            return "、".join(names)
    return None


def _strings(value: Any) -> list[str]:
    """Names from a string, a ``{"name": …}`` object, or a list of either."""
    if isinstance(value, str):
        text = clean_text(value)
        return [text] if text else []
    if isinstance(value, dict):
        return _strings(value.get("name") or value.get("title"))
    if isinstance(value, list):
        return [name for item in value for name in _strings(item)]
    return []


def _related(data: dict, base_url: str, timezone: str) -> list[dict]:
    for key in RELATED_KEYS:
        items = data.get(key)
        if not isinstance(items, list):
            continue
        links = []
        for item in items:
            if not isinstance(item, dict):
                continue
            url = absolute_url(base_url, _first_text(item, URL_KEYS))
            title = clean_optional(_first_text(item, TITLE_KEYS))
            if url and title:
                summary = clean_optional(_first_text(item, ("summary", "description", "digest", "abstract")))
                date = _first_text(item, TIME_KEYS)
                links.append(
                    {"url": url, "title": title, "summary": summary, "date": parse_date(date, timezone) if date else None}
                )
        if links:
            return links
    return []
