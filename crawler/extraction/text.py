"""Text cleaning shared by the loaders and the cleaning pipeline (SPEC §1)."""

from __future__ import annotations

import html
import re

# Zero-width characters, BOMs, soft hyphens and C0/C1 controls (tab and newline are spacing,
# handled by the white-space rule below).
_INVISIBLE_CHARS = "\u00ad\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\ufeff\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_INVISIBLE = re.compile(f"[{_INVISIBLE_CHARS}]")
# A damaged page can hold "<" + BOMs + "/p>": text to the parser, but a tag once the invisible
# characters are dropped; it goes with them.
_HIDDEN_TAG = re.compile(f"<[{_INVISIBLE_CHARS}]+/?[A-Za-z][A-Za-z0-9]*(?:\\s[^<>]{{0,200}})?/?>")


def clean_text(value: str | None) -> str:
    """Decode entities, drop invisible characters, collapse white space to one space, strip."""
    if not value:
        return ""
    if "&" in value:
        value = html.unescape(value)
    # Most text is clean already (it was cleaned when extracted). Every invisible character and
    # every white space but the space is unprintable to str.isprintable(), a C scan several
    # times faster than a regex search: printable text with single inner spaces is left as is.
    if value.isprintable() and "  " not in value and value[:1] != " " and value[-1:] != " ":
        return value
    # str.split() splits at the characters \s matches (both ask str.isspace()), and faster.
    if "<" in value:
        value = _HIDDEN_TAG.sub("", value)
    return " ".join(_INVISIBLE.sub("", value).split())


def clean_optional(value: str | None) -> str | None:
    """Like :func:`clean_text`, but an empty result is ``None`` (a value the page does not have)."""
    cleaned = clean_text(value)
    return cleaned or None


def clean_paragraphs(text: str | None) -> str:
    """Clean each line of a multi-paragraph text; drop empty lines."""
    if not text:
        return ""
    lines = (clean_text(line) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def is_cjk(char: str) -> bool:
    """True for a Han ideograph (CJK unified, extension A, compatibility ideographs)."""
    code = ord(char)
    return 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF or 0x20000 <= code <= 0x2FA1F
