"""Faults for the extraction workers, loaded with ``-s CAIJI_EXTRACT_HOOK=tests.worker_hooks.<name>``.

Each is called where a page is extracted, with its URL and bytes, before extraction. The page it
acts on is the one whose URL ends with ``$CAIJI_TEST_MARKER`` (``*``: every page).
"""

from __future__ import annotations

import os
import time

#: Environment variable naming the page a hook acts on (the end of its URL, or ``*``).
MARKER = "CAIJI_TEST_MARKER"


def _marked(url: str) -> bool:
    marker = os.environ.get(MARKER, "")
    return bool(marker) and (marker == "*" or url.endswith(marker))


def abort_on_marker(url: str, body: bytes) -> None:
    """The worker dies as a segfault in libxml2 would: SIGABRT, no Python clean-up."""
    if _marked(url):
        os.abort()


def hang_on_marker(url: str, body: bytes) -> None:
    """The worker never finishes the page."""
    if _marked(url):
        time.sleep(3600)


def exit_on_marker(url: str, body: bytes) -> None:
    """The worker exits as an OOM kill would look to the crawl: gone, with a status."""
    if _marked(url):
        os._exit(3)


if os.environ.get("CAIJI_TEST_WORKERS_CANNOT_START") and os.environ.get("CAIJI_WORKER_PARENT"):
    # Imported in a worker (not in the crawl's process): the worker fails before it is ready.
    raise ImportError("this worker cannot start (CAIJI_TEST_WORKERS_CANNOT_START)")
