"""Charsets of real Chinese pages: lying declarations, GBK-only characters, BOMs, Big5."""

import codecs

import pytest

from crawler.extraction.charset import decode_html, detect_encoding, markup_problem, superset

TEXT = "深化民族团结进步创建工作，昭通市绥江县坚持以铸牢中华民族共同体意识为主线。" * 20
# 镕 and 珺 are in GBK but not in GB2312: a page declared gb2312 that uses them is really GBK.
GBK_ONLY = "朱镕基与王珺出席会议，强调要把各项工作落到实处。" * 20
# 𠮷 (U+20BB7) exists only in GB18030's four-byte range.
GB18030_ONLY = "吉野家的𠮷字在很多字体中显示为土字头。" * 20
TRADITIONAL = "深化民族團結進步創建工作，綏江縣堅持以鑄牢中華民族共同體意識為主線。" * 20

pytestmark = pytest.mark.pure


def page(text: str, meta: str | None, title: str = "标题") -> str:
    head = f'<meta charset="{meta}">' if meta else ""
    return f"<html><head>{head}<title>{title}</title></head><body><p>{text}</p></body></html>"


@pytest.mark.parametrize(
    ("html", "encoding", "expected"),
    [
        (page(TEXT, "utf-8"), "utf-8", "utf-8"),
        (page(TEXT, "gb2312"), "gb2312", "gb18030"),
        (page(GBK_ONLY, "gb2312"), "gbk", "gb18030"),
        (page(GB18030_ONLY, "gbk"), "gb18030", "gb18030"),
        (page(TEXT, None), "gbk", "gb18030"),  # undeclared GBK: not cp1252 mojibake
        (page(TEXT, "gb2312"), "utf-8", "utf-8"),  # declared gb2312, really UTF-8
        (page(TRADITIONAL, "big5", "標題"), "big5", "big5hkscs"),
        (page(TRADITIONAL, None, "標題"), "big5", "big5hkscs"),  # undeclared Big5
    ],
)
def test_detect(html, encoding, expected):
    body = html.encode(encoding)
    assert detect_encoding(body) == expected
    text, _ = decode_html(body)
    assert text == html


def test_bom_wins_over_declaration():
    html = page(TEXT, "gb2312")
    assert detect_encoding(codecs.BOM_UTF8 + html.encode("utf-8")) == "utf-8"
    assert detect_encoding(codecs.BOM_UTF16_LE + html.encode("utf-16-le")) == "utf-16"


def test_header_declaration_counts():
    body = page(TEXT, None).encode("gbk")
    assert detect_encoding(body, "text/html; charset=GB2312") == "gb18030"


def test_invalid_bytes_are_replaced_not_fatal():
    body = page(TEXT, "gb2312").encode("gbk") + b"\xff\xfe\x81"
    text, encoding = decode_html(body)
    assert encoding == "gb18030"
    assert TEXT in text


def test_superset():
    assert superset("GB2312") == "gb18030"
    assert superset("GBK") == "gb18030"
    assert superset("BIG5") == "big5hkscs"
    assert superset("no-such-charset") is None


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        # libxml2 takes minutes over one element with 100,000 attributes, and over many large ones.
        (b"<html><body><div " + b" ".join(b"a%d='x'" % i for i in range(100_000)) + b">x</div></body></html>", "100,000"),
        (b"<html><body>" + (b"<p " + b" ".join(b"a%d=1" % i for i in range(4000)) + b">x</p>") * 3 + b"</body></html>", "4,000"),
        # Big tags of real pages hold a few attributes: an inline image, a JSON attribute.
        (b"<html><body><img alt='x' src='data:image/png;base64," + b"QUJD" * 60_000 + b"=='></body></html>", None),
        (b"<html><body><div data-json='" + b'{"k":"v=1&w=2"}' * 10_000 + b"'>x</div></body></html>", None),
        (b"<html><body>" + b"<a href='/news/1.html?a=1&b=2'>x</a>" * 3000 + b"</body></html>", None),
        # A script is no tag, whatever "<" it holds: comparisons, a long array, minified code.
        (b"<script>for(i=0;i<series.length;i++){};var data=[" + b"1, " * 6000 + b"1];</script>", None),
        (b"<script>" + b"if(i<n){x0=y0+z0;}" * 60_000 + b"</script>", None),
        # Attributes written with ">" in a quoted value are counted all the same.
        (b"<div title='>' " + b" ".join(b"a%d='x'" % i for i in range(50_000)) + b">x</div>", "50,001"),
    ],
)
def test_markup_problem(body, problem):
    found = markup_problem(body)
    if problem is None:
        assert found is None
    else:
        assert found.startswith("markup too complex to parse") and problem in found
