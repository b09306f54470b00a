"""Telling article links from navigation and pagination on a portal nobody wrote rules for."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Paths that name one article: a date, a long numeric id, or an article-ish folder.
_ARTICLE_PATH = re.compile(
    r"/(?:19|20)\d{2}[-/_]?(?:0[1-9]|1[0-2])(?:[-/_]?[0-3]\d)?/|"  # /2025/03/31/, /202503/, /2025-03-31/
    r"(?:19|20)\d{2}(?:0[1-9]|1[0-2])[0-3]\d|"  # 20250331 in a name
    r"/(?:article|articles|news|detail|content|story|post|p|a|doc|html|info|show|view)s?/[^/]*\d{3,}|"
    r"[/_-]\d{4,}(?:_\d{1,3})?\.s?html?$|"  # /178263.html, t20250331_123.html
    r"/\d{5,}/?$|"
    r"content_\d+|doc-i[a-z0-9]{6,}",
    re.I,
)
_PAGINATION_PATH = re.compile(
    r"(?:[?&](?:page|p|pn|pageno|pagenum|start)=\d+|/page/\d+|_\d{1,3}\.s?html?$|/index_\d+\.s?html?$|/\d{1,3}\.s?html?$)", re.I
)
_PAGINATION_TEXT = re.compile(r"^(?:下一页|下一頁|下页|下頁|更多|more|next|›|»|>|\d{1,3})$", re.I)
_SKIP_PATH = re.compile(
    r"\.(?:jpg|jpeg|png|gif|webp|svg|ico|css|js|pdf|docx?|xlsx?|pptx?|zip|rar|7z|gz|mp3|mp4|avi|mov|flv|apk|exe|dmg)$|"
    r"/(?:login|logout|signin|signup|register|user|member|passport|search|tag|tags|comment|comments|print|share|download)(?:/|$|\?)",
    re.I,
)


def link_kind(url: str, text: str = "") -> str:
    """``article``, ``list`` (a section or its next page), or ``skip`` for one on-site link."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return "skip"
    path = parts.path or "/"
    if _SKIP_PATH.search(path):
        return "skip"
    text = text.strip()
    if _ARTICLE_PATH.search(path) and not _PAGINATION_TEXT.match(text):
        return "article"
    return "list"


def is_pagination(url: str, text: str = "") -> bool:
    """True for a link to the next page of a list."""
    return bool(_PAGINATION_TEXT.match(text.strip())) or bool(
        _PAGINATION_PATH.search(urlsplit(url).path + "?" + urlsplit(url).query)
    )
