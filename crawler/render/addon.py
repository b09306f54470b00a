"""The rendering add-on: with ``CAIJI_RENDER`` other than ``off``, pages marked for the browser go to one.

It imports nothing of Playwright: the download handler it installs (crawler/render/handler.py)
fetches every other page as Scrapy's own does and starts the browser only when a page asks for it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from scrapy.settings import BaseSettings

from crawler.spiders.rendering import render_mode

#: Browsers looked for on PATH when ``CAIJI_BROWSER_PATH`` is not set, in this order.
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
HANDLER = "crawler.render.handler.RenderingDownloadHandler"


def browser_path(settings: BaseSettings) -> str | None:
    """The Chromium executable to drive: ``CAIJI_BROWSER_PATH``, else the first of
    :data:`BROWSER_NAMES` on PATH; None when there is none."""
    given = (settings.get("CAIJI_BROWSER_PATH") or "").strip()
    if given:
        found = shutil.which(given)
        return found or (given if Path(given).is_file() else None)
    return next((path for path in map(shutil.which, BROWSER_NAMES) if path), None)


class Rendering:
    """Scrapy add-on: installs the rendering download handler and scrapy-playwright's settings.

    Settings it sets (at add-on priority, so ``-s`` still wins): ``DOWNLOAD_HANDLERS`` for http and
    https, and ``PLAYWRIGHT_*`` from ``CAIJI_BROWSER_PATH``, ``CAIJI_RENDER_CONCURRENCY`` and
    ``CAIJI_RENDER_TIMEOUT``. With ``CAIJI_RENDER=off`` it does nothing.
    """

    def update_settings(self, settings: BaseSettings) -> None:
        try:
            if render_mode(settings) == "off":
                return
        except ValueError:
            return  # a usage error, reported by the crawl command's settings check
        handlers = settings.getdict("DOWNLOAD_HANDLERS")
        for scheme in ("http", "https"):
            handlers.setdefault(scheme, HANDLER)
        settings.set("DOWNLOAD_HANDLERS", handlers, "addon")
        settings.set("PLAYWRIGHT_BROWSER_TYPE", "chromium", "addon")
        options = {
            "headless": True,
            # Containers give /dev/shm 64 MB, which Chromium's renderers outgrow.
            "args": ["--disable-dev-shm-usage", "--disable-gpu", "--no-first-run", "--mute-audio"],
        }
        path = browser_path(settings)
        if path:
            options["executable_path"] = path
        settings.set("PLAYWRIGHT_LAUNCH_OPTIONS", {**options, **settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS")}, "addon")
        # One browser context; at most CAIJI_RENDER_CONCURRENCY pages open in it at a time.
        settings.set("PLAYWRIGHT_MAX_CONTEXTS", 1, "addon")
        settings.set("PLAYWRIGHT_MAX_PAGES_PER_CONTEXT", max(1, settings.getint("CAIJI_RENDER_CONCURRENCY", 4)), "addon")
        settings.set("PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT", settings.getfloat("CAIJI_RENDER_TIMEOUT", 20) * 1000, "addon")
        settings.set("PLAYWRIGHT_RESTART_DISCONNECTED_BROWSER", True, "addon")
