"""The time shapes portals print, and the traps around them."""

from datetime import UTC, datetime

import pytest

from crawler.extraction.dates import isoformat, parse_date, parse_time, utc_isoformat

NOW = datetime(2025, 4, 1, 2, 0, 0, tzinfo=UTC)  # 2025-04-01 10:00 in Shanghai
pytestmark = pytest.mark.pure


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("更新时间:2025-03-31 13:17:35", "2025-03-31T13:17:35+08:00"),
        ("发布时间：2025-03-31 13:17", "2025-03-31T13:17:00+08:00"),
        ("發佈時間：2025/3/31 08:05:09", "2025-03-31T08:05:09+08:00"),
        ("2025.03.31", "2025-03-31T00:00:00+08:00"),
        ("2025年3月31日 13:17", "2025-03-31T13:17:00+08:00"),
        ("2025年03月31日13时17分", "2025-03-31T13:17:00+08:00"),
        ("2025年3月31日", "2025-03-31T00:00:00+08:00"),
        ("2025-03-31T13:17:35+08:00", "2025-03-31T13:17:35+08:00"),
        ("2025-03-31T05:17:35Z", "2025-03-31T05:17:35+00:00"),
        ("2025-03-31T13:17:35.123+08:00", "2025-03-31T13:17:35+08:00"),
        ("来源：新华网 2025-03-31 13:17 作者：张三", "2025-03-31T13:17:00+08:00"),
        ("20250331 13:17", "2025-03-31T13:17:00+08:00"),
        # A weekday between the date and the time (issue 19: the time was lost, the day kept).
        ("2025年3月31日 星期一 13:17", "2025-03-31T13:17:00+08:00"),
        ("发布时间：2025-03-31 周一 13:17:35", "2025-03-31T13:17:35+08:00"),
        ("2025年03月31日（星期一）13:17", "2025-03-31T13:17:00+08:00"),
        # Day first where the month first is impossible (no month 31); month first otherwise.
        ("31/03/2025 13:17", "2025-03-31T13:17:00+08:00"),
        ("7/5/2005 9:23:57 PM", "2005-07-05T21:23:57+08:00"),
        ("3小時前", "2025-04-01T07:00:00+08:00"),
        ("3小时前", "2025-04-01T07:00:00+08:00"),
        ("25分钟前", "2025-04-01T09:35:00+08:00"),
        ("半小时前", "2025-04-01T09:30:00+08:00"),
        ("2天前", "2025-03-30T10:00:00+08:00"),
        ("昨天 08:30", "2025-03-31T08:30:00+08:00"),
        ("更新时间:昨天 08:30", "2025-03-31T08:30:00+08:00"),
        ("前天 23:10", "2025-03-30T23:10:00+08:00"),
        ("今天 09:15", "2025-04-01T09:15:00+08:00"),
        ("刚刚", "2025-04-01T10:00:00+08:00"),
        ("03-30 10:00", "2025-03-30T10:00:00+08:00"),
        ("12-30 10:00", "2024-12-30T10:00:00+08:00"),  # no year, would be in the future: last year
        # Before 1901 Shanghai kept local mean time (+08:05:43): the clock time, at today's offset.
        ("1900-01-01 00:00:00", "1900-01-01T00:00:00+08:00"),
        ("发布时间：25-03-31 13:17", "2025-03-31T13:17:00+08:00"),  # a two-digit year: month and day
        ("1899年3月1日", "1899-03-01T00:00:00+08:00"),
        ("Mar 1, 1899 10:00", "1899-03-01T10:00:00+08:00"),
        # Issue 19, third part (made shapes, no fold): 上午/下午 and AM/PM before the hour, Taiwan's
        # 民國 years, a dash between date and time (government CMS metadata), English month names,
        # Unix times from scripts.
        ("2025年3月31日 下午1:17", "2025-03-31T13:17:00+08:00"),
        ("2025/03/31 下午 01:17:35", "2025-03-31T13:17:35+08:00"),
        ("2025年3月31日 週一 下午1:17", "2025-03-31T13:17:00+08:00"),
        ("2025年3月31日 上午12:05", "2025-03-31T00:05:00+08:00"),
        ("2025年3月31日 中午12:30", "2025-03-31T12:30:00+08:00"),
        ("2025年3月31日 晚上8:30", "2025-03-31T20:30:00+08:00"),
        ("昨天 晚上8:30", "2025-03-31T20:30:00+08:00"),
        ("03-30 下午3:00", "2025-03-30T15:00:00+08:00"),
        ("2025/03/31 PM 01:17", "2025-03-31T13:17:00+08:00"),
        ("2025-03-31 01:17 p.m.", "2025-03-31T13:17:00+08:00"),
        ("民國114年3月31日 下午1:17", "2025-03-31T13:17:00+08:00"),
        ("中华民国114年3月31日", "2025-03-31T00:00:00+08:00"),
        ("發布日期：114年3月31日", "2025-03-31T00:00:00+08:00"),
        ("2025-03-31-13:17:35", "2025-03-31T13:17:35+08:00"),
        ("March 31, 2025 at 1:17 pm", "2025-03-31T13:17:00+08:00"),
        ("Mon, 31 Mar 2025 13:17:35 +0800", "2025-03-31T13:17:35+08:00"),
        ("31 March 2025", "2025-03-31T00:00:00+08:00"),
        ("1743398255", "2025-03-31T05:17:35+00:00"),
        ("1743398255000", "2025-03-31T05:17:35+00:00"),
        # From the review of the third round: zones written as words, hours without minutes, the
        # night's hours, and a run of spaces that used to make the patterns backtrack for seconds.
        ("Mon, 31 Mar 2025 13:17:35 GMT", "2025-03-31T13:17:35+00:00"),
        ("Mon, 31 Mar 2025 13:17:35 EST", "2025-04-01T02:17:35+08:00"),  # left to dateparser
        ("2025年3月31日 下午3点", "2025-03-31T15:00:00+08:00"),
        ("2025年3月31日 晚上12点30分", "2025-03-31T00:30:00+08:00"),
        ("2025年3月31日 晚上8点", "2025-03-31T20:00:00+08:00"),
        ("2025年3月31日 13时17分28秒", "2025-03-31T13:17:28+08:00"),
        ("2025-03-31" + " " * 2000 + "x", "2025-03-31T00:00:00+08:00"),
        ("3" + " " * 2000 + "个", None),
    ],
)
def test_shapes(text, expected):
    found = parse_time(text, "Asia/Shanghai", NOW)
    assert (isoformat(found) if found else None) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Copyright 2023-2025 - www.tftnews.com All Rights Reserved",  # copyright years are no date
        "浏览次数：12345",
        "",
        "2025-13-45 10:00",  # impossible date
        "99999999999小时前",  # before the year 1
        "0001-01-01 00:00:00",  # not "01-01 00:00:00" of this year
        "110年历史",  # a count of years, no 民國 date
        "Mayor 31, 2025",  # no month name
        "12345678901",  # eleven digits: an id, no Unix time
        "2025-03-31 10:20+99:99",  # an offset of more than a day: no time, not a crash
        "民国38年夏天",  # a 民國 year without month and day
    ],
)
def test_no_time(text):
    assert parse_time(text, "Asia/Shanghai", NOW, fallback=False) is None


def test_other_timezone():
    assert isoformat(parse_time("2025-03-31 13:17", "Asia/Taipei", NOW)) == "2025-03-31T13:17:00+08:00"
    assert isoformat(parse_time("2025-03-31 13:17", "+09:00", NOW)) == "2025-03-31T13:17:00+09:00"


def test_dateparser_fallback_for_other_shapes():
    assert isoformat(parse_time("March 3, 2024", "Asia/Shanghai", NOW)) == "2024-03-03T00:00:00+08:00"


def test_parse_date_keeps_what_is_shown():
    assert parse_date("2025-03-31") == "2025-03-31"
    assert parse_date("2025-03-31 13:17") == "2025-03-31T13:17:00+08:00"
    assert parse_date("3小时前", now=NOW) == "2025-04-01T07:00:00+08:00"
    assert parse_date("没有日期") is None


@pytest.mark.parametrize("text", ["2025-03-31", " 2025/3/31 13:17 ", "2025年3月31日", "发布于 2025-03-31 08:05:09"])
def test_parse_date_of_a_full_date_is_the_same_at_any_crawl_time(text):
    later = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_date(text, "Asia/Tokyo", NOW) == parse_date(text, "Asia/Tokyo", later)
    assert parse_date(text, "Asia/Tokyo") == isoformat_or_date(text)


def isoformat_or_date(text):
    moment = parse_time(text, "Asia/Tokyo", NOW)
    return isoformat(moment) if ":" in text else moment.date().isoformat()


def test_parse_date_of_a_relative_time_follows_the_crawl_time():
    later = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_date("3小时前", now=NOW) != parse_date("3小时前", now=later)
    assert parse_date("昨天 10:00", now=later) == "2025-12-31T10:00:00+08:00"


def test_utc_isoformat():
    assert utc_isoformat(datetime(2026, 11, 29, 9, 2, 3, 456, tzinfo=UTC)) == "2026-11-29T09:02:03Z"
