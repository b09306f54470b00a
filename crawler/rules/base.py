"""Extraction rules: what a page contains, independent of how it was reached.

:class:`Rules` extracts every SPEC field with the generic heuristics of :mod:`crawler.rules.generic`.
A site module subclasses it and sets only the selectors where it knows better; a selector left at
``None`` falls back to the heuristic.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar
from urllib.parse import urlsplit

from lxml import etree
from parsel import Selector
from scrapy.http import TextResponse
from scrapy.settings import BaseSettings

from crawler.extraction.charset import binary_kind
from crawler.extraction.css import install_fast_html_parser, response_selector, select, select_set, select_within
from crawler.extraction.dates import parse_date, utc_isoformat
from crawler.extraction.embedded import EmbeddedArticle, embedded_article
from crawler.extraction.html import absolute_url, image_url, iter_images, lines, text_of
from crawler.extraction.items import ArticleItem
from crawler.extraction.loaders import ArticleLoader
from crawler.extraction.text import clean_optional, clean_text
from crawler.rules import bylines, fallback, generic

logger = logging.getLogger(__name__)

# Pages are parsed with the same trees and element classes, looked up in C (see crawler.extraction.css).
install_fast_html_parser()


@dataclass(frozen=True)
class Limits:
    """Caps that keep a pathological page from stalling a crawl (settings ``CAIJI_MAX_*``)."""

    body_chars: int = 200_000
    images: int = 300
    related_links: int = 100

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Limits:
        """The limits set with ``CAIJI_MAX_BODY_CHARS``, ``CAIJI_MAX_IMAGES``, ``CAIJI_MAX_RELATED``."""
        return cls(
            body_chars=settings.getint("CAIJI_MAX_BODY_CHARS", cls.body_chars),
            images=settings.getint("CAIJI_MAX_IMAGES", cls.images),
            related_links=settings.getint("CAIJI_MAX_RELATED", cls.related_links),
        )


def cap_paragraphs(paragraphs: list[str], limit: int) -> list[str]:
    """The paragraphs up to ``limit`` characters in all, cut at a paragraph (or, for one huge
    paragraph, inside it)."""
    kept: list[str] = []
    total = 0
    for paragraph in paragraphs:
        if total + len(paragraph) > limit:
            if not kept:
                kept.append(paragraph[:limit])
            break
        kept.append(paragraph)
        total += len(paragraph) + 1
    return kept


class NoArticle(Exception):
    """The page holds no article; ``reason`` says why in one line."""

    def __init__(self, reason: str, item: ArticleItem | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.item = item


class Rules:
    """Generic rules for any portal; site modules subclass and override selectors."""

    name: ClassVar[str] = "generic"
    #: Hosts (and their subdomains) whose pages these rules read.
    hosts: ClassVar[tuple[str, ...]] = ()
    #: The timezone times on the site are printed in.
    timezone: ClassVar[str] = "Asia/Shanghai"
    #: Exact site-name suffixes of ``<title>``/headlines, tried before the generic rule.
    title_suffixes: ClassVar[tuple[str, ...]] = ()

    # CSS selectors; None means "use the generic heuristic".
    title_css: ClassVar[str | None] = None
    time_css: ClassVar[str | None] = None
    author_css: ClassVar[str | None] = None
    source_css: ClassVar[str | None] = None
    breadcrumbs_css: ClassVar[str | None] = None
    body_css: ClassVar[str | None] = None
    #: Inside the body: what is not article text (captions, ads, share bars).
    body_exclude_css: ClassVar[str] = "figcaption, .ad-slot, [class*=share]"
    #: Inside the body: blocks whose images are not the article's.
    image_exclude_css: ClassVar[str] = ".ad-slot, [class*=share]"
    #: Caption of an image, relative to the image's enclosing ``<figure>``.
    caption_css: ClassVar[str] = "figcaption"
    related_item_css: ClassVar[str | None] = None
    related_link_css: ClassVar[str] = "a"
    related_summary_css: ClassVar[str | None] = None
    related_date_css: ClassVar[str | None] = None
    next_page_css: ClassVar[str | None] = None
    #: Read an article from the page's embedded JSON (``__NEXT_DATA__``, ``window.__INITIAL_STATE__``,
    #: JSON-LD ``articleBody``) when its markup holds none.
    embedded_json: ClassVar[bool] = True

    #: Pages of this site that need a browser: ``"article"``, ``"list"``, ``"all"`` or None. Such a
    #: page is fetched again through headless Chromium when its HTML (and its JSON) gives nothing;
    #: ``-s CAIJI_RENDER=off`` switches it off for a crawl (docs/rendering.md).
    render: ClassVar[str | None] = None
    #: A CSS selector that matches once the page's script has built the article (or the list);
    #: the browser waits for it. None: it waits until the network is idle.
    render_wait_css: ClassVar[str | None] = None

    loader_class: ClassVar[type[ArticleLoader]] = ArticleLoader

    #: The zone of a page whose rules name none and whose host has no country domain: the crawl's
    #: ``CAIJI_DEFAULT_TIMEZONE`` (set on the instance by whoever runs the rules).
    default_timezone: str = "Asia/Shanghai"

    def timezone_for(self, url: str) -> str:
        """The timezone the page at ``url`` prints its times in: the site rules' own, else the
        host's country domain's (``.tw``, ``.hk`` …), else :attr:`default_timezone`."""
        if self.names_timezone():
            return self.timezone
        return generic.timezone_for_host(urlsplit(url).hostname or "", self.default_timezone)

    @classmethod
    def names_timezone(cls) -> bool:
        """True when a site's rules set ``timezone`` themselves (the generic rules do not)."""
        return any("timezone" in vars(klass) for klass in cls.__mro__ if klass is not Rules)

    @classmethod
    def matches(cls, url: str) -> bool:
        """True when ``url`` is on one of this site's hosts."""
        host = (urlsplit(url).hostname or "").lower()
        return any(host == h or host.endswith("." + h) for h in cls.hosts)

    # --- the whole page -------------------------------------------------------------------

    def extract(self, response: TextResponse, fetched_at: datetime, limits: Limits | None = None) -> ArticleItem:
        """The article on ``response``; raises :class:`NoArticle` when there is none."""
        limits = limits or Limits()
        not_html = binary_kind(response.body)
        if not_html:
            raise NoArticle(not_html)
        page = Page(response, self, fetched_at)
        # What is not read from the page goes into the loader's item as its initial values (what
        # the input processors would give: the crawl's own values, addresses already resolved).
        known = ArticleItem(url=response.url, site=self.name, crawled_at=utc_isoformat(fetched_at))
        canonical = self.canonical_url(page)
        if canonical:
            known["canonical_url"] = canonical
        loader = self.loader_class(
            item=known,
            selector=page.sel,
            timezone=self.timezone_for(response.url),
            fetched_at=fetched_at,
            title_suffixes=self.title_suffixes,
        )
        page.title = self.title(page)
        paragraphs = self.body(page)
        embedded = (
            embedded_article(page.sel, page.url, self.timezone_for(page.url)) if not paragraphs and self.embedded_json else None
        )
        if embedded is None:
            raw = self.timestamp_raw(page)
            author, source = self.author(page), self.source(page)
            crumbs = self.breadcrumbs(page)
        else:
            # The markup holds no article but the page's JSON does: read that, no browser needed.
            page.use_embedded(embedded)
            paragraphs = self.body(page)
            # What the JSON does not name is read from the page as usual (its metadata, its scripts).
            raw = embedded.timestamp_raw or self.timestamp_raw(page)
            author = embedded.author or self.author(page)
            source = embedded.source or self.source(page)
            crumbs = embedded.breadcrumbs or self.breadcrumbs(page)
        loader.add_value("title", page.title)
        loader.add_value("timestamp", raw)
        loader.add_value("timestamp_raw", raw)
        loader.add_value("author", author)
        loader.add_value("source", source)
        loader.add_value("breadcrumbs", crumbs)
        related = (embedded.related_links if embedded else None) or self.related_links(page)
        if embedded is None and not self.body_css and fallback.is_tiny(paragraphs):
            paragraphs = self.second_opinion(page, paragraphs, author, raw, related)
        capped = cap_paragraphs(paragraphs, limits.body_chars)
        if len(capped) < len(paragraphs) or (capped and capped[-1] is not paragraphs[len(capped) - 1]):
            logger.warning("Body of %s cut at %d characters (CAIJI_MAX_BODY_CHARS)", response.url, limits.body_chars)
        loader.add_value("body", capped)
        loader.add_value("images", self.images(page)[: limits.images])
        loader.add_value("related_links", related[: limits.related_links])
        item = loader.load_item()
        item.setdefault("breadcrumbs", [])
        item.setdefault("images", [])
        item.setdefault("related_links", [])
        if not item.get("title"):
            raise NoArticle("no title found", item)
        if not item.get("body"):
            raise NoArticle("no article text found", item)
        return item

    def merge(self, first: ArticleItem, part: ArticleItem) -> ArticleItem:
        """Append a continuation page (下一页) to the article's first page."""
        if part.get("body"):
            first["body"] = "\n".join(filter(None, [first.get("body"), part["body"]]))
        seen = {image["url"] for image in first.get("images", [])}
        first["images"] = first.get("images", []) + [i for i in part.get("images", []) if i["url"] not in seen]
        if not first.get("related_links"):
            first["related_links"] = part.get("related_links", [])
        # Bylines and sources often sit on the last page only.
        for field in ("author", "source", "timestamp", "timestamp_raw"):
            if not first.get(field) and part.get(field):
                first[field] = part[field]
        return first

    def next_page(self, response: TextResponse) -> str | None:
        """The address of the article's next page, if it is split over several."""
        if self.next_page_css:
            found = _select(response_selector(response), self.next_page_css)
            # An element selector gives its markup, as parsel's .get() does.
            if found and not isinstance(found[0], str):
                href = response.css(self.next_page_css).get()
            else:
                href = found[0] if found else None
        else:
            href = generic.next_page_href(response_selector(response))
        return absolute_url(response.url, href)

    # --- fields ---------------------------------------------------------------------------

    def canonical_url(self, page: Page) -> str | None:
        root = page.sel.root
        if not isinstance(root, etree._Element):
            return None
        # //link[@rel='canonical']/@href, else //meta[@property='og:url']/@content, without XPath's cost.
        href = next(
            (el.get("href") for el in root.iter("link") if el.get("rel") == "canonical" and el.get("href") is not None), None
        )
        if not href:
            href = next(
                (
                    el.get("content")
                    for el in root.iter("meta")
                    if el.get("property") == "og:url" and el.get("content") is not None
                ),
                None,
            )
        return absolute_url(page.url, href)

    def title(self, page: Page) -> str | None:
        if self.title_css:
            found = text_of_first(page.sel, self.title_css)
            if found:
                return found
        found = generic.find_title(page.sel, strip_suffix=not self.title_suffixes)
        return found or bylines.headline(page.lines) or generic.fallback_title(page.sel)

    def timestamp_raw(self, page: Page) -> str | None:
        if self.time_css:
            return text_of_first(page.sel, self.time_css)
        return generic.find_time(page.sel, page.lines, page.title, page.fetched_at, page.url, self.timezone_for(page.url))

    def author(self, page: Page) -> str | None:
        if self.author_css:
            return text_of_first(page.sel, self.author_css)
        return generic.find_author(page.sel, page.lines, page.title)

    def source(self, page: Page) -> str | None:
        if self.source_css:
            return text_of_first(page.sel, self.source_css)
        return generic.find_source(page.sel, page.lines, page.title)

    def breadcrumbs(self, page: Page) -> list[str]:
        if self.breadcrumbs_css:
            return [t for t in (text_of(el) for el in _select(page.sel, self.breadcrumbs_css)) if t]
        return generic.find_breadcrumbs(page.sel, page.title)

    def body(self, page: Page) -> list[str]:
        """The article's paragraphs, in order."""
        if page.content is None:
            return []
        paragraphs = lines(page.content, page.skip)
        if not self.body_css:
            lead = [line for el in page.lead for line in lines(el, page.skip)]
            after = [line for el in page.after for line in lines(el, page.skip)]
            deck = [line for line in generic.find_deck(page.sel, page.title) if line not in paragraphs and line not in lead]
            paragraphs = deck + lead + paragraphs + after if deck or lead or after else paragraphs
            paragraphs = generic.drop_boilerplate_lines(paragraphs, page.title)
        return paragraphs

    def second_opinion(
        self, page: Page, paragraphs: list[str], author: str | None, time_raw: str | None, related: list[dict]
    ) -> list[str]:
        """The body when the scorer's is empty or tiny: on a page that says it is an article, the
        best-scored block even if it reads like a list; then trafilatura's text when it has more
        (without the page's ``related`` entries)."""
        says_article = fallback.says_article(page.sel, author, time_raw)
        if page.content is None and says_article:
            page.use_content(*generic.find_content(page.sel, listing_ok=True))
            paragraphs = self.body(page) or paragraphs
        if fallback.is_tiny(paragraphs) and (page.content is not None or says_article):
            second = fallback.without_link_lines(fallback.trafilatura_paragraphs(page.response.text, page.url), page.sel)
            second = generic.drop_boilerplate_lines(second, page.title)
            # trafilatura keeps a related list's teasers as text; SPEC keeps them out of a body.
            second = fallback.without_teasers(second, related)
            if fallback.counted_chars(second) > fallback.counted_chars(paragraphs):
                logger.debug("Body of %s from trafilatura's second opinion", page.url)
                return second
        return paragraphs

    def images(self, page: Page) -> list[dict]:
        if page.content is None:
            return []
        found = []
        seen: set[str] = set()
        for img in iter_images(page.content, page.skip_images):
            url = image_url(img, page.url)
            if not url or url in seen or generic.is_decoration(img, url):
                continue
            seen.add(url)
            found.append({"url": url, "alt": clean_optional(img.get("alt")), "caption": self.caption(img, page)})
        return found

    def caption(self, img: etree._Element, page: Page) -> str | None:
        figure = next((a for a in img.iterancestors("figure")), None)
        if figure is not None:
            caps = select(figure, self.caption_css)
            if caps:
                return clean_optional(text_of(caps[0]))
        return None if self.body_css else generic.caption_near(img)

    def related_links(self, page: Page) -> list[dict]:
        if not self.related_item_css:
            return generic.find_related(page.sel, page.url, self.timezone)
        entries = _select(page.sel, self.related_item_css)
        if not entries or not isinstance(entries[0], etree._Element):
            return []
        anchors = select_within(entries, self.related_link_css)
        summaries = select_within(entries, self.related_summary_css) if self.related_summary_css else None
        dates = select_within(entries, self.related_date_css) if self.related_date_css else None
        links = []
        for i in range(len(entries)):
            anchor = anchors[i]
            href = anchor[0].get("href") if anchor else None
            title = text_of(anchor[0]) if anchor else ""
            url = absolute_url(page.url, href)
            if not url or not title:
                continue
            summary = first_text(summaries[i]) if summaries is not None else None
            date = first_text(dates[i]) if dates is not None else None
            links.append(
                {
                    "url": url,
                    "title": title,
                    "summary": summary,
                    "date": parse_date(date, self.timezone) if date else None,
                }
            )
        return links


class Page:
    """A response being extracted, with the article's content block found once."""

    def __init__(self, response: TextResponse, rules: Rules, fetched_at: datetime) -> None:
        self.response = response
        self.url = response.url
        self.sel = response_selector(response)
        self.fetched_at = fetched_at
        self.title: str | None = None
        self._lines: list[bylines.Line] | None = None
        self.content: etree._Element | None = None
        # Sets of elements, not of id()s: lxml's proxies are only stable while referenced.
        self._text_excluded: set[etree._Element] = set()
        self._image_excluded: set[etree._Element] = set()
        #: Lead paragraphs set apart before the content block (generic rules: ``generic.find_lead``).
        self.lead: list[etree._Element] = []
        #: A data table or the text's continuation set apart right after it (``generic.find_after``).
        self.after: list[etree._Element] = []
        if rules.body_css:
            found = _select(self.sel, rules.body_css)
            if found:
                self.content = found[0]
                self._text_excluded = select_set(self.content, rules.body_exclude_css)
                self._image_excluded = select_set(self.content, rules.image_exclude_css)
        else:
            self.use_content(*generic.find_content(self.sel))

    def use_content(self, content: etree._Element | None, excluded: set[etree._Element]) -> None:
        """Read the article from ``content``, leaving out ``excluded`` (generic rules)."""
        self.content = content
        self._text_excluded = self._image_excluded = excluded
        self.lead = generic.find_lead(content, excluded)
        self.after = generic.find_after(content, excluded)

    def use_embedded(self, article: EmbeddedArticle) -> None:
        """Read the article from the page's embedded JSON instead of its markup."""
        self.content = article.content
        self._text_excluded = self._image_excluded = set()
        self.lead = self.after = []
        self.title = article.title or self.title

    @property
    def lines(self) -> list[bylines.Line]:
        """The page's outline (see :mod:`crawler.rules.bylines`), read once."""
        if self._lines is None:
            root = self.sel.root
            title_el = generic.title_element(self.sel, self.title) if isinstance(root, etree._Element) else None
            self._lines = bylines.outline(root, self.content, title_el) if isinstance(root, etree._Element) else []
        return self._lines

    def skip(self, el: etree._Element) -> bool:
        """True for an element inside the content block that is not article text."""
        return el in self._text_excluded or el.tag == "figure"

    def skip_images(self, el: etree._Element) -> bool:
        """True for an element whose images are not the article's (ads, related thumbnails)."""
        return el in self._image_excluded


def _select(sel: Selector | etree._Element, css: str) -> list:
    """``sel.css(css)`` as elements (or strings for ``::attr()``), answered by crawler.extraction.css."""
    root = sel if isinstance(sel, etree._Element) else sel.root
    if isinstance(root, etree._Element):
        return select(root, css)
    return [s.root for s in sel.css(css)]


def text_of_first(sel: Selector | etree._Element, css: str | None) -> str | None:
    """The cleaned text of the first element matching ``css``, or None."""
    if not css:
        return None
    return first_text(_select(sel, css))


def first_text(found: list) -> str | None:
    """The first non-empty cleaned text of selected elements (or ``::attr()`` values), or None."""
    for root in found:
        text = text_of(root) if isinstance(root, etree._Element) else clean_text(str(root))
        if text:
            return text
    return None
