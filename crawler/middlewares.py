"""Downloader middlewares."""

from __future__ import annotations

from scrapy.http import HtmlResponse, Response, TextResponse

from crawler.decoding import detect_encoding


class CharsetMiddleware:
    """Decodes HTML by what its bytes are, not only by what it declares (see crawler.decoding).

    Scrapy trusts the header, then the ``<meta>``; real Chinese pages lie in both. The encoding
    chosen here is the one ``scrapy extract`` uses too, so a saved page reads as it crawled.
    """

    def process_response(self, request, response: Response, spider=None) -> Response:
        if not isinstance(response, HtmlResponse):
            return response
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        encoding = detect_encoding(response.body, content_type)
        if encoding != response.encoding:
            return response.replace(encoding=encoding)
        return response


def is_html(response: Response) -> bool:
    """True for a response Scrapy decoded as HTML or XHTML."""
    return isinstance(response, TextResponse) and isinstance(response, HtmlResponse)
