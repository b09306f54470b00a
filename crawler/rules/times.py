"""Deciding an article's time between sources of evidence that may disagree.

caiji's own readers give the metadata's time (JSON-LD, ``<meta>``, ``<time>``) and the page's lines
that show a time, each scored (:func:`crawler.rules.bylines.time_candidates`). When they are weak
or disagree, two more sources are asked: the date in the page's address, and htmldate's reading of
the page (the date library trafilatura is built on). A time agreed on by more sources wins; the
text shown on the page is kept whenever one shows the chosen day, for its hour, minute and second.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from urllib.parse import unquote, urlsplit

from lxml import etree

from crawler.extraction.dates import parse_time, zone
from crawler.rules.bylines import STRONG_TIME

logger = logging.getLogger(__name__)

# /2025/03/31/, /2025-03-31/, /2025-03/31/, /20250331/, t20250331_123.html: a year from 1990 and a real month
# and day, not inside a longer run of digits (an id).
_URL_DATE = re.compile(r"(?<!\d)((?:199|20[0-4])\d)[/_.-]?(0[1-9]|1[0-2])[/_.-]?(0[1-9]|[12]\d|3[01])(?!\d)")
#: How many of the best visible candidates may be chosen over the best one by agreement.
_AGREEMENT_DEPTH = 5
# Earlier than this no web page was published.
_EARLIEST = date(1991, 1, 1)


def url_date(url: str | None) -> date | None:
    """The publication day written in an article's address (``/2025/03/31/``, ``/20250331/``,
    ``t20250331_…``), or None."""
    if not url:
        return None
    path = unquote(urlsplit(url).path)
    for match in _URL_DATE.finditer(path):
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            continue
    return None


# A publication time that a page's own scripts hold and write into the page when it runs
# (WeChat's 公众号 articles, pages rendered from a data object: ``"newsTime":"2022-06-02 09:52:19"``,
# ``var ct = "1659274471"``): its key names a publication, and its value is a date-time or a Unix time.
_SCRIPT_TIME = re.compile(
    r"""(?<![A-Za-z0-9_$])["']?(?P<key>(?:first_?)?publish(?:ed)?_?(?:time|date|at)|pub_?(?:time|date)|date_?published|"""
    r"""release_?(?:time|date)|news_?time)["']?\s*[:=]\s*"""
    r"""(?:["']?(?P<unix>\d{10}(?:\d{3})?)(?![\d.])|["'](?P<value>(?:19|20)\d{2}[-/年]\d{1,2}[-/月]\d{1,2}[^"'<>,;}\n\\]{0,20})["'])""",
    re.IGNORECASE,
)
# WeChat's older pages: var ct = "1659274471";
_SCRIPT_CT = re.compile(r"""\bvar\s+ct\s*=\s*["'](?P<unix>\d{10})["']""")
# WeChat sets its #publish_time element from a Unix time passed beside it: e(0,"1659274471",0,
# document.getElementById("publish_time")).
_SCRIPT_TIME_FOR_ELEMENT = re.compile(
    r"""["'](?P<value>\d{10})["'][^"';{}]{0,40}getElementById\(\s*["']publish_?time["']""", re.I
)


def script_time(root: etree._Element | None) -> str | None:
    """The publication time a page's scripts hold, as written there (a date-time or a Unix time):
    the first key that names a publication and whose every value in the scripts is the same time
    (a key repeated with other times belongs to a list of other articles)."""
    if root is None:
        return None
    by_key: dict[str, list[str]] = {}
    for script in root.getroottree().getroot().iter("script"):
        kind = (script.get("type") or "").lower()
        if "ld+json" in kind or not script.text:
            continue
        # JSON written by PHP escapes its slashes: "2022\/06\/02 09:52:19".
        text = script.text.replace("\\/", "/")
        found = _SCRIPT_TIME_FOR_ELEMENT.search(text) or _SCRIPT_CT.search(text)
        if found:
            return found.group(1)
        for match in _SCRIPT_TIME.finditer(text):
            value = (match["unix"] or match["value"]).strip()
            by_key.setdefault(match["key"].lower().replace("_", ""), []).append(value)
    for values in by_key.values():
        if len(set(values)) == 1 and parse_time(values[0], fallback=False):
            return values[0]
    return None


def _same_month(line: str | None, day: date, now: datetime) -> bool:
    """True without a year-and-month line, or when ``day`` falls in the month it shows."""
    if not line:
        return True
    shown = parse_time(line, now=now)
    return shown is None or (shown.year, shown.month) == (day.year, day.month)


def htmldate_day(root: etree._Element | None, url: str | None, now: datetime) -> date | None:
    """htmldate's original publication date of the page (its quick search: metadata, markup and
    the address, not every string of the text), or None."""
    if root is None:
        return None
    from lxml.html import HtmlElement

    document = root.getroottree().getroot()
    if not isinstance(document, HtmlElement):
        return None  # htmldate reads a str as a URL to download: only trees are handed over
    import htmldate  # imported on first need: most pages never ask it

    try:
        found = htmldate.find_date(
            document,
            extensive_search=False,
            original_date=True,
            url=url,
            outputformat="%Y-%m-%d",
            max_date=(now + timedelta(days=1)).strftime("%Y-%m-%d"),
        )
    except Exception as exc:  # a library's failure on one hostile page is a miss, not a crash
        logger.debug("htmldate failed on %s: %r", url, exc)
        return None
    if not found:
        return None
    try:
        return date.fromisoformat(found)
    except ValueError:
        return None


def decide(
    meta: str | None,
    candidates: list[tuple[float, str]],
    fallback_line: str | None,
    url: str | None,
    htmldate: Callable[[], date | None],
    now: datetime | None = None,
    tz: str = "Asia/Shanghai",
    script: str | None = None,
) -> str | None:
    """The raw text of the article's time, from the metadata's time ``meta``, the scored visible
    ``candidates`` (best first), a line with only a year and month ``fallback_line``, the
    address ``url`` and ``htmldate`` (called only when the others are weak or disagree); days are
    compared in the site's timezone ``tz``. ``script``, a weaker time (the page's scripts' or
    microdata's), counts as metadata where the page has none and it agrees with the best line
    shown, or, with none shown, where the address, htmldate and a year-and-month line do not
    contradict it.

    Strong evidence decides alone: the metadata's time when no strong visible line contradicts it,
    or a labelled line near the headline (unless the address's date names another candidate's
    day). Otherwise the visible candidate whose day the address or
    htmldate confirms wins; failing that the best as before; with no time shown at all, htmldate's
    or the address's date.
    """
    now = now or datetime.now(UTC)
    site_zone = zone(tz)

    def day(text: str | None) -> date | None:
        moment = parse_time(text, site_zone, now=now, fallback=False) if text else None
        if moment is None or moment > now + timedelta(days=1):
            return None
        # The day as the site shows it: metadata in UTC ("…T18:30:00Z") is the next morning in Beijing.
        local = moment.astimezone(site_zone).date()
        return local if local >= _EARLIEST else None

    candidates = [(score, text) for score, text in candidates if day(text) is not None]
    best = candidates[0] if candidates else None
    strong = best is not None and best[0] >= STRONG_TIME
    meta_day = day(meta)
    asked: dict[str, date | None] = {}

    def confirmations() -> set[date]:
        if "url" not in asked:
            asked["url"] = url_date(url)
        if asked["url"] is None and "htmldate" not in asked:
            # The address is read first: it costs nothing, and htmldate itself trusts it.
            asked["htmldate"] = htmldate()
        return {d for d in asked.values() if d is not None}

    if meta_day is None and script is not None:
        # Weaker than metadata: a script's key or a microdata mark may belong to a version, a
        # widget or a comment. It is taken where it agrees with the best line shown, or, with no
        # line shown, where the address, htmldate and a year-and-month line do not contradict it.
        script_day = day(script)
        if script_day is not None and (
            day(best[1]) == script_day
            if best is not None
            else (not confirmations() or script_day in confirmations()) and _same_month(fallback_line, script_day, now)
        ):
            meta, meta_day = script, script_day

    if meta_day is not None:
        if best is None:
            return meta
        best_day = day(best[1])
        if best_day == meta_day:
            # Metadata with a date only: the page shows the same day with its time.
            return best[1] if not re.search(r"\d{1,2}:\d{2}", meta) else meta
        if strong and best_day in confirmations() and meta_day not in confirmations():
            return best[1]  # metadata of another day (a template's, a modification's): the page wins
        return meta
    if strong:
        # The address's date costs nothing to read: a strong line of another day (a page's clock,
        # a list's newest date) gives way to a candidate of the address's day.
        address_day = url_date(url)
        if address_day is not None and day(best[1]) != address_day:
            for _score, text in candidates[1:_AGREEMENT_DEPTH]:
                if day(text) == address_day:
                    return text
        return best[1]
    if candidates:
        confirmed = confirmations()
        for _score, text in candidates[:_AGREEMENT_DEPTH]:
            if day(text) in confirmed:
                return text
        return best[1]
    if fallback_line:
        return fallback_line
    found = url_date(url) or htmldate()
    return found.isoformat() if found else None
