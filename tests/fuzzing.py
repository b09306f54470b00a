"""Hostile inputs for property tests and ``bench/fuzz.py``: mutated pages and random bytes."""

from __future__ import annotations

import random

#: Charsets pages declare; random bytes are wrapped in a page declaring each.
CHARSETS = ("utf-8", "gb2312", "gbk", "gb18030", "big5", "utf-16", "iso-8859-1", "shift_jis", "no-such-charset", None)
_SNIPPETS = [
    b"<div>",
    b"</div>",
    b"<p>",
    b"</p>",
    b"<script>",
    b"<!--",
    b"<![CDATA[",
    b"&#x0;",
    b"&#xFFFFFF;",
    b"&amp",
    b"\x00",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"<meta charset='gbk'>",
    b"<h1>",
    b"<table><tr><td>",
    "发布时间：2025-13-45 99:99".encode(),
    "作者：".encode(),
    "推荐阅读".encode(),
    b"<img src='javascript:alert(1)'>",
    b"<a href='file:///etc/passwd'>",
    b"<link rel='canonical' href='data:text/html,x'>",
]


def page_with_bytes(payload: bytes, charset: str | None) -> bytes:
    """``payload`` as the body of a page that declares ``charset``."""
    meta = f'<meta charset="{charset}">'.encode() if charset else b""
    return (
        b"<html><head>"
        + meta
        + b"<title>t</title></head><body><h1>\xe6\xa0\x87\xe9\xa2\x98</h1><div><p>"
        + payload
        + b"</p></div></body></html>"
    )


def mutate(page: bytes, rng: random.Random, steps: int = 4) -> bytes:
    """A page damaged the ways real pages are: cut, spliced, duplicated, with junk inserted."""
    data = bytearray(page)
    for _ in range(rng.randint(1, steps)):
        if not data:
            data += rng.choice(_SNIPPETS)
            continue
        at = rng.randrange(len(data))
        choice = rng.random()
        if choice < 0.25:
            del data[at : at + rng.randint(1, 2000)]
        elif choice < 0.45:
            data[at:at] = rng.choice(_SNIPPETS) * rng.randint(1, 50)
        elif choice < 0.6:
            data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 300)))
        elif choice < 0.75:
            end = min(len(data), at + rng.randint(1, 3000))
            data[at:at] = data[at:end]
        elif choice < 0.85:
            del data[at:]
        else:
            data[at] = rng.randrange(256)
    return bytes(data)
