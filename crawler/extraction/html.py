"""Reading text and images out of an lxml element tree, keeping paragraph boundaries."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

from lxml import etree

from crawler.extraction.text import clean_text

BLOCK_TAGS = frozenset(
    [
        "p",
        "div",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "tr",
        "td",
        "th",
        "table",
        "tbody",
        "thead",
        "blockquote",
        "section",
        "article",
        "header",
        "footer",
        "aside",
        "nav",
        "figure",
        "figcaption",
        "pre",
        "address",
        "center",
        "main",
        "hr",
        "form",
        "fieldset",
        "details",
        "summary",
    ]
)
# Never text of an article: code, forms, embedded players and vector art.
SKIP_TAGS = frozenset(
    [
        "script",
        "style",
        "noscript",
        "template",
        "iframe",
        "object",
        "embed",
        "button",
        "select",
        "option",
        "textarea",
        "input",
        "svg",
        "canvas",
        "video",
        "audio",
        "map",
        "head",
        # Never rendered; broken pages (and some saved ones) have it inside <body>.
        "title",
    ]
)

Skip = Callable[[etree._Element], bool]


def lines(root: etree._Element, skip: Skip | None = None) -> list[str]:
    """The text of ``root`` as cleaned lines, split at block elements and ``<br>``.

    Iterative rather than recursive: pathological pages nest tens of thousands of elements.
    """
    out: list[str] = []
    buf: list[str] = []
    # The hot loop of every extraction: names bound locally, the line break written out inline.
    blocks, skipped = BLOCK_TAGS, SKIP_TAGS
    # Depth first with a stack of children iterators, one entry per element that has children.
    stack: list[tuple[etree._Element | None, Iterator[etree._Element]]] = [(None, iter((root,)))]
    while stack:
        parent, children = stack[-1]
        leaving = None
        for el in children:
            tag = el.tag
            tag = tag.lower() if tag.__class__ is str else ""
            if not tag or tag in skipped or (skip is not None and skip(el)):
                if el is not root and el.tail:
                    buf.append(el.tail)
                continue
            if buf and (tag in blocks or tag == "br"):
                text = clean_text("".join(buf))
                if text:
                    out.append(text)
                buf.clear()
            if el.text:
                buf.append(el.text)
            if len(el):
                stack.append((el, iter(el)))
            else:
                leaving = el  # a childless element is left at once
            break
        else:
            stack.pop()  # the element's children are all read: leave it
            leaving = parent
        if leaving is None:
            continue
        if buf and leaving.tag.lower() in blocks:
            text = clean_text("".join(buf))
            if text:
                out.append(text)
            buf.clear()
        if leaving is not root and leaving.tail:
            buf.append(leaving.tail)
    if buf:
        text = clean_text("".join(buf))
        if text:
            out.append(text)
    return out


def text_of(el: etree._Element, skip: Skip | None = None) -> str:
    """All text of ``el`` on one line, cleaned."""
    if skip is None and not len(el):
        # A leaf (a link, a date, a caption): what lines() gives for it, without the walk.
        tag = el.tag
        if tag.__class__ is not str or tag.lower() in SKIP_TAGS:
            return ""
        return clean_text(clean_text(el.text))
    return clean_text(" ".join(lines(el, skip)))


def text_content(el: etree._Element) -> str:
    """``el.text_content()``: all text below ``el``, as is; a leaf's own text without the XPath."""
    if not len(el):
        return el.text or ""
    return el.text_content()


def iter_images(root: etree._Element, skip: Skip | None = None) -> Iterator[etree._Element]:
    """The ``<img>`` elements under ``root`` in page order, leaving out skipped subtrees."""
    for img in root.iter("img"):
        if skip is None or not any(skip(a) for a in _ancestors(img, root)):
            yield img


def _ancestors(el: etree._Element, stop: etree._Element) -> Iterator[etree._Element]:
    while el is not None and el is not stop:
        yield el
        el = el.getparent()


# Lazy-loading portals keep the real address in one of these.
_SRC_ATTRS = ("data-src", "data-original", "data-actualsrc", "data-lazy-src", "data-url", "src")


def absolute_url(base_url: str, href: str | None) -> str | None:
    """``href`` resolved against ``base_url`` if it is a web address; None for ``javascript:``,
    ``data:``, ``file:`` and addresses too broken to parse (bad IPv6 hosts, invalid IDNA)."""
    href = (href or "").strip()
    if not href or href.startswith("#"):
        return None
    # Most links of a portal are root-relative ("/news/1.html"): joined to the page's origin they
    # give what urljoin gives, unless they hold dot segments, characters urlsplit drops, or an
    # empty query, fragment or ;params (urlunsplit drops those).
    if (
        href[0] == "/"
        and href[1:2] != "/"
        and "/." not in href
        and ";" not in href
        and not href.endswith(("?", "#"))
        and "?#" not in href
        and not _URLSPLIT_DROPS.search(href)
    ):
        origin = _web_origin(base_url)
        if origin is not None:
            return origin + href
    return _joined(base_url, href)


_URLSPLIT_DROPS = re.compile("[\t\r\n\\\\]")


@lru_cache(maxsize=64)
def _web_origin(base_url: str) -> str | None:
    """``scheme://netloc`` of an http(s) page address that parses, or None."""
    try:
        parts = urlsplit(base_url)
        parts.port  # noqa: B018 (raises ValueError on a malformed port)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def _joined(base_url: str, href: str) -> str | None:
    try:
        url = urljoin(base_url, href)
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError on a malformed port)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https", "file") or not (parts.hostname or parts.scheme == "file"):
        return None
    if parts.scheme == "file" and not base_url.startswith("file:"):
        return None  # a web page never points into the reader's file system
    return url


def image_url(img: etree._Element, base_url: str) -> str | None:
    """The absolute address of an image, preferring lazy-load attributes; None for inline data."""
    for attr in _SRC_ATTRS:
        src = (img.get(attr) or "").strip()
        if src and not src.startswith(("data:", "javascript:", "about:")):
            return absolute_url(base_url, src)
    return None
