"""CSS selection for the extraction hot path: the same results as parsel, without its XPath cost.

parsel turns ``.article-meta .article-time`` into an XPath that runs ``normalize-space`` and
``concat`` on the class of every element of the page: 0.2–0.4 ms a query on a 45 KB page, a
dozen queries a page. Here the page is indexed once (class tokens and ids → elements, in document
order) and a selector made of the common parts — type, ``.class``, ``#id``, ``[attr]``,
``[attr=v]``, ``[attr*=v]``, the descendant and child combinators, ``,`` and ``::attr(name)`` —
is answered from the index. Anything else (pseudo-classes, ``::text``, sibling combinators)
goes to parsel's own translation, so every selector works and gives what ``Selector.css``
gives: elements in document order without repeats, or attribute values for ``::attr()``.

:func:`install_fast_html_parser` makes parsel build its trees with a parser whose element
classes are looked up in C (lxml.html looks each one up in Python, once per element proxy, which
was a fifth of the extraction time); the trees and element classes are the same.
"""

from __future__ import annotations

import codecs
import re
from collections import OrderedDict
from functools import lru_cache
from typing import NamedTuple

import cssselect
from lxml import etree
from lxml import html as lxml_html
from parsel import Selector
from parsel.csstranslator import HTMLTranslator
from scrapy.http import HtmlResponse, TextResponse
from scrapy.selector import Selector as ScrapySelector

from crawler.internals import cached_selector, lxml_html_element_classes, set_cached_selector, set_parsel_html_parser

# XPath's normalize-space() splits at these only (not at U+3000 or NBSP, as str.split() would).
_XML_SPACE = re.compile(r"[ \t\r\n]+")
_TRANSLATOR = HTMLTranslator()


class FastHTMLParser(etree.HTMLParser):
    """``lxml.html.HTMLParser`` with the same element classes, looked up by a C lookup."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.set_element_class_lookup(_fast_lookup())


@lru_cache(maxsize=1)
def _fast_lookup() -> etree.ElementNamespaceClassLookup:
    fallback = etree.ElementDefaultClassLookup(
        element=lxml_html.HtmlElement,
        comment=lxml_html.HtmlComment,
        pi=lxml_html.HtmlProcessingInstruction,
        entity=lxml_html.HtmlEntity,
    )
    lookup = etree.ElementNamespaceClassLookup(fallback)
    by_name = lookup.get_namespace(None)
    # What lxml.html.HtmlElementClassLookup gives per tag (form → FormElement, input → InputElement …).
    for name, cls in lxml_html_element_classes().items():
        by_name[name] = cls
    return lookup


def install_fast_html_parser() -> None:
    """Make parsel (and so Scrapy's ``response.selector``) parse HTML with :class:`FastHTMLParser`."""
    set_parsel_html_parser(FastHTMLParser, replaces=lxml_html.HTMLParser)


# --- selectors -----------------------------------------------------------------------------------


class Compound(NamedTuple):
    """One compound selector: ``tag.class1.class2#id[attr…]``."""

    tag: str | None
    classes: tuple[str, ...]
    id: str | None
    attrs: tuple[tuple[str, str, str | None], ...]  # (name, operator: exists | = | *=, value)


class Chain(NamedTuple):
    """Compounds from the left, with the combinator before each one but the first (`` `` or ``>``)."""

    compounds: tuple[Compound, ...]
    combinators: tuple[str, ...]
    attribute: str | None  # ::attr(name)


def _compound(node) -> Compound | None:
    classes: list[str] = []
    id_ = None
    attrs: list[tuple[str, str, str | None]] = []
    while True:
        kind = type(node).__name__
        if kind == "Class":
            name = node.class_name
            if not name or _XML_SPACE.search(name):
                return None
            classes.append(name)
        elif kind == "Hash":
            if id_ is not None:
                return None
            id_ = node.id
        elif kind == "Attrib":
            if node.namespace or node.operator not in ("exists", "=", "*="):
                return None
            value = node.value.value if node.value is not None else None
            if node.operator == "*=" and not value:
                return None
            attrs.append((node.attrib.lower(), node.operator, value))
        elif kind == "Element":
            if node.namespace:
                return None
            tag = node.element.lower() if node.element else None
            return Compound(tag, tuple(reversed(classes)), id_, tuple(reversed(attrs)))
        else:
            return None
        node = node.selector


def _chain(selector) -> Chain | None:
    pseudo = selector.pseudo_element
    attribute = None
    if pseudo is not None:
        if type(pseudo).__name__ != "FunctionalPseudoElement" or pseudo.name != "attr":
            return None
        if pseudo.argument_types() not in (["STRING"], ["IDENT"]):
            return None
        attribute = pseudo.arguments[0].value
    compounds: list[Compound] = []
    combinators: list[str] = []
    node = selector.parsed_tree
    while type(node).__name__ == "CombinedSelector":
        if node.combinator not in (" ", ">"):
            return None
        right = _compound(node.subselector)
        if right is None:
            return None
        compounds.append(right)
        combinators.append(node.combinator)
        node = node.selector
    first = _compound(node)
    if first is None:
        return None
    compounds.append(first)
    return Chain(tuple(reversed(compounds)), tuple(reversed(combinators)), attribute)


@lru_cache(maxsize=512)
def compile_css(css: str) -> tuple[Chain, ...] | etree.XPath:
    """The chains of a selector group, or (for what they do not cover) parsel's XPath, compiled."""
    try:
        chains = [_chain(s) for s in cssselect.parse(css)]
    except cssselect.SelectorError:
        chains = [None]
    if chains and all(chains) and len({c.attribute for c in chains}) == 1:
        return tuple(chains)
    return etree.XPath(_TRANSLATOR.css_to_xpath(css))


# --- the page index ------------------------------------------------------------------------------


class PageIndex:
    """One tree's elements by class token and by id, in document order, built as they are asked for.

    Only ``descendant-or-self::*[@class]`` runs over the whole tree (XPath's string functions
    are what cost); elements are grouped by their class attribute's text, and a token's elements
    are gathered from the groups whose text holds it.
    """

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self._classed: list[etree._Element] | None = None
        self._groups: dict[str, list[int]] = {}
        self._by_class: dict[str, list[etree._Element]] = {}
        self._by_class_text: dict[str, list[etree._Element]] = {}
        self._ancestors: dict[etree._Element, set[etree._Element]] = {}
        self._by_id: dict[str, list[etree._Element]] | None = None
        self._position: dict[etree._Element, int] | None = None

    def with_class(self, name: str) -> list[etree._Element]:
        """The elements whose class attribute holds the token ``name``, in document order."""
        found = self._by_class.get(name)
        if found is None:
            self._group()
            hits = [positions for value, positions in self._groups.items() if name in value and name in _tokens(value)]
            if len(hits) == 1:
                found = [self._classed[i] for i in hits[0]]
            else:
                found = [self._classed[i] for i in sorted(i for positions in hits for i in positions)]
            self._by_class[name] = found
        return found

    def with_class_text(self, text: str) -> list[etree._Element]:
        """The elements whose class attribute contains ``text`` (``[class*=text]``), in document order."""
        found = self._by_class_text.get(text)
        if found is None:
            self._group()
            positions = sorted(i for value, group in self._groups.items() if text in value for i in group)
            found = self._by_class_text[text] = [self._classed[i] for i in positions]
        return found

    def _group(self) -> None:
        if self._classed is not None:
            return
        root = self.root
        self._classed = ([root] if root.get("class") is not None else []) + _WITH_CLASS(root)
        groups = self._groups
        for i, el in enumerate(self._classed):
            value = el.get("class")
            group = groups.get(value)
            if group is None:
                groups[value] = [i]
            else:
                group.append(i)

    def ancestors(self, el: etree._Element) -> set[etree._Element]:
        """The proper ancestors of ``el``."""
        found = self._ancestors.get(el)
        if found is None:
            found = self._ancestors[el] = set(el.iterancestors())
        return found

    @property
    def by_id(self) -> dict[str, list[etree._Element]]:
        if self._by_id is None:
            self._by_id = {}
            for el in _WITH_ID(self.root):
                self._by_id.setdefault(el.get("id"), []).append(el)
        return self._by_id

    @property
    def position(self) -> dict[etree._Element, int]:
        if self._position is None:
            self._position = {el: i for i, el in enumerate(self.root.iter(etree.Element))}
        return self._position


@lru_cache(maxsize=4096)
def _tokens(value: str) -> frozenset[str]:
    """The tokens of a class attribute, as ``normalize-space()`` splits them."""
    return frozenset(_XML_SPACE.split(value))


# libxml2 walks the descendant axis faster than descendant-or-self (the root is checked apart).
_WITH_CLASS = etree.XPath("descendant::*[@class]")


_WITH_ID = etree.XPath("descendant-or-self::*[@id]")
# The last trees indexed (a crawl extracts one page at a time; a few are kept for interleaving).
_INDEXES: OrderedDict[int, PageIndex] = OrderedDict()
_MAX_INDEXES = 4


def page_index(root: etree._Element) -> PageIndex:
    """The index of the tree whose root element is ``root``.

    Trees are read, never changed, during extraction; an index does not follow later changes.
    """
    key = id(root)
    index = _INDEXES.get(key)
    if index is not None and index.root is root:
        _INDEXES.move_to_end(key)
        return index
    index = PageIndex(root)
    _INDEXES[key] = index
    while len(_INDEXES) > _MAX_INDEXES:
        _INDEXES.popitem(last=False)
    return index


def forget_indexes() -> None:
    """Drop the kept indexes (and the trees they hold)."""
    _INDEXES.clear()


def _matches(el: etree._Element, c: Compound, index: PageIndex) -> bool:
    if c.tag is not None and el.tag != c.tag:
        return False
    if c.classes:
        value = el.get("class")
        if not value:
            return False
        tokens = _tokens(value)
        for name in c.classes:
            if name not in tokens:
                return False
    if c.id is not None and el.get("id") != c.id:
        return False
    for name, op, expected in c.attrs:
        value = el.get(name)
        if value is None:
            return False
        if op == "=" and value != expected:
            return False
        if op == "*=" and expected not in value:
            return False
    return True


def _descendants(c: Compound, scope: etree._Element, index: PageIndex, self_too: bool) -> list[etree._Element]:
    """Elements matching ``c`` below ``scope`` (and ``scope`` itself with ``self_too``), in document order."""
    class_text = next((v for name, op, v in c.attrs if name == "class" and op == "*=" and v), None)
    if c.tag is None and (c.id is not None or c.classes or class_text):
        if c.id is not None:
            by_attr = [index.by_id.get(c.id, [])]
        elif c.classes:
            by_attr = [index.with_class(name) for name in c.classes]
        else:
            by_attr = [index.with_class_text(class_text)]
        candidates = min(by_attr, key=len)
        if scope is index.root:
            return [el for el in candidates if (self_too or el is not scope) and _matches(el, c, index)]
        if len(candidates) <= _FEW:
            # A class seen a few times in the page: which of them lie below the scope is cheaper
            # to learn from their ancestors (read once per page) than from a walk of the subtree.
            return [
                el for el in candidates if ((self_too and el is scope) or scope in index.ancestors(el)) and _matches(el, c, index)
            ]
    # A type selector is filtered in C; a class seen often is cheaper to find by walking the scope.
    found = scope.iter(c.tag) if c.tag is not None else scope.iter(etree.Element)
    return [el for el in found if (self_too or el is not scope) and _matches(el, c, index)]


# Up to this many candidates from the index are checked by their ancestors rather than by a walk.
_FEW = 24


def _positions(node: etree._Element, index: PageIndex) -> dict[etree._Element, int]:
    """Document order of the elements of ``node``'s subtree."""
    if node is index.root:
        return index.position
    return {el: i for i, el in enumerate(node.iter(etree.Element))}


def _evaluate(chain: Chain, node: etree._Element, index: PageIndex) -> list[etree._Element]:
    """Top-down: the first compound in ``node`` (itself included), each next one below the last."""
    current = _descendants(chain.compounds[0], node, index, True)
    for combinator, compound in zip(chain.combinators, chain.compounds[1:], strict=True):
        if not current:
            return current
        found: list[etree._Element] = []
        for scope in current:
            if combinator == ">":
                found.extend(child for child in scope.iterchildren(etree.Element) if _matches(child, compound, index))
            else:
                found.extend(_descendants(compound, scope, index, False))
        if len(current) > 1:
            # Nested scopes find the same elements twice, and out of order.
            found = sorted(set(found), key=_positions(node, index).__getitem__)
        current = found
    return current


def select(node: etree._Element, css: str) -> list:
    """What ``Selector(root=node).css(css)`` selects: elements, or strings for ``::attr()``."""
    compiled = compile_css(css)
    if isinstance(compiled, etree.XPath):
        return list(compiled(node))
    index = page_index(node.getroottree().getroot())
    if len(compiled) == 1:
        found = _evaluate(compiled[0], node, index)
    else:
        found = sorted(
            {el for chain in compiled for el in _evaluate(chain, node, index)}, key=_positions(node, index).__getitem__
        )
    attribute = compiled[0].attribute
    if attribute is None:
        return found
    return [value for value in (el.get(attribute) for el in found) if value is not None]


def select_set(node: etree._Element, css: str) -> set[etree._Element]:
    """The elements ``css`` selects in ``node``, as a set (no document order to establish)."""
    compiled = compile_css(css)
    if isinstance(compiled, etree.XPath):
        return {el for el in compiled(node) if isinstance(el, etree._Element)}
    if compiled[0].attribute is not None:
        raise ValueError(f"select_set() takes element selectors, not {css!r}")
    index = page_index(node.getroottree().getroot())
    return {el for chain in compiled for el in _evaluate(chain, node, index)}


def select_within(scopes: list[etree._Element], css: str) -> list[list]:
    """``[select(scope, css) for scope in scopes]``, with one look over the page for a selector of
    one compound (the fields of a list's entries: a link, a summary, a date in each)."""
    compiled = compile_css(css)
    if isinstance(compiled, etree.XPath) or len(compiled) != 1 or len(compiled[0].compounds) != 1 or not scopes:
        return [select(scope, css) for scope in scopes]
    root = scopes[0].getroottree().getroot()
    index = page_index(root)
    compound = compiled[0].compounds[0]
    if compound.classes:
        candidates = min((index.with_class(name) for name in compound.classes), key=len)
        found = [el for el in candidates if _matches(el, compound, index)]
    else:
        found = _descendants(compound, root, index, True)
    slots: dict[etree._Element, list[etree._Element]] = {scope: [] for scope in scopes}
    for el in found:
        slot = slots.get(el)  # select() counts the scope itself in
        if slot is not None:
            slot.append(el)
        for ancestor in el.iterancestors():
            slot = slots.get(ancestor)
            if slot is not None:
                slot.append(el)
    attribute = compiled[0].attribute
    if attribute is None:
        return [slots[scope] for scope in scopes]
    return [[v for v in (el.get(attribute) for el in slots[scope]) if v is not None] for scope in scopes]


# --- responses -----------------------------------------------------------------------------------


def response_selector(response: TextResponse) -> Selector:
    """``response.selector``; an HTML page in UTF-8 is parsed from its bytes as they are.

    Scrapy decodes the body, and parsel strips it and encodes it back to UTF-8 for lxml: a tenth
    of the parse on a portal page. Given the bytes, parsel parses them directly when nothing
    would differ: UTF-8 without a byte-order mark, no NUL, no white space but ASCII at either end
    (invalid bytes send parsel back to the decoded text, as Scrapy does).
    """
    if cached_selector(response) is None and isinstance(response, HtmlResponse) and _is_utf8(response.encoding):
        body = response.body
        stripped = body.strip()
        if stripped[:1] == b"<" and stripped[-1:] == b">" and b"\x00" not in body:
            set_cached_selector(response, ScrapySelector(body=body, encoding="utf-8", type="html", base_url=response.url))
    return response.selector


@lru_cache(maxsize=64)
def _is_utf8(encoding: str) -> bool:
    try:
        return codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return False


def response_select(response: TextResponse, css: str) -> list:
    """``response.css(css)`` as elements, or strings for ``::attr()`` (``.getall()`` of those)."""
    root = response_selector(response).root
    if isinstance(root, etree._Element):
        return select(root, css)
    return [s.root for s in response.css(css)]


def release(response) -> None:
    """Let go of a response's parsed tree (Scrapy keeps it as long as the response).

    A spider's outputs can wait a while to be taken from it, and the response waits with them;
    its tree is ten times the page. The tree is parsed again if anything still asks for it.
    """
    selector = cached_selector(response)
    if selector is None:
        return
    root = selector.root
    index = _INDEXES.get(id(root))
    if index is not None and index.root is root:
        del _INDEXES[id(root)]
    set_cached_selector(response, None)
