"""A realistic tftnews-like portal of N articles for the benchmark, and a fast server for it.

Pages copy the structure of the bundled demo portal (fixtures/portal/tftnews): the same head, nav,
breadcrumb, article block, comments, related list, sidebar and footer, with the sidebar, comment
and footer blocks grown to what the real portal carries: 40–50 KB and ~250 links per article
page. Text comes from the demo portal's articles, recombined per page deterministically (page i
is the same bytes on every run and machine). Pages are rendered on request; nothing is written.

    python bench/portal.py serve --pages 2000 [--port 8801]   # serve in the foreground
    python bench/portal.py write --pages 2000 DIR             # write the pages as files
    python bench/portal.py check --pages 2000                 # server throughput, one client
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html
import random
import re
import socket
import sys
import time
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from urllib.parse import quote

from lxml import html as lxml_html

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "portal" / "tftnews"
FIRST_ID = 100000
PER_LIST_PAGE = 20
CATEGORIES = [
    ("minsu", "民俗"),
    ("jiankang", "健康"),
    ("lishi", "歷史"),
    ("meishi", "美食"),
    ("keji", "科技"),
    ("lvyou", "旅遊"),
    ("jiaoyu", "教育"),
    ("caijing", "財經"),
]
_NAV_EXTRA = [
    ("yule", "娛樂"),
    ("tiyu", "體育"),
    ("qiche", "汽車"),
    ("yuer", "育兒"),
    ("shishang", "時尚"),
    ("youxi", "遊戲"),
    ("chongwu", "寵物"),
    ("xingzuo", "星座"),
]
_TITLE_TAILS = [
    "",
    ":專家解讀",
    "的幾個細節",
    ",看完就懂了",
    "背後的故事",
    "有哪些講究",
    "(附圖)",
    ",你知道嗎",
    "的來龍去脈",
    ",老人說出了原因",
]
_NICKS = [
    "清風徐來",
    "小城故事",
    "老張說事",
    "山間明月",
    "江南煙雨",
    "北漂小李",
    "讀書人",
    "茶餘飯後",
    "阿強",
    "雲中君",
    "路人甲",
    "小美",
]
_FRIENDS = [
    "新華網",
    "人民網",
    "中國網",
    "央視網",
    "光明網",
    "中國日報",
    "環球網",
    "澎湃新聞",
    "鳳凰網",
    "騰訊新聞",
    "網易新聞",
    "搜狐新聞",
]
_esc = html.escape


def _attr(text: str) -> str:
    return html.escape(text, quote=True)


class Portal:
    """Articles ``FIRST_ID`` … ``FIRST_ID + pages - 1`` in 8 categories, list pages and a home page."""

    def __init__(self, pages: int) -> None:
        self.pages = max(1, pages)
        seed = (FIXTURE / "news" / "1000.html").read_text(encoding="utf-8")
        self._style = re.search(r"<style>.*?</style>", seed, re.S).group(0)
        self._head_script = re.search(r"<script>.*?</script>", seed, re.S).group(0)
        self._foot_script = re.findall(r"<script>.*?</script>", seed, re.S)[-1]
        self._comments_welcome = re.search(r'<p class="comments-welcome">.*?</p>', seed, re.S).group(0)
        self._load_pool()

    # --- text pool from the demo portal -----------------------------------------------------

    def _load_pool(self) -> None:
        self.titles: list[str] = []
        self.paragraphs: list[str] = []
        self.simplified: list[str] = []
        self.captions: list[str] = []
        self.summaries: list[str] = []
        self.authors: list[str] = []
        self.sources: list[str] = []
        for path in sorted((FIXTURE / "news").glob("*.html")):
            doc = lxml_html.fromstring(path.read_bytes())
            simplified = "zh-Hans" in (doc.get("lang") or "") or int(path.stem) in range(1015, 1019)
            for h1 in doc.xpath("//h1[@class='article-title']"):
                self.titles.append(h1.text_content().strip())
            for p in doc.xpath("//div[@class='article-content']/p"):
                text = p.text_content().strip()
                if len(text) >= 30:
                    (self.simplified if simplified else self.paragraphs).append(text)
            self.captions += [c.text_content().strip() for c in doc.xpath("//figcaption")]
            self.summaries += [s.text_content().strip() for s in doc.xpath("//p[@class='related-summary']")]
            self.authors += [a.text_content().strip() for a in doc.xpath("//p[@class='article-author']")]
            self.sources += [s.text_content().strip() for s in doc.xpath("//span[@class='article-source']")]
        self.titles = sorted(set(self.titles))
        self.summaries = sorted(set(self.summaries)) or self.paragraphs[:10]
        self.captions = sorted(set(self.captions))
        self.authors = sorted(set(self.authors))
        self.sources = sorted(set(self.sources))
        words = {t[i : i + k] for t in self.titles for k in (2, 3, 4) for i in range(0, len(t) - k + 1, k)}
        self.tags = sorted(w for w in words if re.fullmatch(r"[\u4e00-\u9fff]+", w))[:80]
        self._titles = [self._title(i) for i in self.ids()]
        self._escaped = [_esc(t) for t in self._titles]
        self._summaries = [_esc(t) for t in self.summaries]
        self._tag_links = [f'<a href="/search?q={quote(t)}">{t}</a>' for t in self.tags]
        self._lists = {slug: self._list_ids(slug) for slug, _ in CATEGORIES}

    # --- addresses --------------------------------------------------------------------------

    def ids(self) -> range:
        return range(FIRST_ID, FIRST_ID + self.pages)

    def category_of(self, article_id: int) -> tuple[str, str]:
        return CATEGORIES[article_id % len(CATEGORIES)]

    def list_ids(self, slug: str) -> list[int]:
        """Article ids listed by category ``slug``, newest first."""
        return self._lists[slug]

    def _list_ids(self, slug: str) -> list[int]:
        index = [s for s, _ in CATEGORIES].index(slug)
        return [i for i in reversed(self.ids()) if i % len(CATEGORIES) == index]

    def list_pages(self, slug: str) -> int:
        return max(1, -(-len(self.list_ids(slug)) // PER_LIST_PAGE))

    def urls(self) -> list[str]:
        """Every page path a full crawl fetches: home, list pages, articles (robots.txt apart)."""
        paths = ["/"]
        for slug, _ in CATEGORIES:
            paths.append(f"/category/{slug}/")
            paths += [f"/category/{slug}/{n}.html" for n in range(2, self.list_pages(slug) + 1)]
        paths += [f"/news/{i}.html" for i in self.ids()]
        return paths

    def title(self, article_id: int) -> str:
        return self._titles[article_id - FIRST_ID]

    def _title(self, article_id: int) -> str:
        k = article_id - FIRST_ID
        base = self.titles[k % len(self.titles)]
        tail = _TITLE_TAILS[(k // len(self.titles)) % len(_TITLE_TAILS)]
        round_ = k // (len(self.titles) * len(_TITLE_TAILS))
        return f"{base}{tail}" + (f"({round_ + 1})" if round_ else "")

    def moment(self, article_id: int) -> datetime:
        return datetime(2025, 3, 31, 23, 0, 0) - timedelta(minutes=7 * (article_id - FIRST_ID) + article_id % 5)

    # --- rendering --------------------------------------------------------------------------

    def response(self, path: str) -> tuple[int, str, bytes]:
        """``(status, content type, body)`` for a request path."""
        path = path.split("?", 1)[0]
        page = None
        if path in ("/", "/index.html"):
            page = self.home()
        elif path == "/robots.txt":
            return 200, "text/plain; charset=utf-8", b"User-agent: *\nDisallow: /search\nDisallow: /user/\n"
        elif m := re.fullmatch(r"/news/(\d+)\.html", path):
            article_id = int(m.group(1))
            if article_id in self.ids():
                page = self.article(article_id)
        elif m := re.fullmatch(r"/category/(\w+)/(?:(\d+)\.html)?", path):
            slug, number = m.group(1), int(m.group(2) or 1)
            if slug in dict(CATEGORIES) and 1 <= number <= self.list_pages(slug):
                page = self.list_page(slug, number)
        if page is None:
            return 404, "text/html; charset=utf-8", b"<html><body><h1>404 Not Found</h1></body></html>"
        return 200, "text/html; charset=utf-8", page.encode("utf-8")

    def _head(self, title: str, canonical: str, description: str, extra: str = "") -> str:
        return (
            '<!DOCTYPE html>\n<html lang="zh-Hant">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            '<meta http-equiv="X-UA-Compatible" content="IE=edge">\n'
            f"<title>{_esc(title)} - 每日頭條</title>\n"
            f'<meta name="keywords" content="{_attr(title)},每日頭條">\n'
            f'<meta name="description" content="{_attr(description)}">\n'
            f'<link rel="canonical" href="https://www.tftnews.com{canonical}">\n{extra}'
            '<link rel="stylesheet" href="/static/css/main.css">\n<link rel="icon" href="/favicon.ico">\n'
            f"{self._style}\n{self._head_script}\n</head>\n<body>\n"
        )

    def _header(self, active: str | None) -> str:
        items = ['  <li><a href="/">首页</a></li>']
        for slug, name in CATEGORIES + _NAV_EXTRA:
            cls = ' class="active"' if slug == active else ""
            items.append(f'  <li{cls}><a href="/category/{slug}/">{name}</a></li>')
        items.append('  <li><a href="/search?q=%E7%86%B1%E9%96%80">熱搜</a></li>\n  <li><a href="/user/login">登錄</a></li>')
        return (
            '<div class="top-bar"><div class="wrap"><span class="welcome">歡迎來到每日頭條,每天為你推薦有價值的資訊</span>'
            '<a href="/user/login">登錄</a><a href="/user/signup">註冊</a><a href="/app.html">下載APP</a></div></div>\n'
            '<header class="site-header"><a class="logo" href="/"><img src="/static/img/logo.png" alt="每日頭條"></a>\n'
            ' <nav class="main-nav"><ul>\n' + "\n".join(items) + "\n </ul></nav>\n"
            ' <form class="search-form" action="/search"><input name="q" placeholder="搜索你感興趣的內容"><button>搜索</button></form>\n'
            "</header>\n"
            '<div class="ad-slot ad-top" data-ad="top"><a href="https://ad.example.com/x" rel="nofollow">'
            '<img src="/static/ad/banner.jpg" alt="廣告"></a></div>\n'
        )

    def _pick(self, rng: random.Random, count: int, exclude: int | None = None) -> list[int]:
        ids = self.ids()
        picked = []
        while len(picked) < min(count, max(0, len(ids) - 1)):
            candidate = ids[rng.randrange(len(ids))]
            if candidate != exclude and candidate not in picked:
                picked.append(candidate)
        return picked

    def _sidebar(self, rng: random.Random, exclude: int | None) -> str:
        hot = "".join(
            f'<li><span class="rank">{n}</span><a href="/news/{i}.html">{self._escaped[i - FIRST_ID]}</a></li>'
            for n, i in enumerate(self._pick(rng, 10, exclude), 1)
        )
        latest = "".join(
            f'<li><a href="/news/{i}.html">{self._escaped[i - FIRST_ID]}</a><span class="time">{self.moment(i):%m-%d}</span></li>'
            for i in self._pick(rng, 20, exclude)
        )
        channels = []
        for slug, name in rng.sample(CATEGORIES, 4):
            entries = "".join(
                f'<li><a href="/news/{i}.html">{self._escaped[i - FIRST_ID]}</a></li>' for i in self.list_ids(slug)[:10]
            )
            channels.append(
                f'<div class="side-box channel-box"><h3 class="side-title"><a href="/category/{slug}/">{name}</a></h3>'
                f'<ul class="side-list">{entries}</ul></div>\n'
            )
        tags = "".join(rng.sample(self._tag_links, min(40, len(self._tag_links))))
        return (
            '<aside class="sidebar">\n'
            f' <div class="side-box hot-box"><h3 class="side-title">熱門文章</h3><ol class="hot-list">{hot}</ol></div>\n'
            '<div class="ad-slot ad-side" data-ad="side"><a href="https://ad.example.com/side" rel="nofollow">'
            '<img src="/static/ad/side.jpg" alt="廣告"></a></div>\n'
            f' <div class="side-box latest-box"><h3 class="side-title">最新文章</h3><ul class="side-list">{latest}</ul></div>\n'
            + "".join(channels)
            + f' <div class="side-box tag-box"><h3 class="side-title">熱門標籤</h3><div class="tags">{tags}</div></div>\n'
            ' <div class="side-box app-box"><h3 class="side-title">下載每日頭條APP</h3><p>隨時隨地閱讀熱門資訊</p>'
            '<img src="/static/img/qrcode.png" alt="二維碼"></div>\n</aside>\n'
        )

    @cached_property
    def _footer(self) -> str:
        friends = "".join(
            f'<a href="https://www.{slug}.example.cn/" rel="nofollow">{name}{n or ""}</a>'
            for n in range(3)
            for slug, name in ((f"f{n}{k}", f) for k, f in enumerate(_FRIENDS))
        )
        return (
            '<footer class="site-footer">\n'
            ' <div class="footer-links"><a href="/about.html">關於我們</a><a href="/contact.html">聯繫我們</a>'
            '<a href="/disclaimer.html">免責聲明</a><a href="/copyright.html">版權聲明</a><a href="/sitemap.xml">網站地圖</a></div>\n'
            f' <div class="friend-links"><span>友情鏈接:</span>{friends}</div>\n'
            " <p>Copyright 2023-2025 - www.tftnews.com All Rights Reserved</p>\n</footer>\n"
            '<a id="go-top" href="#" title="返回頂部">↑</a>\n'
            f"{self._foot_script}\n</body></html>\n"
        )

    def article(self, article_id: int) -> str:
        """The article page of ``article_id``: 40–50 KB, ~250 links."""
        rng = random.Random(article_id)
        title = self.title(article_id)
        slug, category = self.category_of(article_id)
        moment = self.moment(article_id)
        simplified = article_id % 7 == 3
        pool = self.simplified if simplified and self.simplified else self.paragraphs
        paragraphs = [rng.choice(pool) for _ in range(rng.randint(22, 30))]
        # A page of its own: the headline opens the text, and one number differs per page.
        paragraphs[0] = f"{title}?{paragraphs[0]}"
        paragraphs[1] = re.sub(r"\d+", str(article_id % 997), paragraphs[1], count=1)
        stamp = f"{moment:%Y%m%d%H%M%S}"
        content = []
        figures = rng.randint(1, 4)
        for n, text in enumerate(paragraphs):
            tag = f"<p><strong>{_esc(text[:12])}</strong></p>" if n % 4 == 3 else f"<p>{_esc(text)}</p>"
            content.append(f"    {tag}")
            if n % 3 == 1 and figures:
                figures -= 1
                caption = rng.choice(self.captions) if self.captions and rng.random() < 0.7 else None
                img = f'<img src="/uploads/{moment:%Y/%m}/{stamp}_{len(content)}.jpg" alt="{"" if caption else _attr(title)}">'
                cap = f"<figcaption>{_esc(caption)}</figcaption>" if caption else ""
                content.append(f'    <figure class="article-img">{img}{cap}</figure>')
            if n == 5 and article_id % 3 == 0:
                content.append(
                    '    <div class="ad-slot ad-inline" data-ad="inline"><a href="https://ad.example.com/in" rel="nofollow">'
                    '<img src="/static/ad/inline.jpg" alt="廣告"></a></div>'
                )
        source = rng.choice(self.sources) if self.sources and article_id % 4 == 1 else None
        meta = f'<span class="article-time">更新时间:{moment:%Y-%m-%d %H:%M:%S}</span>'
        if source:
            meta += f' <span class="article-source">{_esc(source)}</span>'
        author = rng.choice(self.authors) if self.authors and article_id % 6 else None
        comments = []
        for n in range(20):
            when = moment + timedelta(minutes=13 * (n + 1))
            text = rng.choice(self.summaries)[: rng.randint(40, 120)]
            comments.append(
                f'<div class="comment-item"><a class="comment-user" href="/user/{article_id % 9973 + n}">{rng.choice(_NICKS)}</a>'
                f'<span class="comment-time">{when:%Y-%m-%d %H:%M}</span><p class="comment-text">{_esc(text)}</p>'
                f'<a class="comment-reply" href="/comment/reply?id={article_id}{n:02d}">回復</a></div>'
            )
        related = []
        for i in self._pick(rng, 10, article_id):
            t = self.title(i)
            related.append(
                f'   <li class="related-item"><a class="related-thumb" href="/news/{i}.html">'
                f'<img src="/uploads/{self.moment(i):%Y/%m/%Y%m%d%H%M%S}_1.jpg" alt="{_attr(t)}"></a>'
                f'<h4><a class="related-link" href="/news/{i}.html">{_esc(t)}</a></h4>'
                f'<p class="related-summary">{rng.choice(self._summaries)}</p>'
                f'<span class="related-date">{self.moment(i):%Y-%m-%d}</span></li>'
            )
        og = (
            '<meta property="og:type" content="article">\n'
            f'<meta property="og:title" content="{_attr(title)}">\n'
            f'<meta property="og:url" content="https://www.tftnews.com/news/{article_id}.html">\n'
        )
        return (
            self._head(title, f"/news/{article_id}.html", paragraphs[0][:120], og)
            + self._header(slug)
            + '<main class="main-wrap">\n'
            f' <nav class="breadcrumb"><a href="/">首页</a><span class="sep">/</span><a href="/category/meiri/">每日頭條</a>'
            f'<span class="sep">/</span><a href="/category/{slug}/">{category}</a><span class="sep">/</span>'
            f'<span class="current">{_esc(title)}</span></nav>\n'
            ' <article class="article">\n'
            f'  <h1 class="article-title">{_esc(title)}</h1>\n'
            f'  <div class="article-meta">{meta}</div>\n'
            '  <div class="share-bar"><a class="share-wechat">微信</a><a class="share-weibo">微博</a><a class="share-qq">QQ</a></div>\n'
            '  <div class="article-content">\n'
            + "\n".join(content)
            + "\n  </div>\n"
            + (f'  <p class="article-author">{_esc(author)}</p>\n' if author else "")
            + " </article>\n"
            f' <section class="comments" id="comments"><h3>Comments</h3>{self._comments_welcome}'
            '<a class="comment-signup" href="/user/signup">Sign up to post</a><div class="comment-sort">Sort by</div>'
            f'<div class="comment-list">{"".join(comments)}</div>'
            '<form class="comment-form"><textarea></textarea><button>發表</button></form><a class="comment-more">Show More Comments</a></section>\n'
            ' <section class="related"><h3 class="related-title">推荐阅读</h3><ul class="related-list">\n'
            + "\n".join(related)
            + "\n </ul></section>\n"
            + self._sidebar(rng, article_id)
            + "</main>\n"
            + self._footer
        )

    def _news_item(self, i: int, rng: random.Random) -> str:
        t = self.title(i)
        return (
            f' <li class="news-item"><a class="news-thumb" href="/news/{i}.html">'
            f'<img src="/uploads/{self.moment(i):%Y/%m/%Y%m%d%H%M%S}_1.jpg" alt="{_attr(t)}"></a>'
            f'<h3><a class="news-title" href="/news/{i}.html">{_esc(t)}</a></h3>'
            f'<p class="news-summary">{rng.choice(self._summaries)}</p>'
            f'<span class="news-time">{self.moment(i):%Y-%m-%d %H:%M}</span></li>'
        )

    def list_page(self, slug: str, number: int) -> str:
        """Page ``number`` of category ``slug``: 20 articles and a pager (first, ±5, last, next)."""
        rng = random.Random(f"{slug}/{number}")
        name = dict(CATEGORIES)[slug]
        last = self.list_pages(slug)
        ids = self.list_ids(slug)[(number - 1) * PER_LIST_PAGE : number * PER_LIST_PAGE]

        def href(n: int) -> str:
            return f"/category/{slug}/" if n == 1 else f"/category/{slug}/{n}.html"

        pager = []
        if number > 1:
            pager.append(f'<a class="prev" href="{href(number - 1)}">上一頁</a>')
        for n in sorted({1, *range(max(1, number - 5), min(last, number + 5) + 1), last}):
            pager.append(f'<a class="page{" active" if n == number else ""}" href="{href(n)}">{n}</a>')
        if number < last:
            pager.append(f'<a class="next" href="{href(number + 1)}">下一頁</a>')
        return (
            self._head(name, href(number), f"每日頭條{name}頻道,為你提供最新最全的{name}資訊。")
            + self._header(slug)
            + f'<main class="main-wrap"><nav class="breadcrumb"><a href="/">首页</a><span class="sep">/</span>'
            f'<span class="current">{name}</span></nav>\n<h1 class="list-title">{name}</h1>\n<ul class="news-list">\n'
            + "\n".join(self._news_item(i, rng) for i in ids)
            + f'\n</ul>\n<div class="pagination">{"".join(pager)}</div>\n'
            + self._sidebar(rng, None)
            + "</main>\n"
            + self._footer
        )

    def home(self) -> str:
        """The home page: a channel block per category, linking its list and newest articles."""
        rng = random.Random("home")
        channels = []
        for slug, name in CATEGORIES:
            entries = "".join(
                f'<li><a class="news-title" href="/news/{i}.html">{self._escaped[i - FIRST_ID]}</a></li>'
                for i in self.list_ids(slug)[:8]
            )
            channels.append(
                f'<section class="channel"><h2 class="channel-title"><a href="/category/{slug}/">{name}</a></h2><ul>{entries}</ul></section>'
            )
        latest = "\n".join(self._news_item(i, rng) for i in list(reversed(self.ids()))[:10])
        return (
            self._head("每日頭條", "/", "每日頭條,每天為你推薦有價值的資訊。")
            + self._header(None)
            + '<main class="main-wrap">\n'
            + "\n".join(channels)
            + f'\n<section class="latest"><h2 class="latest-title">最新</h2>\n<ul class="news-list">\n{latest}\n</ul></section>\n'
            + self._sidebar(rng, None)
            + "</main>\n"
            + self._footer
        )


# --- server -------------------------------------------------------------------------------------


async def _handle(portal: Portal, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            method, target, _ = head.split(b"\r\n", 1)[0].split(b" ", 2)
            status, content_type, body = portal.response(target.decode("latin-1"))
            close = b"connection: close" in head.lower()
            writer.write(
                (
                    f"HTTP/1.1 {status} {'OK' if status == 200 else 'Not Found'}\r\nServer: caiji-bench\r\n"
                    f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
                    f"Connection: {'close' if close else 'keep-alive'}\r\n\r\n"
                ).encode("latin-1")
                + (body if method != b"HEAD" else b"")
            )
            await writer.drain()
            if close:
                break
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
        pass
    finally:
        writer.close()


async def serve(portal: Portal, port: int, ready=None) -> None:
    """Serve ``portal`` on 127.0.0.1:``port`` (0: any free port) until cancelled."""
    server = await asyncio.start_server(lambda r, w: _handle(portal, r, w), "127.0.0.1", port)
    bound = server.sockets[0].getsockname()[1]
    if ready is not None:
        ready(bound)
    async with server:
        await server.serve_forever()


def check(port: int, paths: list[str], seconds: float = 3.0) -> float:
    """Pages per second one keep-alive client gets from the server (a floor on what it can serve)."""
    sock = socket.create_connection(("127.0.0.1", port))
    done, started, n = 0, time.perf_counter(), 0
    buf = b""
    while time.perf_counter() - started < seconds:
        sock.sendall(f"GET {paths[n % len(paths)]} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        n += 1
        while b"\r\n\r\n" not in buf:
            buf += sock.recv(1 << 16)
        head, buf = buf.split(b"\r\n\r\n", 1)
        length = int(re.search(rb"Content-Length: (\d+)", head).group(1))
        while len(buf) < length:
            buf += sock.recv(1 << 16)
        buf = buf[length:]
        done += 1
    sock.close()
    return done / (time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["serve", "write", "check"])
    parser.add_argument("dir", nargs="?", type=Path, help="where `write` puts the pages")
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_intermixed_args(argv)
    portal = Portal(args.pages)
    if args.command == "write":
        if args.dir is None:
            parser.error("write needs DIR")
        for path in portal.urls():
            target = args.dir / (path.lstrip("/") or "index.html")
            if path.endswith("/"):
                target = target / "index.html"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(portal.response(path)[2])
        print(f"{len(portal.urls())} pages in {args.dir}")
        return 0
    if args.command == "check":
        import subprocess

        server = subprocess.Popen(
            [sys.executable, __file__, "serve", "--pages", str(args.pages)], stdout=subprocess.PIPE, text=True
        )
        try:
            port = int(re.search(r":(\d+)/", server.stdout.readline()).group(1))
            articles = [p for p in portal.urls() if p.startswith("/news/")]
            print(f"{check(port, articles):.0f} article pages/s, one keep-alive client in another process")
        finally:
            server.terminate()
            server.wait()
        return 0

    def ready_line(port: int) -> None:
        print(f"serving {args.pages} articles at http://127.0.0.1:{port}/", flush=True)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(portal, args.port, ready_line))
    return 0


if __name__ == "__main__":
    sys.exit(main())
