"""Choosing the charset of an HTML page whose declaration may lie.

Real Chinese pages declare gb2312 and use GBK or GB18030 characters, declare gb2312 and are UTF-8,
or declare nothing and are GBK (where w3lib falls back to cp1252 mojibake). The rule here: a BOM
wins; bytes that decode as UTF-8 are UTF-8 (GBK text practically never does); otherwise the
declaration, widened to its superset, if the bytes decode under it; otherwise charset-normalizer.
"""

from __future__ import annotations

import codecs
import re

from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response, TextResponse
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, resolve_encoding

# Legacy Chinese charsets are read as the superset every browser uses for them.
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "cp936": "gb18030",
    "hz": "gb18030",
    "big5": "big5hkscs",
    "cp950": "big5hkscs",
    "ascii": "utf-8",
    "latin-1": "utf-8",
    "iso8859-1": "utf-8",
    "cp1252": "utf-8",
}
_BOMS = [
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]
# How much of the body charset-normalizer looks at: enough text to be sure, bounded cost.
_SNIFF_BYTES = 64 * 1024


def superset(encoding: str | None) -> str | None:
    """The Python codec to decode a declared charset with (gb2312 → gb18030, big5 → big5hkscs)."""
    if not encoding:
        return None
    name = resolve_encoding(encoding)
    if name is None:
        return None
    return _SUPERSETS.get(name, name)


def declared_encoding(body: bytes, content_type: str | None = None) -> str | None:
    """The charset the HTTP header or, failing that, the page's ``<meta>`` declares."""
    return http_content_type_encoding(content_type) or html_body_declared_encoding(body)


def _decodes(body: bytes, encoding: str) -> bool:
    try:
        body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def detect_encoding(body: bytes, content_type: str | None = None) -> str:
    """The codec that decodes ``body`` as its author meant it."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return encoding
    if _decodes(body, "utf-8"):
        return "utf-8"
    declared = superset(declared_encoding(body, content_type))
    if declared and declared != "utf-8" and _decodes(body, declared):
        return declared
    guessed = _guess(body)
    if guessed:
        return guessed
    # Nothing decodes cleanly: keep the declaration (or GB18030, the likeliest for a Chinese page)
    # and let the decoder replace the few bad bytes rather than lose the page.
    return declared or "gb18030"


def _guess(body: bytes) -> str | None:
    from charset_normalizer import from_bytes

    sample = body[:_SNIFF_BYTES]
    best = from_bytes(sample, cp_isolation=["utf_8", "gb18030", "big5hkscs", "utf_16", "cp1252"]).best()
    if best is None:
        return None
    return superset(best.encoding) or best.encoding


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """``(text, encoding)`` for a page's bytes; undecodable bytes become U+FFFD, never an error."""
    encoding = detect_encoding(body, content_type)
    return body.decode(encoding, errors="replace"), encoding


# Magic numbers of files that servers label text/html by mistake.
_MAGIC = [
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "gzip data"),
    (b"RIFF", "a RIFF (WebP/WAV/AVI) file"),
    (b"\x00\x00\x00", "binary data"),
]


def binary_kind(body: bytes) -> str | None:
    """Why ``body`` is not an HTML page (``"empty page"``, ``"not html: a PNG image"``), or None."""
    if not body.strip():
        return "empty page"
    for magic, kind in _MAGIC:
        if body.startswith(magic):
            return f"not html: {kind}"
    head = body[:4096]
    # NUL bytes are rare in text; UTF-16 text has them in every other byte but starts with a BOM.
    if head.count(b"\x00") > len(head) // 10 and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "not html: binary data"
    return None


# libxml2's HTML parser checks each attribute of an element against the ones before it: an element
# with 100,000 attributes takes it minutes (50,000: ~20 s), and nothing can interrupt a parse.
# Only a tag of 16 KB or more can hold thousands of attributes; a big one of a real page (an
# inline data: image, a JSON attribute) holds a few.
# A start tag, its quoted values read whole ("title='>'" does not end it); group 1: after its name.
_TAG = re.compile(rb"""<[A-Za-z][^\s<>/]*+((?:[^<>"']++|"[^"]*+"|'[^']*+')*+)""")
_LONG = 16384
# An attribute with a value, quoted or bare (a quoted value may hold "=" and spaces); what is not
# name=value (the words of a script the pattern strays into) is not counted.
_ATTRIBUTE = re.compile(rb"""[^\s"'>/=]+\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]*)""")
#: The parse cost allowed for long tags, as attributes squared: one element of 5,000 (~0.06 s).
_MAX_ATTRIBUTE_COST = 5000**2


def markup_problem(body: bytes) -> str | None:
    """Why ``body`` cannot be parsed in reasonable time (elements with thousands of attributes), or None."""
    # An element of n attributes holds n "=": a page with few is done with in a C count.
    if len(body) < _LONG or body.count(b"=") <= 5000:
        return None
    cost = 0
    most = 0
    for match in _TAG.finditer(body):
        if match.end(1) - match.start(1) < _LONG:
            continue
        count = len(_ATTRIBUTE.findall(match.group(1)))
        cost += count * count
        most = max(most, count)
        if cost > _MAX_ATTRIBUTE_COST:
            return f"markup too complex to parse: an element with {most:,} attributes"
    return None


#: Request meta key: the page's bytes go to an extraction worker, which decides its charset (and
#: refuses unparsable markup) itself; the crawl's process never decodes it.
DECODED_IN_WORKER = "caiji_decoded_in_worker"


class CharsetMiddleware:
    """Decodes HTML by what its bytes are, not only by what it declares (see :func:`detect_encoding`);
    refuses markup the parser would take minutes over.

    Scrapy trusts the header, then the ``<meta>``; real Chinese pages lie in both. The encoding
    chosen here is the one ``scrapy extract`` uses too, so a saved page reads as it crawled.
    """

    def process_response(self, request, response: Response, spider=None) -> Response:
        if not isinstance(response, HtmlResponse) or request.meta.get(DECODED_IN_WORKER):
            return response
        problem = markup_problem(response.body)
        if problem:
            # Parsing it would hold the crawl for minutes (the spider's errback records it).
            raise IgnoreRequest(problem)
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        encoding = detect_encoding(response.body, content_type)
        if encoding != response.encoding:
            return response.replace(encoding=encoding)
        return response


def is_html(response: Response) -> bool:
    """True for a response Scrapy decoded as HTML or XHTML."""
    return isinstance(response, TextResponse) and isinstance(response, HtmlResponse)
