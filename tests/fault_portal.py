"""A fault-injecting portal on 127.0.0.1 for crawl tests: good articles among broken answers.

Every fault is a path under /news/: a 500 that then succeeds, a timeout, a slow drip, a reset
connection, redirect loops, redirects off-site and to a private address, a 20 MB page, a PNG and
a PDF labelled text/html, a gzip bomb, an empty body, truncated HTML, 'gb2312' with bad bytes
and an element with 100,000 attributes.
"""

from __future__ import annotations

import gzip
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SEED = Path(__file__).resolve().parent.parent / "fixtures" / "portal" / "tftnews" / "news" / "1000.html"
GOOD = [str(n) for n in range(3001, 3013)]
#: Faulty article ids → the reason a crawl must give (a substring of it), or None for pages that
#: are slow or damaged but still hold their article.
FAULTS = {
    "2001": None,  # 500 on the first request, then the article
    "2002": "fetch error",  # never answers within DOWNLOAD_TIMEOUT
    "2003": None,  # drips the article slowly, within the timeout
    "2004": "fetch error",  # connection reset
    "2005": "ignored",  # redirect loop
    "2006": "ignored",  # redirect off-site
    "2007": "ignored",  # redirect to a private address
    "2008": "fetch error",  # 20 MB, over DOWNLOAD_MAXSIZE
    "2009": "not html: a PNG image",
    "2010": "not html: a PDF document",
    "2011": "ignored",  # gzip bomb, cut at DOWNLOAD_MAXSIZE once decompressed
    "2012": "empty page",
    "2013": None,  # truncated HTML: what is there is kept
    "2014": None,  # declared gb2312 with invalid bytes: decoded with replacements
    "2015": "redirect loop",  # 2015 → 2015b → 2015: the dupefilter drops the second 2015
    "2016": "ignored: markup too complex to parse",  # 100,000 attributes on one element: refused unparsed
    "2017": None,  # gzip-encoded UTF-8 that declares gb2312: decoded by its bytes after decompression
}
GOOD_WITH_FAULTS = GOOD + [n for n, reason in FAULTS.items() if reason is None]


def article_html(article_id: str) -> str:
    """A tftnews article page with its own title and text."""
    html = SEED.read_text(encoding="utf-8")
    title = f"故障測試文章{article_id}號"
    html = html.replace("深化民族團結進步創建工作", title).replace("1000.html", f"{article_id}.html")
    return html.replace("近期,昭通市綏江縣", f"第{article_id}號測試:近期,昭通市綏江縣", 1)


def list_html() -> str:
    items = "".join(
        f'<li class="news-item"><h3><a class="news-title" href="/news/{n}.html">文章{n}</a></h3><span class="news-time">2025-03-31</span></li>'
        for n in [*GOOD, *FAULTS]
    )
    return (
        "<html><head><meta charset='utf-8'><title>列表 - 每日頭條</title></head><body>"
        f"<main class='main-wrap'><ul class='news-list'>{items}</ul></main></body></html>"
    )


HOME = (
    "<html><head><meta charset='utf-8'><title>每日頭條</title></head><body>"
    "<section class='channel'><h2 class='channel-title'><a href='/category/faults/'>故障</a></h2></section></body></html>"
)


class FaultHandler(BaseHTTPRequestHandler):
    """Answers each path with its fault."""

    protocol_version = "HTTP/1.1"
    hits: dict[str, int]

    def log_message(self, format: str, *args) -> None:
        pass

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        hits = self.server.hits  # type: ignore[attr-defined]
        with self.server.lock:  # type: ignore[attr-defined]
            hits[path] = hits.get(path, 0) + 1
            count = hits[path]
        if path == "/robots.txt":
            return self._send(200, b"User-agent: *\nAllow: /\n", "text/plain")
        if path == "/":
            return self._send(200, HOME.encode(), "text/html; charset=utf-8")
        if path == "/category/faults/":
            return self._send(200, list_html().encode(), "text/html; charset=utf-8")
        article_id = path.removeprefix("/news/").removesuffix(".html")
        if article_id in GOOD:
            return self._send(200, article_html(article_id).encode(), "text/html; charset=utf-8")
        fault = getattr(self, f"fault_{article_id}", None)
        if fault is None:
            return self._send(404, b"not found", "text/plain")
        return fault(count)

    def _send(self, status: int, body: bytes, content_type: str, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def fault_2001(self, count: int) -> None:
        if count == 1:
            return self._send(500, b"busy", "text/plain")
        return self._send(200, article_html("2001").encode(), "text/html; charset=utf-8")

    def fault_2002(self, count: int) -> None:
        time.sleep(self.server.timeout_after)  # type: ignore[attr-defined]

    def fault_2003(self, count: int) -> None:
        body = article_html("2003").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        for start in range(0, len(body), len(body) // 5 + 1):
            self.wfile.write(body[start : start + len(body) // 5 + 1])
            self.wfile.flush()
            time.sleep(0.05)

    def fault_2004(self, count: int) -> None:
        # SO_LINGER with a zero timeout: close() sends a RST instead of a FIN.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # The socket closes (and resets) only when its file objects let go of it too.
        self.rfile.close()
        self.wfile.close()
        self.connection.close()
        self.close_connection = True

    def fault_2005(self, count: int) -> None:
        self._redirect(f"/news/2005.html?again={count}")

    def fault_2015(self, count: int) -> None:
        self._redirect("/news/2015b.html")

    def fault_2015b(self, count: int) -> None:
        self._redirect("/news/2015.html")

    def fault_2016(self, count: int) -> None:
        attributes = " ".join(f"a{i}='x'" for i in range(100_000))
        page = article_html("2016").replace("<body>", f"<body><div {attributes}></div>", 1)
        self._send(200, page.encode(), "text/html; charset=utf-8")

    def fault_2017(self, count: int) -> None:
        # UTF-8 that says gb2312, as real pages do: the bytes decide, once they are decompressed.
        page = (
            article_html("2017")
            .replace('charset="utf-8"', 'charset="gb2312"')
            .replace('<meta charset="utf-8">', '<meta charset="gb2312">')
        )
        self._send(200, gzip.compress(page.encode(), mtime=0), "text/html", {"Content-Encoding": "gzip"})

    def fault_2006(self, count: int) -> None:
        self._redirect("http://www.example.com/stolen.html")

    def fault_2007(self, count: int) -> None:
        self._redirect("http://10.1.2.3/admin")

    def fault_2008(self, count: int) -> None:
        page = article_html("2008").encode()
        self._send(200, page + b"<!--" + b"x" * (20 * 1024 * 1024) + b"-->", "text/html; charset=utf-8")

    def fault_2009(self, count: int) -> None:
        self._send(200, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40, "text/html")

    def fault_2010(self, count: int) -> None:
        self._send(200, b"%PDF-1.4\n" + b"1 0 obj << >> endobj\n" * 200, "text/html; charset=utf-8")

    def fault_2011(self, count: int) -> None:
        self._send(200, self.server.bomb, "text/html; charset=utf-8", {"Content-Encoding": "gzip"})  # type: ignore[attr-defined]

    def fault_2012(self, count: int) -> None:
        self._send(200, b"", "text/html; charset=utf-8")

    def fault_2013(self, count: int) -> None:
        page = article_html("2013").encode()
        self._send(200, page[: page.index("抓宣傳教育".encode())], "text/html; charset=utf-8")

    def fault_2014(self, count: int) -> None:
        page = (
            article_html("2014")
            .replace('charset="utf-8"', 'charset="gb2312"')
            .replace('<meta charset="utf-8">', '<meta charset="gb2312">')
        )
        body = page.encode("gb18030").replace("抓組織領導".encode("gb18030"), b"\xff\xfe\x80\x81")
        self._send(200, body, "text/html; charset=gb2312")


class FaultPortal:
    """The fault portal served in a thread; ``timeout_after`` is how long 2002 hangs."""

    def __init__(self, timeout_after: float = 4.0) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), FaultHandler)
        self.httpd.daemon_threads = True
        self.httpd.hits = {}  # type: ignore[attr-defined]
        self.httpd.lock = threading.Lock()  # type: ignore[attr-defined]
        self.httpd.timeout_after = timeout_after  # type: ignore[attr-defined]
        # 200 MB of zeros compress to about 200 KB.
        self.httpd.bomb = gzip.compress(b"\0" * (200 * 1024 * 1024), compresslevel=9, mtime=0)  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    @property
    def hits(self) -> dict[str, int]:
        return self.httpd.hits  # type: ignore[attr-defined]

    def __enter__(self) -> FaultPortal:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
