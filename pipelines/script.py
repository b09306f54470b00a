"""Script detection and conversion with OpenCC (``CAIJI_SCRIPT_TARGET``), and the content hash."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from itemadapter import ItemAdapter
from opencc import OpenCC
from scrapy.crawler import Crawler

from crawler.items import content_hash
from crawler.text import is_cjk

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

    def __init__(self) -> None:
        self._t2s = OpenCC("t2s")
        self._s2t = OpenCC("s2t")
        # Character → None (not Han), or (changed by t2s, changed by s2t): each character is
        # converted once per process, not twice per record.
        self._known: dict[str, tuple[int, int] | None] = {}

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

    def _learn(self, chars: Iterable[str]) -> None:
        known = self._known
        han = []
        for c in chars:
            if is_cjk(c):
                han.append(c)
            else:
                known[c] = None
        if han:
            for c, t2s, s2t in zip(han, self.changes(self._t2s, han), self.changes(self._s2t, han), strict=True):
                known[c] = (int(t2s), int(s2t))

    def detect(self, texts: Iterable[str]) -> str:
        """``hans``, ``hant``, ``mixed`` or ``none`` for the text of one record."""
        # Distinct characters first: a 15 MB body has a few thousand.
        distinct: set[str] = set()
        for text in texts:
            distinct.update(text)
        known = self._known
        if len(known) > self.MAX_KNOWN:
            known.clear()
        new = [c for c in distinct if c not in known]
        if new:
            self._learn(new)
        han = traditional = simplified = 0
        for c in distinct:
            flags = known.get(c)
            if flags is not None:
                han += 1
                traditional += flags[0]
                simplified += flags[1]
        if not han:
            return "none"
        total = traditional + simplified
        if total < MIN_EVIDENCE:
            return "none"
        if min(traditional, simplified) >= MIXED_SHARE * total:
            return "mixed"
        return "hant" if traditional > simplified else "hans"


class ScriptConverter:
    """Converts a record's text values in place to one target script."""

    def __init__(self, target: str) -> None:
        if target not in CONFIGS:
            raise ValueError(f"CAIJI_SCRIPT_TARGET must be one of {', '.join(CONFIGS)}, not {target!r}")
        self.target = None if target == "none" else target
        self._opencc = OpenCC(CONFIGS[target]) if self.target else None

    def convert(self, text: str | None) -> str | None:
        """``text`` in the target script (unchanged with target ``none``)."""
        if not text or self._opencc is None:
            return text
        return self._opencc.convert(text)

    def convert_item(self, item: ItemAdapter) -> None:
        """Convert every text value of ``item`` (SPEC §1) in place."""
        if self._opencc is None:
            return
        convert = self.convert
        for field in ("title", "author", "source", "body"):
            item[field] = convert(item.get(field))
        item["breadcrumbs"] = [convert(c) for c in item.get("breadcrumbs") or []]
        for image in item.get("images") or []:
            image["alt"], image["caption"] = convert(image.get("alt")), convert(image.get("caption"))
        for link in item.get("related_links") or []:
            link["title"], link["summary"] = convert(link.get("title")), convert(link.get("summary"))


class ScriptPipeline:
    """Records the page's script, converts to ``CAIJI_SCRIPT_TARGET``, then hashes the content."""

    def __init__(self, target: str) -> None:
        self.detector = ScriptDetector()
        self.converter = ScriptConverter(target)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ScriptPipeline:
        return cls((crawler.settings.get("CAIJI_SCRIPT_TARGET") or "none").strip().lower())

    def process_item(self, item):
        adapter = ItemAdapter(item)
        adapter["script"] = {"detected": self.detector.detect(text_values(adapter)), "target": self.converter.target}
        self.converter.convert_item(adapter)
        if adapter.get("title") is not None and adapter.get("body") is not None:
            adapter["content_hash"] = content_hash(adapter["title"], adapter["body"])
        return item
