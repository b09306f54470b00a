"""Script detection and conversion with OpenCC (``CAIJI_SCRIPT_TARGET``), and the content hash."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from itemadapter import ItemAdapter
from opencc import OpenCC
from scrapy.crawler import Crawler

from crawler.extraction.items import FinishedArticle, content_hash
from crawler.extraction.text import is_cjk

#: CAIJI_SCRIPT_TARGET → OpenCC configuration.
CONFIGS = {"hans": "t2s", "hant": "s2t", "tw": "s2tw", "hk": "s2hk", "none": None}
#: Fewer distinct script-specific characters than this: too little to tell (``none``).
MIN_EVIDENCE = 5
#: The smaller side at or above this share of the two: ``mixed``.
MIXED_SHARE = 0.2


def text_values(item: ItemAdapter) -> Iterator[str]:
    """Every converted text value of a record (SPEC §1: not URLs, not timestamp_raw)."""
    for field in ("title", "author", "source", "body"):
        if item.get(field):
            yield item[field]
    yield from item.get("breadcrumbs") or []
    for image in item.get("images") or []:
        yield from (v for v in (image.get("alt"), image.get("caption")) if v)
    for link in item.get("related_links") or []:
        yield from (v for v in (link.get("title"), link.get("summary")) if v)


class ScriptDetector:
    """Tells Simplified from Traditional by the distinct characters each conversion changes."""

    #: Characters remembered before the memory is emptied (it holds distinct characters only).
    MAX_KNOWN = 200_000
    #: Newly learnt characters that make the character-class patterns be compiled again.
    RECOMPILE_AFTER = 64

    def __init__(self) -> None:
        self._t2s = OpenCC("t2s")
        self._s2t = OpenCC("s2t")
        # Each character is converted once per process, not twice per record: every character
        # seen, and of those the Han ones, the ones t2s changes and the ones s2t changes.
        self._seen: set[str] = set()
        self._han: set[str] = set()
        self._traditional: set[str] = set()
        self._simplified: set[str] = set()
        # The same sets as regex character classes, compiled from time to time: scanning a text
        # with them costs far less than making a one-character string of each of its characters.
        # Characters learnt since the last compile are looked up in the sets.
        self._pending = 0
        self._compile()

    def _compile(self) -> None:
        def char_class(chars: set[str], negate: bool = False) -> re.Pattern[str]:
            body = "".join(re.escape(c) for c in sorted(chars))
            if negate:
                return re.compile(f"[^{body}]" if body else r"[\s\S]")
            return re.compile(f"[{body}]" if body else r"(?!)")

        # One scan finds what matters in a text: characters not seen when compiled, and the
        # script-specific ones (all but the seen characters both conversions leave alone).
        self._marked_re = char_class(self._seen - self._traditional - self._simplified, negate=True)
        self._han_re = char_class(self._han)
        self._compiled_seen = set(self._seen)
        self._pending = 0

    def changes(self, converter: OpenCC, chars: list[str]) -> list[bool]:
        """For each character, whether ``converter`` changes it."""
        # One call for all characters; a newline between them keeps OpenCC's phrase tables from
        # joining neighbours, so each character converts alone.
        converted = converter.convert("\n".join(chars)).split("\n")
        found = [a != b for a, b in zip(chars, converted, strict=False)]
        return found + [False] * (len(chars) - len(found))

    def changed(self, converter: OpenCC, chars: list[str]) -> int:
        """How many of ``chars`` ``converter`` changes."""
        return sum(self.changes(converter, chars))

    def _learn(self, chars: set[str]) -> None:
        han = sorted(c for c in chars if is_cjk(c))
        self._seen.update(chars)
        if han:
            self._han.update(han)
            self._traditional.update(c for c, changed in zip(han, self.changes(self._t2s, han), strict=True) if changed)
            self._simplified.update(c for c, changed in zip(han, self.changes(self._s2t, han), strict=True) if changed)
        self._pending += len(chars)

    def detect(self, texts: Iterable[str]) -> str:
        """``hans``, ``hant``, ``mixed`` or ``none`` for the text of one record."""
        if len(self._seen) > self.MAX_KNOWN:
            for known in (self._seen, self._han, self._traditional, self._simplified):
                known.clear()
            self._compile()
        text = "\n".join(texts)
        marked = set(self._marked_re.findall(text))
        # The characters the patterns do not know yet: learnt now if never seen.
        fresh = marked - self._compiled_seen
        new = fresh - self._seen
        if new:
            self._learn(new)
        if not (self._han_re.search(text) or not fresh.isdisjoint(self._han)):
            return "none"
        traditional = len(marked & self._traditional)
        simplified = len(marked & self._simplified)
        if self._pending >= self.RECOMPILE_AFTER:
            self._compile()
        total = traditional + simplified
        if total < MIN_EVIDENCE:
            return "none"
        if min(traditional, simplified) >= MIXED_SHARE * total:
            return "mixed"
        return "hant" if traditional > simplified else "hans"


class ScriptConverter:
    """Converts a record's text values in place to one target script."""

    #: One-line texts remembered with their conversion before the memory is emptied (~3 MB).
    MAX_KNOWN = 10_000

    def __init__(self, target: str) -> None:
        if target not in CONFIGS:
            raise ValueError(f"CAIJI_SCRIPT_TARGET must be one of {', '.join(CONFIGS)}, not {target!r}")
        self.target = None if target == "none" else target
        self._opencc = OpenCC(CONFIGS[target]) if self.target else None
        self._known: dict[str, str] = {}

    def convert(self, text: str | None) -> str | None:
        """``text`` in the target script (unchanged with target ``none``)."""
        if not text or self._opencc is None:
            return text
        return self._opencc.convert(text)

    def convert_all(self, texts: list[str | None]) -> list[str | None]:
        """:meth:`convert` of each of ``texts``, with one OpenCC call for all one-line texts.

        Joining them with newlines changes nothing: OpenCC's dictionaries are line-based, so no
        entry spans a newline (the detector relies on the same). A text with a newline of its own
        (the body) is converted alone.
        """
        if self._opencc is None:
            return list(texts)
        # Headlines, teasers and breadcrumbs of related lists come back on page after page: a
        # one-line text is converted once and remembered.
        known = self._known
        if len(known) > self.MAX_KNOWN:
            known.clear()
        fresh = list({text for text in texts if text and "\n" not in text and text not in known})
        if fresh:
            converted = self._opencc.convert("\n".join(fresh)).split("\n")
            if len(converted) != len(fresh):  # never expected; convert one by one rather than misplace
                converted = [self.convert(text) for text in fresh]
            known.update(zip(fresh, converted, strict=True))
        # Empty values stay as they are; a text with newlines of its own is converted alone.
        return [(known[text] if "\n" not in text else self.convert(text)) if text else text for text in texts]

    def convert_item(self, item: ItemAdapter) -> None:
        """Convert every text value of ``item`` (SPEC §1) in place."""
        if self._opencc is None:
            return
        fields = ("title", "author", "source", "body")
        crumbs = list(item.get("breadcrumbs") or [])
        images = item.get("images") or []
        links = item.get("related_links") or []
        texts = [item.get(field) for field in fields] + crumbs
        for image in images:
            texts += [image.get("alt"), image.get("caption")]
        for link in links:
            texts += [link.get("title"), link.get("summary")]
        done = iter(self.convert_all(texts))
        for field in fields:
            item[field] = next(done)
        item["breadcrumbs"] = [next(done) for _ in crumbs]
        for image in images:
            image["alt"], image["caption"] = next(done), next(done)
        for link in links:
            link["title"], link["summary"] = next(done), next(done)


class ScriptPipeline:
    """Records the page's script, converts to ``CAIJI_SCRIPT_TARGET``, then hashes the content."""

    def __init__(self, target: str) -> None:
        self.detector = ScriptDetector()
        self.converter = ScriptConverter(target)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ScriptPipeline:
        return cls((crawler.settings.get("CAIJI_SCRIPT_TARGET") or "none").strip().lower())

    def process_item(self, item):
        if isinstance(item, FinishedArticle):
            return item
        adapter = ItemAdapter(item)
        adapter["script"] = {"detected": self.detector.detect(text_values(adapter)), "target": self.converter.target}
        self.converter.convert_item(adapter)
        if adapter.get("title") is not None and adapter.get("body") is not None:
            adapter["content_hash"] = content_hash(adapter["title"], adapter["body"])
        return item
