"""Scope through DNS (crawler/spiders/resolver.py): names are refused on what they resolve to.

Only loopback is ever connected to: the answers come from a resolver the test controls
(tests/dns_answers.py), and a private answer must be refused before any connection.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from crawler.spiders.resolver import ScopedResolver, is_private_address
from tests.conftest import PROJECT, CrawlResult, run_crawl
from tests.dns_answers import FixedAnswers


class Receiver:
    """Collects what a resolution hands on."""

    def __init__(self) -> None:
        self.addresses: list[str] = []
        self.complete = False

    def resolutionBegan(self, resolution) -> None:  # noqa: N802
        pass

    def addressResolved(self, address) -> None:  # noqa: N802
        self.addresses.append(address.host)

    def resolutionComplete(self) -> None:  # noqa: N802
        self.complete = True


class FakeReactor:
    nameResolver = None  # noqa: N815 (Twisted's name)


def resolver(answers: dict[str, list[str]]) -> ScopedResolver:
    scoped = ScopedResolver(FakeReactor(), 0)
    scoped.original_resolver = FixedAnswers(answers)
    return scoped


def resolve(scoped: ScopedResolver, host: str) -> list[str]:
    receiver = Receiver()
    scoped.resolveHostName(receiver, host, 80)
    assert receiver.complete
    return receiver.addresses


@pytest.mark.pure
@pytest.mark.parametrize(
    ("address", "private"),
    [
        ("10.1.2.3", True),
        ("127.0.0.2", True),
        ("169.254.169.254", True),  # cloud metadata
        ("fd00:ec2::254", True),  # AWS metadata over IPv6
        ("::ffff:10.0.0.1", True),  # IPv4-mapped
        ("fe80::1%eth0", True),
        ("0.0.0.0", True),
        ("93.184.216.34", False),
        ("2606:2800:220:1::1", False),
    ],
)
def test_is_private_address(address, private):
    assert is_private_address(address) is private


@pytest.mark.pure
def test_names_resolving_to_private_addresses_are_refused():
    scoped = resolver(
        {"intranet.test": ["10.1.2.3"], "meta.test": ["169.254.169.254"], "mixed.test": ["93.184.216.34", "10.0.0.1"]}
    )
    for host in ("intranet.test", "meta.test", "mixed.test"):
        assert resolve(scoped, host) == []
    assert scoped.refusal("intranet.test") == "intranet.test resolves to private address 10.1.2.3"
    assert scoped.refusal("META.test.") == "META.test. resolves to private address 169.254.169.254"
    assert scoped.refusal("mixed.test") == "mixed.test resolves to private address 10.0.0.1"


@pytest.mark.pure
def test_public_answers_pass():
    scoped = resolver({"news.test": ["93.184.216.34", "2606:2800:220:1::1"]})
    assert resolve(scoped, "news.test") == ["93.184.216.34", "2606:2800:220:1::1"]
    assert scoped.refusal("news.test") is None


@pytest.mark.pure
def test_a_crawl_started_on_a_private_address_may_use_it():
    scoped = resolver({"portal.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]})
    scoped.allow("portal.test")
    assert resolve(scoped, "portal.test") == ["127.0.0.1"]
    assert resolve(scoped, "portal.test") == ["127.0.0.1"]
    # Another name for the same loopback address is not the start host.
    assert resolve(scoped, "other.test") == []


@pytest.mark.pure
def test_a_start_host_that_turns_private_is_refused():
    """DNS rebinding: the start host answered a public address first, a private one later."""
    scoped = resolver({"news.test": ["93.184.216.34"]})
    scoped.allow("news.test")
    assert resolve(scoped, "news.test") == ["93.184.216.34"]
    scoped.original_resolver.answers["news.test"] = ["10.9.8.7"]
    assert resolve(scoped, "news.test") == []
    assert scoped.refusal("news.test") == "news.test resolves to private address 10.9.8.7"


@pytest.mark.pure
def test_cached_answers_are_checked_too():
    scoped = ScopedResolver(FakeReactor(), 100)
    scoped.original_resolver = FixedAnswers({"intranet-cached.test": ["10.1.2.3"]})
    assert resolve(scoped, "intranet-cached.test") == []
    # The second answer comes from Scrapy's DNS cache, not from the resolver under it.
    scoped.original_resolver = FixedAnswers({})
    assert resolve(scoped, "intranet-cached.test") == []


# --- a real crawl ---------------------------------------------------------------------------

ARTICLE = (
    "<html><head><meta charset='utf-8'><title>{title}</title></head><body><article><h1>{title}</h1>"
    "<p class='time'>2025-03-31 10:00:00</p><div class='content'>{body}</div></article></body></html>"
)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args) -> None:
        pass

    def do_GET(self) -> None:
        self.server.hosts.append(self.headers.get("Host", ""))  # type: ignore[attr-defined]
        port = self.server.server_address[1]
        if self.path == "/":
            links = [
                f"http://portal.test:{port}/news/1001.html",
                f"http://intranet.portal.test:{port}/news/1002.html",
                f"http://meta.portal.test:{port}/news/1003.html",
                f"http://other.portal.test:{port}/news/1004.html",
                f"http://portal.test:{port}/news/1005.html",
            ]
            body = "".join(f"<li><a href='{u}'>一篇关于本地新闻的很长的标题第{n}号</a></li>" for n, u in enumerate(links))
            return self._send(
                200, f"<html><head><meta charset='utf-8'><title>首页</title></head><body><ul>{body}</ul></body></html>"
            )
        if self.path == "/news/1005.html":
            # A redirect within scope (a subdomain) to a name that resolves to a private address.
            self.send_response(302)
            self.send_header("Location", f"http://intranet.portal.test:{port}/news/1006.html")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        paragraph = "本地新闻报道的正文段落,讲述了社区里发生的一件事情,内容足够长以便抽取。" * 4
        html = ARTICLE.format(title=f"本地新闻{self.path}", body=f"<p>{paragraph}</p>" * 4)
        return self._send(200, html)

    def _send(self, status: int, html: str) -> None:
        body = html.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def named_portal():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.hosts = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("retries", [2, 0])
def test_crawl_refuses_names_that_resolve_privately(named_portal, tmp_path, retries):
    port = named_portal.server_address[1]
    answers = ",".join(
        [
            "portal.test=127.0.0.1",
            "intranet.portal.test=10.1.2.3",
            "meta.portal.test=169.254.169.254",
            "other.portal.test=127.0.0.2",
        ]
    )
    result = run_crawl(
        "generic",
        f"http://portal.test:{port}/",
        tmp_path,
        "TWISTED_DNS_RESOLVER=tests.dns_answers.TestResolver",
        f"CAIJI_TEST_DNS_ANSWERS={answers}",
        f"RETRY_TIMES={retries}",
        "CAIJI_RETRY_BACKOFF=0",
        "CAIJI_MAX_ERROR_RATE=1",
        options=("-a", "allow_subdomains=1"),
    )
    assert "LEAK" not in result.stderr, result.stderr[-3000:]
    assert result.code == 0, result.stderr[-3000:]
    # The crawl started on a name that resolves to loopback: that one is allowed.
    assert [r["url"] for r in result.records("generic")] == [f"http://portal.test:{port}/news/1001.html"]
    reasons = {r["url"]: r["reason"] for r in result.rejects("generic")}
    expected = {
        f"http://intranet.portal.test:{port}/news/1002.html": "intranet.portal.test resolves to private address 10.1.2.3",
        f"http://meta.portal.test:{port}/news/1003.html": "meta.portal.test resolves to private address 169.254.169.254",
        f"http://other.portal.test:{port}/news/1004.html": "other.portal.test resolves to private address 127.0.0.2",
    }
    for url, reason in expected.items():
        assert reason in reasons.get(url, ""), (url, reasons)
    # The redirect: under the page that redirected when the refusal is known by then (it is
    # checked when scheduled), else under its target once its fetch fails.
    redirect = [
        reasons.get(f"http://portal.test:{port}/news/1005.html"),
        reasons.get(f"http://intranet.portal.test:{port}/news/1006.html"),
    ]
    assert any(r and "intranet.portal.test resolves to private address 10.1.2.3" in r for r in redirect), reasons
    # Nothing but the start host ever reached the server.
    assert set(named_portal.hosts) == {f"portal.test:{port}"}


def test_the_default_resolver_lets_a_crawl_start_on_localhost(portal, tmp_path):
    """With the project's settings (ScopedResolver over the system's resolver), ``localhost``
    resolves to loopback and is the crawl's own start host: allowed."""
    port = portal.url.rsplit(":", 1)[1].strip("/")
    result = run_crawl("tftnews", f"http://localhost:{port}/", tmp_path)
    assert result.code == 0, result.stderr[-2000:]
    assert "resolves to private address" not in result.stderr
    assert len(result.records()) > 30


def test_a_crawler_process_of_ones_own_starts_on_loopback(portal, tmp_path):
    """Scrapy's CrawlerProcess installs the resolver when it starts, after the crawler is built
    (the benchmark runs crawls so): the start host is allowed all the same."""
    script = (
        "import sys\n"
        "from scrapy.crawler import CrawlerProcess\n"
        "from scrapy.utils.project import get_project_settings\n"
        "settings = get_project_settings()\n"
        "settings.set('CAIJI_DATA_DIR', sys.argv[2], priority='cmdline')\n"
        "process = CrawlerProcess(settings)\n"
        "process.crawl('tftnews', start_url=sys.argv[1])\n"
        "process.start()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, portal.url, str(tmp_path)], cwd=PROJECT, capture_output=True, text=True, timeout=300
    )
    assert "resolves to private address" not in done.stderr, done.stderr[-2000:]
    assert len(CrawlResult(done.returncode, "", done.stderr, tmp_path).records()) > 30, done.stderr[-2000:]
