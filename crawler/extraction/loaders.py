"""The article ItemLoader and its processors: plain functions, each tested on its own."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from itemloaders.processors import Identity, Join, MapCompose, TakeFirst
from scrapy.loader import ItemLoader

from crawler.extraction.dates import isoformat, parse_time, zone
from crawler.extraction.items import ArticleItem
from crawler.extraction.text import clean_optional, clean_text

# Separators portals put between a headline and the site name in <title>.
_SUFFIX_SEPARATORS = re.compile(r"\s*(?:\s[-–—|]\s|--|_|\||｜|—|–|::)\s*")
# A site or channel name after a hyphen with no spaces ("…洛克菲勒”-搜狐财经"): only names that
# end like one, since a bare hyphen also joins words of a headline ("中国-东盟博览会开幕").
_BARE_HYPHEN_SUFFIX = re.compile(
    r"(?<=[^A-Za-z0-9\s])-[\u4e00-\u9fff]{1,10}"
    r"(?:网|網|在线|在線|新闻|新聞|频道|頻道|财经|財經|日报|日報|晚报|晚報|时报|時報|官网|官網|门户|門戶|资讯|資訊|首页|首頁)$"
)
# A label in front of a byline or source line: 作者:, 来源：, 責任編輯:, By …
_LABEL = re.compile(
    r"^\s*(?:作者|作\s*者|来源|來源|来自|來自|出处|出處|稿源|文|撰文|编辑|編輯|责任编辑|責任編輯|责编|責編|by)\s*[:：丨|/]\s*",
    re.I,
)


# A tag written out as text: what a broken page leaves in its <title> (text only, whatever it holds)
# or a double-escaped byline shows. Headlines and bylines never carry markup.
_TAG_TEXT = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]{0,200})?/?>|<!--.*?-->")


def drop_tag_text(value: str) -> str:
    """Remove tags written out as text (``翰</p></p>墨`` → ``翰墨``) from a headline, byline or paragraph."""
    return _TAG_TEXT.sub("", value) if "<" in value else value


def has_tag_text(value: str) -> bool:
    """True when ``value`` holds a tag or comment written out as text (markup, not prose)."""
    return "<" in value and _TAG_TEXT.search(value) is not None


def strip_site_suffix(title: str, loader_context: dict | None = None) -> str:
    """Remove the site-name suffix from a headline (`` - 每日頭條``, ``_新浪网``, ``| 网易``)."""
    title = clean_text(title)
    for suffix in (loader_context or {}).get("title_suffixes", ()):
        if title.endswith(suffix) and len(title) > len(suffix):
            return title[: -len(suffix)].strip()
    return title


def strip_generic_suffix(title: str) -> str:
    """Drop trailing ``<sep> site name`` segments when what remains still reads as a headline."""
    parts = _SUFFIX_SEPARATORS.split(title)
    # The headline is the longest segment; site names and channel names are the short ones.
    head = max(parts, key=len)
    if len(parts) < 2 or len(head) < 4:
        head = title
    while len(head) <= 200:  # a longer "title" is no headline: not worth a scan per suffix
        bare = _BARE_HYPHEN_SUFFIX.search(head)
        if bare is None or bare.start() < 4:
            return head
        head = head[: bare.start()]
    return head


def strip_label(value: str) -> str:
    """Remove a leading ``作者:``/``来源:``-style label from a byline or source line."""
    return _LABEL.sub("", clean_text(value), count=1).strip()


def address(value: str | None) -> str | None:
    """An address as given, without surrounding white space: no entity decoding (``&copy=1`` in a
    query is a parameter, not ©), no other cleaning."""
    value = (value or "").strip()
    return value or None


def to_timestamp(raw: str, loader_context: dict | None = None) -> str | None:
    """Read a time as the page shows it into ISO 8601 in the site's timezone."""
    context = loader_context or {}
    tz = zone(context.get("timezone", "Asia/Shanghai"))
    moment = parse_time(raw, tz, context.get("fetched_at"))
    return isoformat(moment.astimezone(tz)) if moment else None


class ArticleLoader(ItemLoader):
    """Fills an :class:`ArticleItem`; text fields are cleaned, lists stay lists."""

    default_item_class = ArticleItem
    default_input_processor = MapCompose(clean_optional)
    default_output_processor = TakeFirst()

    url_in = MapCompose(address)
    canonical_url_in = MapCompose(address)
    title_in = MapCompose(drop_tag_text, strip_site_suffix, clean_optional)
    timestamp_in = MapCompose(to_timestamp)
    author_in = MapCompose(drop_tag_text, strip_label, clean_optional)
    source_in = MapCompose(drop_tag_text, strip_label, clean_optional)
    # A damaged page (an unbalanced quote, a tag cut in two) leaves markup in its text.
    body_in = MapCompose(drop_tag_text, clean_optional)
    breadcrumbs_out = Identity()
    body_out = Join("\n")
    images_in = Identity()
    images_out = Identity()
    related_links_in = Identity()
    related_links_out = Identity()

    # itemloaders looks a field's processor up again for every value added and every field
    # loaded (an attribute, a wrapper check, an ItemAdapter and the field's metadata): a tenth of
    # a site's extraction. It depends only on the loader's and the item's classes, so each
    # answer is kept. (A processor set on a loader instance, rather than its class, is not seen.)
    def get_input_processor(self, field_name: str) -> Callable[..., Any]:
        """The field's input processor, as itemloaders finds it, found once per class pair."""
        return self._remembered("in", field_name, super().get_input_processor)

    def get_output_processor(self, field_name: str) -> Callable[..., Any]:
        """The field's output processor, as itemloaders finds it, found once per class pair."""
        return self._remembered("out", field_name, super().get_output_processor)

    def _remembered(self, kind: str, field_name: str, look_up: Callable[[str], Callable[..., Any]]) -> Callable[..., Any]:
        key = (type(self), type(self.item), field_name, kind)
        found = _PROCESSORS.get(key)
        if found is None:
            found = _PROCESSORS[key] = look_up(field_name)
        return found


_PROCESSORS: dict[tuple[type, type, str, str], Callable[..., Any]] = {}
