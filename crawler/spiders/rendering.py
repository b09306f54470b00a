"""Which pages go through the browser: the crawl's ``CAIJI_RENDER`` and the site rules' ``render``.

The browser itself is crawler/render/: this module only marks requests (``RENDER_META``), so a
crawl that never needs a browser imports nothing of it.
"""

from __future__ import annotations

from scrapy.http import Response
from scrapy.settings import BaseSettings

from crawler.extraction.css import response_selector
from crawler.extraction.embedded import script_shell
from crawler.rules import Rules

#: Request meta key: present (holding the reason) when the page is to be fetched by the browser.
RENDER_META = "caiji_render"
#: ``shell`` argument: the page is to be looked at for a script shell here (not done where it was extracted).
READ_PAGE = object()
#: ``CAIJI_RENDER``: ``auto`` (the site rules ask, or the page is a script shell), ``off``, ``all``.
MODES = ("auto", "off", "all")
#: A site rules' ``render`` value → the kinds of page it covers.
RULES_RENDER = {"article": ("article",), "list": ("list",), "all": ("article", "list")}


def render_mode(settings: BaseSettings) -> str:
    """The crawl's ``CAIJI_RENDER``; ValueError for a value that is none of :data:`MODES`."""
    mode = str(settings.get("CAIJI_RENDER") or "auto").strip().lower()
    if mode not in MODES:
        raise ValueError(f"CAIJI_RENDER must be one of {', '.join(MODES)}, not {settings.get('CAIJI_RENDER')!r}")
    return mode


class RenderPolicy:
    """Decides, per page, whether a crawl fetches it through the browser and why."""

    def __init__(self, mode: str, rules: Rules) -> None:
        if rules.render is not None and rules.render not in RULES_RENDER:
            raise ValueError(f"site rules {rules.name!r}: render must be one of {', '.join(RULES_RENDER)} or None")
        self.mode = mode
        self.rules_kinds = RULES_RENDER.get(rules.render or "", ())
        self.rules_render = rules.render

    def direct(self) -> dict:
        """Meta for a new page request: with ``CAIJI_RENDER=all`` every page goes straight to the
        browser; otherwise pages are fetched plain first."""
        return {RENDER_META: "CAIJI_RENDER=all"} if self.mode == "all" else {}

    def again(self, kind: str, response: Response, shell: str | object | None = READ_PAGE) -> str | None:
        """Why a plain page of ``kind`` that gave nothing is fetched again through the browser, or
        None (rendering off, rendered already, or no sign that a script would fill it in).
        ``shell``: :func:`script_shell` of the page, when its extraction looked already."""
        if self.mode == "off" or response.meta.get(RENDER_META):
            return None
        if kind in self.rules_kinds:
            return f"site rules (render={self.rules_render})"
        return script_shell(response_selector(response)) if shell is READ_PAGE else shell

    def note(self, response: Response, shell: str | object | None = READ_PAGE) -> str:
        """What a rejection of a page with nothing in it should add about rendering."""
        if response.meta.get(RENDER_META):
            return " (after rendering in the browser)"
        if self.mode != "off":
            return ""
        if shell is READ_PAGE:
            shell = script_shell(response_selector(response))
        if shell:
            return f"; the page builds it with JavaScript ({shell}) and rendering is off (CAIJI_RENDER=off)"
        return ""
