"""Scrapy's duplicate filter, with the redirects it drops recorded as rejected pages.

A redirect whose target was requested already is dropped by the dupefilter with a debug line: a
loop (``a`` → ``b`` → ``a``) would lose the page without a trace in the dataset. The page the
chain started from is reported instead (``page_rejected``), so it lands in the rejects file.
"""

from __future__ import annotations

import scrapy
from scrapy.dupefilters import RFPDupeFilter
from scrapy.http import Request

from crawler.signals import page_rejected


def report_dropped_redirect(request: Request, spider: scrapy.Spider) -> None:
    """Record the start of a redirect chain whose next request the dupefilter dropped."""
    chain = request.meta.get("redirect_urls")
    crawler = getattr(spider, "crawler", None)
    if not chain or crawler is None:
        return
    looped = request.url in chain
    reason = "redirect loop" if looped else f"redirected to an address requested already: {request.url}"[:300]
    crawler.stats.inc_value("caiji/redirect_dropped")
    crawler.signals.send_catch_log(signal=page_rejected, url=chain[0], reason=reason, stage="fetch", record=None)


class DupeFilter(RFPDupeFilter):
    """Scrapy's RFPDupeFilter; a redirect it drops is recorded (see the module)."""

    def log(self, request: Request, spider: scrapy.Spider) -> None:
        super().log(request, spider)
        report_dropped_redirect(request, spider)
