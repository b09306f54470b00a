"""Reading article times as portals print them, into ISO 8601 with the site's offset.

dateparser costs 0.5–2.5 ms a call and returns None for labelled times such as
``更新时间:2025-03-31 13:17:35``, so the shapes portals actually print are matched here first
and dateparser only sees what is left.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

_SEP = r"\s*[-/.]\s*"
# Runs of white space are matched possessively (``\s*+``) wherever optional parts meet: a date
# followed by hundreds of spaces (indented markup, a meta content) must not backtrack through them.
# A weekday printed between the date and the time (2025年3月31日 星期一 10:20, 2025-03-31 周一 10:20).
_WEEKDAY = r"(?:\s*+[(（]?\s*+(?:星期|礼拜|禮拜|周|週)[一二三四五六日天]\s*+[)）]?)?"
# 上午/下午 (a.m./p.m.) before the hour, as Taiwan, Hong Kong and many forum pages print it.
_MERIDIEM = r"(?:(?P<mer>上午|下午|中午|晚上|晚间|晚間|夜间|夜間|凌晨|早上|早晨|清晨|傍晚|[AaPp]\.?[Mm]\.?(?![A-Za-z]))\s*+)?"
_TIME = (
    # The time may follow the date after "T", a space, 日, a comma or a dash (2025-03-31-13:17:35,
    # as some government sites' metadata writes it); after 时/点 the minutes may be left out
    # (下午3点).
    r"(?:"
    + _WEEKDAY
    + r"\s*+(?:T|日|-|,|，|at\s)?\s*+"
    + _MERIDIEM
    + r"(?P<H>\d{1,2})\s*+(?:[:：]\s*+(?P<M>\d{1,2})|[时時点點](?:\s*+(?P<M2>\d{1,2}))?)(?:\s*+[:：分]\s*+(?P<S>\d{1,2}))?"
    r"(?:\s*+(?P<ampm>[AaPp]\.?[Mm]\.?)(?![A-Za-z]))?)?"
)
# GMT and UTC written out (RFC 2822 metadata) are offset zero; a zone named otherwise is left to
# dateparser, which knows them (see _NAMED_ZONE_REFUSED).
_ZONE = r"(?:\s*+(?P<Z>Z|UTC|GMT|[+-]\d{2}:?\d{2}))?"
# A time and zone after an English date, taken whole: when a zone named in letters other than
# GMT/UTC follows (EST, CST), no match, and dateparser reads the line with its zone.
_NAMED_ZONE_REFUSED = r"(?>" + _TIME + _ZONE + r")(?!\s*[A-Z]{2,5}\b)"
_MONTHS = (
    r"Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?"
    r"|Nov(?:ember)?|Dec(?:ember)?"
)
_MONTH_NUMBERS = {
    name: i for i, name in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)
}
_ABSOLUTE = [
    # 2025-03-31 13:17:35, 2025/3/31 13:17, 2025.03.31, 2025-03-31T13:17:35+08:00
    re.compile(
        r"(?<!\d)(?P<y>(?:19|20)\d{2})"
        + _SEP
        + r"(?P<m>\d{1,2})"
        + _SEP
        + r"(?P<d>\d{1,2})(?!\d)"
        + _TIME
        + r"(?:\.\d+)?"
        + _ZONE
    ),
    # 2025年3月31日 13:17, 2025年03月31日13时17分
    re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号號]?" + _TIME),
    # 9/17/2004 5:54:13 AM (month first, as English-language software prints it)
    re.compile(r"(?<![\d/])(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>(?:19|20)\d{2})(?!\d)" + _TIME),
    # 20250331 13:17 (compact, only with a time, to avoid ids)
    re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})(?P<m>[01]\d)(?P<d>[0-3]\d)\s+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?"),
    # 民國113年5月20日, 113年5月20日 (Taiwan's Republic era years: 1911 + the year shown)
    re.compile(
        r"(?:(?:(?:中華|中华)?(?:民國|民国))\s*(?P<roc>\d{2,3})|(?<![\d.])(?P<roc3>1[0-4]\d))\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号號]"
        + _TIME
    ),
    # May 20, 2024 10:20 AM; 20 May 2024 10:20:00 +0800; Mon, 20 May 2024 (RFC 2822 metadata)
    re.compile(
        r"(?<![A-Za-z])(?P<mon>"
        + _MONTHS
        + r")(?![a-z])\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>(?:19|20)\d{2})(?!\d)"
        + _NAMED_ZONE_REFUSED
    ),
    re.compile(
        r"(?<!\d)(?P<d>\d{1,2})\s+(?P<mon>" + _MONTHS + r")(?![a-z])\.?,?\s+(?P<y>(?:19|20)\d{2})(?!\d)" + _NAMED_ZONE_REFUSED
    ),
]
_MONTH_FIRST = _ABSOLUTE[2]
# Month and day without a year (03-31 13:17, 3月31日 13:17): the year is the fetch year, or the one
# before when that would put the article in the future.
_NO_YEAR = re.compile(
    r"(?<![\d年])(?<!\d\d\d[-/.])(?P<m>\d{1,2})\s*(?:[-/]|月)\s*(?P<d>\d{1,2})\s*[日号號]?\s++"
    + _MERIDIEM
    + r"(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?"
)
_AGO = re.compile(
    r"(?P<n>\d+|半|一|两|兩|几|幾)\s*+(?:个|個)?\s*+(?P<unit>秒|分钟|分鐘|分|小时|小時|钟头|鐘頭|天|日|周|週|星期|个月|個月|月|年)\s*(?:之)?前"
)
_DAY_WORD = re.compile(
    r"(?P<word>今天|今日|昨天|昨日|前天|前日)\s*(?:"
    + _MERIDIEM
    + r"(?P<H>\d{1,2})\s*[:：]\s*(?P<M>\d{2})(?:\s*[:：]\s*(?P<S>\d{2}))?)?"
)
_YEAR_MONTH = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*年\s*(?P<m>\d{1,2})\s*月")
_UNIX_TIME = re.compile(r"\d{10}(?:\d{3})?")
_JUST_NOW = re.compile(r"刚刚|剛剛|刚才|剛才")
_UNIT_SECONDS = {
    "秒": 1,
    "分钟": 60,
    "分鐘": 60,
    "分": 60,
    "小时": 3600,
    "小時": 3600,
    "钟头": 3600,
    "鐘頭": 3600,
    "天": 86400,
    "日": 86400,
    "周": 604800,
    "週": 604800,
    "星期": 604800,
    "个月": 30 * 86400,
    "個月": 30 * 86400,
    "月": 30 * 86400,
    "年": 365 * 86400,
}
_WORD_NUMBERS = {"半": 0.5, "一": 1, "两": 2, "兩": 2, "几": 3, "幾": 3}
_DAY_OFFSETS = {"今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "前天": 2, "前日": 2}


@lru_cache(maxsize=64)
def zone(name: str) -> tzinfo:
    """The tzinfo for an IANA name or a fixed offset such as ``+08:00``."""
    if re.fullmatch(r"[+-]\d{2}:?\d{2}", name):
        return _offset(name)
    return ZoneInfo(name)


def _offset(text: str) -> tzinfo:
    if text in ("Z", "UTC", "GMT"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def isoformat(moment: datetime) -> str:
    """ISO 8601 with seconds and offset, no microseconds: ``2025-03-31T13:17:35+08:00``."""
    offset = moment.utcoffset()
    if offset is not None and offset % timedelta(minutes=1) and moment.tzinfo is not None:
        # Before standard time a zone's offset is local mean time (Shanghai before 1901:
        # +08:05:43), which ISO 8601 cannot write; a page printing an old date means its clock
        # time in the zone's present offset.
        present = moment.tzinfo.utcoffset(datetime.now()) or timedelta(0)
        moment = moment.replace(tzinfo=timezone(present))
    return moment.replace(microsecond=0).isoformat()


def utc_isoformat(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``: ``2026-11-29T01:02:03Z``."""
    return moment.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def read_iso_time(value: object) -> datetime | None:
    """An ISO 8601 time from a record or manifest as an aware datetime (UTC when it names no
    offset); None when it is missing or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _build(
    tz: tzinfo, y: int, m: int, d: int, hh: str | None, mm: str | None, ss: str | None, zone_text: str | None
) -> datetime | None:
    try:
        moment = datetime(y, m, d, int(hh or 0), int(mm or 0), int(ss or 0))
        return moment.replace(tzinfo=_offset(zone_text) if zone_text else tz)
    except ValueError:
        return None  # no such day or hour, or an offset of a day or more (+99:99)


def parse_time(
    text: str | None, tz: tzinfo | str = "Asia/Shanghai", now: datetime | None = None, *, fallback: bool = True
) -> datetime | None:
    """The first article time in ``text`` as an aware datetime, or None.

    ``tz`` is the site's timezone for times printed without an offset; ``now`` (aware, default the
    current time) resolves relative times such as ``3小时前`` and ``昨天 08:30``.
    """
    if not text:
        return None
    if isinstance(tz, str):
        tz = zone(tz)
    text = text.strip()
    found = _absolute(text, tz)
    if found:
        return found
    if _UNIX_TIME.fullmatch(text):
        # A page's script or data attribute giving the time as seconds (or milliseconds) since 1970.
        seconds = int(text) / (1000 if len(text) == 13 else 1)
        return datetime.fromtimestamp(seconds, UTC).replace(microsecond=0)
    now = (now or datetime.now(UTC)).astimezone(tz)
    match = _AGO.search(text)
    if match:
        n = match["n"]
        count = _WORD_NUMBERS.get(n) or float(n)
        try:
            return (now - timedelta(seconds=count * _UNIT_SECONDS[match["unit"]])).replace(microsecond=0)
        except (OverflowError, ValueError):
            return None  # 99999999999小时前: before the year 1, no time at all
    match = _DAY_WORD.search(text)
    if match:
        day = now.date() - timedelta(days=_DAY_OFFSETS[match["word"]])
        if match["H"] is None:
            return datetime(day.year, day.month, day.day, tzinfo=tz)
        return _build(tz, day.year, day.month, day.day, _hour(match.groupdict()), match["M"], match["S"], None)
    if _JUST_NOW.search(text):
        return now.replace(microsecond=0)
    match = _NO_YEAR.search(text)
    if match:
        hour = _hour(match.groupdict())
        found = _build(tz, now.year, int(match["m"]), int(match["d"]), hour, match["M"], match["S"], None)
        if found and found > now + timedelta(days=1):
            found = _build(tz, now.year - 1, int(match["m"]), int(match["d"]), hour, match["M"], match["S"], None)
        return found
    match = _YEAR_MONTH.search(text)
    if match and fallback:
        # Only a month is shown (magazine issues: 1998年3月号): its first day.
        return _build(tz, int(match["y"]), int(match["m"]), 1, None, None, None, None)
    return _dateparser(text, tz, now) if fallback else None


@lru_cache(maxsize=4096)
def _absolute(text: str, tz: tzinfo) -> datetime | None:
    """A time with its full date in ``text``; cached, as lists print the same dates over and over."""
    for pattern in _ABSOLUTE:
        match = pattern.search(text)
        if match:
            g = match.groupdict()
            hour = _hour(g)
            year = int(g["y"]) if g.get("y") else 1911 + int(g.get("roc") or g["roc3"])
            month = _MONTH_NUMBERS[g["mon"][:3]] if g.get("mon") else int(g["m"])
            minute = g.get("M") or g.get("M2")
            found = _build(tz, year, month, int(g["d"]), hour, minute, g.get("S"), g.get("Z"))
            if found is None and pattern is _MONTH_FIRST and int(g["m"]) > 12:
                # 31/03/2025: no month 31, so the day comes first (as most of the world prints it).
                found = _build(tz, year, int(g["d"]), int(g["m"]), hour, minute, g.get("S"), g.get("Z"))
            if found:
                return found
    return None


_AFTERNOON = frozenset({"下午", "傍晚"})
_NIGHT = frozenset({"晚上", "晚间", "晚間", "夜间", "夜間"})
_MORNING = frozenset({"上午", "凌晨", "早上", "早晨", "清晨"})


def _hour(g: dict[str, str | None]) -> str | None:
    """The hour on a 24-hour clock, from an hour printed with 上午/下午 or AM/PM (before or after)."""
    hour = g.get("H")
    marker = g.get("mer") or g.get("ampm")
    if hour is None or marker is None:
        return hour
    h = int(hour)
    letters = marker.replace(".", "").lower()
    if marker in _NIGHT:
        # 晚上8点 is 20:00; 晚上12点 is midnight and 晚上1点 one in the morning.
        return str(0 if h == 12 else h if h < 5 else h + 12 if h < 12 else h)
    if marker in _AFTERNOON or letters == "pm":
        return str(h + 12 if h < 12 else h)
    if marker == "中午":
        return str(h + 12 if h < 6 else h)  # 中午1点 is 13:00, 中午12点 noon
    if marker in _MORNING or letters == "am":
        return str(0 if h == 12 else h)
    return hour


def _dateparser(text: str, tz: tzinfo, now: datetime) -> datetime | None:
    if len(text) > 80 or not re.search(r"\d", text):
        return None
    import dateparser  # imported on first need: it takes ~150 ms to load its language data

    settings = {
        "RELATIVE_BASE": now.replace(tzinfo=None),
        "TIMEZONE": str(tz),
        "RETURN_AS_TIMEZONE_AWARE": True,
        "PREFER_DATES_FROM": "past",
    }
    try:
        found = dateparser.parse(text, languages=["zh", "en"], settings=settings)
    except Exception:  # dateparser raises assorted errors on odd input; a miss is not a failure
        return None
    if not found:
        return None
    local = found.replace(tzinfo=tz)
    if found.utcoffset() is not None and abs(local.utcoffset() - found.utcoffset()) < timedelta(minutes=1):
        # The site's zone as dateparser's pytz sees it, which rounds an old local mean time to the
        # minute (+08:06, zoneinfo's +08:05:43): the clock time shown, in the site's zone.
        found = local
    return found.replace(microsecond=0)


def parse_date(text: str | None, tz: tzinfo | str = "Asia/Shanghai", now: datetime | None = None) -> str | None:
    """A date shown in a list (``2025-03-31``, ``3小时前``): ISO date, or date-time when a time is shown."""
    if not text:
        return None
    if isinstance(tz, str):
        tz = zone(tz)
    shown = _absolute_shown(text.strip(), tz)
    if shown is not None:
        return shown
    moment = parse_time(text, tz, now, fallback=False)
    return _shown(text, moment) if moment is not None else None


@lru_cache(maxsize=4096)
def _absolute_shown(text: str, tz: tzinfo) -> str | None:
    """What :func:`parse_date` gives for a full date, which does not depend on the time of the
    crawl; cached, as each related list prints the same dates as the last page's."""
    moment = _absolute(text, tz)
    return _shown(text, moment) if moment is not None else None


_SHOWS_TIME = re.compile(r"\d{1,2}\s*[:：时時]\s*\d{2}")


def _shown(text: str, moment: datetime) -> str:
    """``moment`` as precisely as ``text`` shows it: ISO date-time with a time, else ISO date."""
    if _SHOWS_TIME.search(text) or _AGO.search(text):
        return isoformat(moment)
    return date(moment.year, moment.month, moment.day).isoformat()
