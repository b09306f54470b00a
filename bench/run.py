"""caiji's performance benchmark: extraction on one core, crawls over a local portal, memory.

    python bench/run.py --pages 2000 [--json FILE] [--rss-pages 2000,20000] [--profile FILE]

What is measured (all in one run, so the ratios hold on a shared, noisy machine):

- ``lxml_parse_pps``: ``lxml.html.fromstring`` on the page bytes, nothing else.
  The extractors take turns over the same pages, ``--rounds`` times (default 5), and each keeps
  its best round: a neighbour's burst on a shared machine then costs one round, not a ratio.
- ``extract_site_pps`` / ``extract_generic_pps``: what a crawl does per article page before the
  item pipelines: the charset decision (``crawler.extraction.charset.detect_encoding``, as the
  CharsetMiddleware does), an ``HtmlResponse``, and ``rules.extract`` with the tftnews rules
  (CSS selectors) or the generic heuristics. The record pipelines (cleaning, OpenCC, schema) are
  not in it (trafilatura and GNE have none); they are in the crawl figures.
- ``trafilatura_pps``: ``trafilatura.extract`` with metadata, JSON out (as bench/accuracy.py).
- ``gne_pps``: the page decoded, then ``GeneralNewsExtractor().extract``.
- ``crawl_noop_pps``: a spider that is handed every URL the full crawl fetches and whose callback
  does nothing, with the project's settings (middlewares, extensions): Scrapy's own cost.
- ``crawl_full_pps``: ``tftnews`` from the home page over the same portal: link discovery,
  incremental store, extraction, cleaning, OpenCC, schema validation, dedup, dataset writer.
- ``crawl_full_w<N>_pps`` (N from ``--workers``, default 0,1,2,4): the full crawl with
  ``CAIJI_EXTRACT_WORKERS=N`` (0: extraction in the reactor's thread). ``reactor_cpu_ms_per_page``:
  CPU of the crawl's reactor thread (``time.thread_time`` from spider open to close) per page in the
  full crawl with the default workers, beside ``reactor_cpu_ms_per_page_noop``, the no-op crawl's.
  ``cpu_ms_per_page_main`` / ``cpu_ms_per_page_workers``: the one-worker crawl's CPU split (its
  process, all threads / its workers), and ``projected_pps_<C>_cores`` what that split allows on C
  cores: min(1 / main, (C − 1) / workers), on paper.
- ``opencc_share``: of the full crawl's CPU time (user + system, spider open to close), the share
  spent in the ScriptPipeline's detection and conversion (the CPU time of the crawl's thread
  inside those two calls: wall time would count the moments the process waits for a core);
  measured on the ``CAIJI_EXTRACT_WORKERS=0`` crawl, where OpenCC runs in the crawl's process.
- ``crawl_render_pps``: pages rendered per second by ``jsnews`` (default settings: CAIJI_RENDER=auto,
  4 pages open in the browser) over the JavaScript portal plus ``--js-articles`` script-only
  articles (bench/jsportal.py): every list page and every such article goes through headless
  Chromium, after its plain fetch; browser start-up included.
- ``render_share_auto``: share of the pages of a ``generic`` crawl of the plain portal (the
  ``--pages`` one, CAIJI_RENDER=auto) that were sent to the browser; must be 0.
  ``render_share_auto_site``: the same for the full ``tftnews`` crawl.
- ``rss_mb_<n>``: peak RSS (``ru_maxrss``) of the full crawl's process over an n-article portal;
  ``tree_rss_mb_<n>``: the peak of the sum of the RSS of that process and its extraction workers
  (sampled every 0.2 s).
- ``crawl_full_pps_fsync_<mode>`` (``--only fsync``): the full crawl with ``CAIJI_FSYNC`` set to
  ``off``, ``batch`` (the default) and ``every``, taking turns ``--fsync-rounds`` times (default 3),
  each mode's best round; what durability costs on this machine's disk (the data dir is in the
  system's temporary folder).

The portal (bench/portal.py) runs in its own process; its CPU use during each crawl is reported
(``server_cpu_share``), to show it is not what limits the crawl.

Diagnostics (environment): ``BENCH_SETTINGS="KEY=VALUE;…"`` sets Scrapy settings in both crawls;
``BENCH_RSS_TRACE=1`` logs RSS and live Scrapy objects every second; ``BENCH_TRACEMALLOC=1`` adds
the top Python allocations; ``BENCH_LOG_LEVEL=INFO`` shows the crawls' logs (with ``_crawl``);
``BENCH_PROFILE_ALL=1`` keeps library frames in ``--profile``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(HERE))

from portal import FIRST_ID, Portal  # noqa: E402

# --- extraction on one core ---------------------------------------------------------------------


def _rate(func, pages: list[tuple[str, bytes]], warmup: int = 5) -> float:
    for url, body in pages[:warmup]:
        func(url, body)
    started = time.perf_counter()
    for url, body in pages:
        func(url, body)
    return len(pages) / (time.perf_counter() - started)


def extraction(portal: Portal, count: int, base: str = "http://127.0.0.1:8801", rounds: int = 5) -> dict:
    """Pages per second of each extractor over the same ``count`` article pages.

    The extractors take turns, ``rounds`` times over, and each keeps its best round: on a shared
    machine a neighbour's burst then slows one round of one extractor, not the ratios.
    """
    import lxml.html
    from scrapy.http import HtmlResponse

    from crawler.extraction.charset import decode_html, detect_encoding
    from crawler.rules import get_rules

    pages = [(f"{base}/news/{i}.html", portal.response(f"/news/{i}.html")[2]) for i in range(FIRST_ID, FIRST_ID + count)]
    now = datetime.now(UTC)

    def caiji(name: str):
        rules = get_rules(name)

        def run(url: str, body: bytes) -> None:
            rules.extract(HtmlResponse(url=url, body=body, encoding=detect_encoding(body)), now)

        return run

    extractors = {
        "lxml_parse_pps": lambda url, body: lxml.html.fromstring(body),
        "extract_site_pps": caiji("tftnews"),
        "extract_generic_pps": caiji("generic"),
    }
    try:
        import trafilatura

        extractors["trafilatura_pps"] = lambda url, body: trafilatura.extract(
            body, url=url, output_format="json", with_metadata=True
        )
    except ImportError:
        pass
    try:
        from gne import GeneralNewsExtractor

        gne = GeneralNewsExtractor()
        extractors["gne_pps"] = lambda url, body: gne.extract(decode_html(body)[0])
    except ImportError:
        pass
    results: dict[str, float | None] = {"trafilatura_pps": None, "gne_pps": None}
    for _ in range(rounds):
        for key, func in extractors.items():
            results[key] = max(results.get(key) or 0.0, _rate(func, pages))
    return results


# --- crawls -------------------------------------------------------------------------------------


@contextmanager
def _server(command: list[str], quiet: bool = False):
    """A portal server in its own process that prints its address first: yields ``(base_url, pid)``.

    ``quiet``: its stderr (a request log) is dropped."""
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL if quiet else None, text=True)
    try:
        line = server.stdout.readline()
        port = re.search(r":(\d+)/", line)
        if not port:
            raise RuntimeError(f"portal server did not start: {line!r}")
        yield f"http://127.0.0.1:{port.group(1)}/", server.pid
    finally:
        server.terminate()
        server.wait()


def served(pages: int):
    """The benchmark portal (bench/portal.py) in its own process: yields ``(base_url, pid)``."""
    return _server([sys.executable, str(HERE / "portal.py"), "serve", "--pages", str(pages)])


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def served_js(articles: int):
    """A copy of the JavaScript portal with ``articles`` more articles (bench/jsportal.py), served by
    fixtures/serve.py in its own process: yields ``(base_url, pid)``."""
    import jsportal

    with tempfile.TemporaryDirectory(prefix="caiji-bench-js-") as root:
        jsportal.build(Path(root) / "jsnews", articles)
        serve = [sys.executable, str(PROJECT / "fixtures" / "serve.py"), "--root", str(Path(root) / "jsnews"), "--port", "0"]
        with _server(serve, quiet=True) as running:
            yield running


def crawl(spider: str, pages: int, profile: Path | None = None, portal=None, settings: str = "") -> dict:
    """Run one crawl in a fresh process over a fresh portal and data dir; its measurements.

    ``portal``: the served portal (default: bench/portal.py's with ``pages`` articles);
    ``settings``: more Scrapy settings for it, as ``BENCH_SETTINGS`` takes them.
    """
    with tempfile.TemporaryDirectory(prefix="caiji-bench-") as tmp, portal or served(pages) as (base, server_pid):
        out = Path(tmp) / "result.json"
        command = [sys.executable, __file__, "_crawl", spider, base, str(pages), str(Path(tmp) / "data"), str(out)]
        if profile:
            command += ["--profile", str(profile)]
        server_cpu = _cpu_seconds(server_pid)
        env = dict(os.environ)
        if settings:
            env["BENCH_SETTINGS"] = ";".join(filter(None, [env.get("BENCH_SETTINGS", ""), settings]))
        completed = subprocess.run(command, cwd=PROJECT, capture_output=True, text=True, env=env)
        server_cpu = _cpu_seconds(server_pid) - server_cpu
        if completed.returncode != 0 or not out.exists():
            raise RuntimeError(f"{spider} crawl failed ({completed.returncode}):\n{completed.stderr[-3000:]}")
        result = json.loads(out.read_text())
        result["server_cpu_share"] = server_cpu / result["seconds"]
        return result


def _child_crawl(spider: str, base: str, pages: int, data_dir: str, out: str, profile: str | None) -> None:
    """In the crawl's own process: run the spider with the project's settings and time it."""
    os.chdir(PROJECT)
    import scrapy
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    from pipelines.script import ScriptConverter, ScriptDetector

    script_seconds = [0.0]

    def timed(method):
        def wrapper(*args, **kwargs):
            started = time.thread_time()
            try:
                return method(*args, **kwargs)
            finally:
                script_seconds[0] += time.thread_time() - started

        return wrapper

    ScriptDetector.detect = timed(ScriptDetector.detect)
    ScriptConverter.convert_item = timed(ScriptConverter.convert_item)

    class NoopSpider(scrapy.Spider):
        """Fetches the pages the full crawl fetches, and does nothing with them."""

        name = "bench_noop"
        custom_settings = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False}
        # The host caiji's ScopeMiddleware lets a loopback crawl fetch from.
        host = "127.0.0.1"

        async def start(self):
            for path in Portal(pages).urls():
                yield scrapy.Request(base.rstrip("/") + path, callback=self.parse)

        def parse(self, response, **kwargs):
            return None

    settings = get_project_settings()
    settings.set("CAIJI_DATA_DIR", data_dir, priority="cmdline")
    settings.set("LOG_LEVEL", os.environ.get("BENCH_LOG_LEVEL", "WARNING"), priority="cmdline")
    settings.set("CAIJI_PROGRESS_INTERVAL", 0, priority="cmdline")
    for pair in filter(None, os.environ.get("BENCH_SETTINGS", "").split(";")):
        key, _, value = pair.partition("=")
        settings.set(key.strip(), value.strip(), priority="cmdline")
    process = CrawlerProcess(settings)
    marks: dict[str, tuple[float, float]] = {}

    def now() -> tuple[float, float, float]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        # The signals fire in the reactor's thread: thread_time() is that thread's CPU.
        return time.perf_counter(), usage.ru_utime + usage.ru_stime, time.thread_time()

    tree_rss = [0]

    def sample_tree_rss() -> None:
        tree_rss[0] = max(tree_rss[0], _tree_rss_kb(os.getpid()))

    crawler = process.create_crawler(NoopSpider if spider == "noop" else spider)

    def opened(spider) -> None:
        marks["open"] = now()
        from twisted.internet import task

        # The crawl's process and its extraction workers, sampled (ru_maxrss is one process's).
        marks["rss"] = task.LoopingCall(sample_tree_rss)
        marks["rss"].start(0.2)
        if os.environ.get("BENCH_RSS_TRACE"):
            from twisted.internet import task

            def trace() -> None:
                rss = Path("/proc/self/status").read_text().split("VmRSS:")[1].split()[0]
                pages = crawler.stats.get_value("response_received_count", 0)
                from scrapy.utils.trackref import live_refs

                alive = {cls.__name__: len(refs) for cls, refs in live_refs.items() if refs}
                print(f"rss {int(rss) // 1024} MB at {pages} pages; alive {alive}", file=sys.stderr)
                if os.environ.get("BENCH_TRACEMALLOC") and 400 < pages < 700 and "dumped" not in marks:
                    import gc
                    import tracemalloc
                    from collections import Counter

                    marks["dumped"] = True
                    snapshot = tracemalloc.take_snapshot()
                    print("traced MB", sum(s.size for s in snapshot.statistics("filename")) / 2**20, file=sys.stderr)
                    for stat in snapshot.statistics("lineno")[:12]:
                        print(stat, file=sys.stderr)
                    print(Counter(type(o).__name__ for o in gc.get_objects()).most_common(12), file=sys.stderr)

            marks["trace"] = task.LoopingCall(trace)
            marks["trace"].start(1.0)

    def closed(spider, reason) -> None:
        sample_tree_rss()
        marks["close"] = now()
        if os.environ.get("BENCH_TRACEMALLOC"):
            import tracemalloc

            for stat in tracemalloc.take_snapshot().statistics("lineno")[:25]:
                print(stat, file=sys.stderr)

    # Signal receivers are held weakly: these two live as long as this function runs.
    crawler.signals.connect(opened, signal=signals.spider_opened)
    crawler.signals.connect(closed, signal=signals.spider_closed)
    profiler = None
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.001)
        profiler.start()
    if os.environ.get("BENCH_TRACEMALLOC"):
        import tracemalloc

        tracemalloc.start()
    process.crawl(crawler, **({} if spider == "noop" else {"start_url": base}))
    process.start()
    if profiler:
        profiler.stop()
        Path(profile).write_text(
            profiler.output_text(unicode=True, color=False, show_all=os.environ.get("BENCH_PROFILE_ALL") == "1")
        )
    stats = crawler.stats.get_stats()
    # The extraction workers have exited and been waited for by now: their CPU is the children's.
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    (wall0, cpu0, thread0), (wall1, cpu1, thread1) = marks["open"], marks["close"]
    result = {
        "spider": spider,
        "pages": stats.get("response_received_count", 0),
        "items": stats.get("item_scraped_count", 0),
        "written": stats.get("caiji/written", 0),
        "seconds": wall1 - wall0,
        "cpu_seconds": cpu1 - cpu0,
        "reactor_cpu_seconds": thread1 - thread0,
        "workers": stats.get("caiji/extract/workers", 0),
        "tree_rss_mb": tree_rss[0] / 1024,
        "workers_cpu_seconds": children.ru_utime + children.ru_stime,
        "script_seconds": script_seconds[0],
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "finish_reason": stats.get("finish_reason"),
        # Pages that went through the browser, and those of them it rendered.
        "render_pages": stats.get("caiji/render/pages", 0),
        "rendered": stats.get("caiji/render/rendered", 0),
    }
    result["pps"] = result["pages"] / result["seconds"]
    result["reactor_cpu_ms_per_page"] = 1000 * result["reactor_cpu_seconds"] / max(1, result["pages"])
    Path(out).write_text(json.dumps(result))


def _tree_rss_kb(pid: int) -> int:
    """Resident memory of ``pid`` and all its descendants, in KB (Linux ``/proc``)."""
    total = 0
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(status.split("VmRSS:")[1].split()[0])
            for task_dir in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task_dir / "children").read_text().split()]
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
    return total


# --- the table ----------------------------------------------------------------------------------

TARGETS = [
    ("extract_site_pps", "≥ 0.40 × lxml_parse_pps", lambda r: r["extract_site_pps"] / r["lxml_parse_pps"], 0.40),
    ("extract_site_pps", "≥ 10 × trafilatura_pps", lambda r: r["extract_site_pps"] / r["trafilatura_pps"], 10),
    ("extract_generic_pps", "≥ 3 × trafilatura_pps", lambda r: r["extract_generic_pps"] / r["trafilatura_pps"], 3),
    ("crawl_full_pps", "≥ 0.60 × crawl_noop_pps", lambda r: r["crawl_full_pps"] / r["crawl_noop_pps"], 0.60),
    ("opencc_share", "≤ 0.10", lambda r: r["opencc_share"], -0.10),
    ("render_share_auto", "= 0 (plain portal)", lambda r: r["render_share_auto"], -0.0),
    ("rss_mb_2000", "≤ 250 MB", lambda r: r["rss_mb_2000"], -250),
    ("rss_mb_20000", "≤ 1.2 × rss_mb_2000", lambda r: r["rss_mb_20000"] / r["rss_mb_2000"], -1.2),
    ("crawl_full_w1_pps", "≥ 1.4 × crawl_full_w0_pps", lambda r: r["crawl_full_w1_pps"] / r["crawl_full_w0_pps"], 1.4),
    (
        "reactor_cpu_ms_per_page",
        "≤ 1.3 × no-op's",
        lambda r: r["reactor_cpu_ms_per_page"] / r["reactor_cpu_ms_per_page_noop"],
        -1.3,
    ),
    ("tree_rss_mb_20000", "≤ 300 MB", lambda r: r["tree_rss_mb_20000"], -300),
    ("tree_rss_mb_20000", "≤ 1.2 × tree_rss_mb_2000", lambda r: r["tree_rss_mb_20000"] / r["tree_rss_mb_2000"], -1.2),
]


def table(results: dict) -> str:
    rows = [f"{'figure':<28} {'value':>10}", "-" * 39]
    for key in (
        "lxml_parse_pps",
        "extract_site_pps",
        "extract_generic_pps",
        "trafilatura_pps",
        "gne_pps",
        "crawl_noop_pps",
        "crawl_full_pps",
        "crawl_render_pps",
        "render_share_auto",
        "render_share_auto_site",
        "opencc_share",
        "rss_mb_2000",
        "rss_mb_20000",
        "tree_rss_mb_2000",
        "tree_rss_mb_20000",
        "crawl_full_w0_pps",
        "crawl_full_w1_pps",
        "crawl_full_w2_pps",
        "crawl_full_w4_pps",
        "reactor_cpu_ms_per_page_noop",
        "reactor_cpu_ms_per_page",
        "cpu_ms_per_page_main",
        "cpu_ms_per_page_workers",
        "projected_pps_2_cores",
        "projected_pps_8_cores",
        "projected_pps_16_cores",
    ):
        value = results.get(key)
        rows.append(
            f"{key:<28} {'-' if value is None else (f'{value:.3f}' if key.endswith('_share') or 'share_' in key or key == 'crawl_render_pps' or 'ms_per_page' in key else f'{value:.0f}'):>10}"
        )
    rows += ["", f"{'target':<44} {'ratio':>8}  met", "-" * 58]
    for key, text, ratio, bound in TARGETS:
        try:
            value = ratio(results)
        except (KeyError, TypeError, ZeroDivisionError):
            rows.append(f"{key + ' ' + text:<44} {'-':>8}  -")
            continue
        met = value >= bound if bound > 0 else value <= -bound
        rows.append(f"{key + ' ' + text:<44} {value:>8.2f}  {'yes' if met else 'NO'}")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_crawl":
        child = argparse.ArgumentParser()
        for name in ("spider", "base", "pages", "data_dir", "out"):
            child.add_argument(name)
        child.add_argument("--profile")
        a = child.parse_args(argv[1:])
        _child_crawl(a.spider, a.base, int(a.pages), a.data_dir, a.out, a.profile)
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000, help="articles in the portal of the crawls (default 2000)")
    parser.add_argument("--extract-pages", type=int, default=300, help="article pages each extractor reads (default 300)")
    parser.add_argument("--rounds", type=int, default=5, help="turns each extractor takes; its best counts (default 5)")
    parser.add_argument("--rss-pages", default="2000,20000", help="portal sizes of the peak-RSS crawls ('' to skip)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    parser.add_argument("--profile", type=Path, help="write a pyinstrument profile of the full crawl to this file")
    parser.add_argument("--only", choices=["extract", "crawl", "render", "fsync"], help="run one part of the benchmark")
    parser.add_argument(
        "--workers", default="0,1,2,4", help="CAIJI_EXTRACT_WORKERS values of the full crawls compared (default 0,1,2,4)"
    )
    parser.add_argument("--js-articles", type=int, default=200, help="articles added to the JavaScript portal (default 200)")
    parser.add_argument("--fsync-rounds", type=int, default=3, help="turns of each CAIJI_FSYNC mode with --only fsync")
    args = parser.parse_args(argv)
    if args.only == "fsync":
        return fsync_costs(args.pages, args.fsync_rounds, args.json)

    portal = Portal(max(args.pages, args.extract_pages))
    results: dict = {"pages": args.pages, "extract_pages": args.extract_pages}
    if args.only in (None, "extract"):
        print(f"extraction: {args.extract_pages} article pages, one core …", file=sys.stderr, flush=True)
        results.update(extraction(portal, args.extract_pages, rounds=args.rounds))
    if args.only in (None, "render"):
        print(f"rendering: the JavaScript portal with {args.js_articles} more articles …", file=sys.stderr, flush=True)
        rendered = crawl("jsnews", 0, portal=served_js(args.js_articles))
        results["crawl_render_pps"] = rendered["rendered"] / rendered["seconds"]
        print(f"rendering: generic over the plain {args.pages}-article portal (CAIJI_RENDER=auto) …", file=sys.stderr, flush=True)
        generic = crawl("generic", args.pages)
        results["render_share_auto"] = generic["render_pages"] / max(1, generic["pages"])
        results.setdefault("crawls", {}).update({"render": rendered, "generic_auto": generic})
    if args.only in (None, "crawl"):
        print(f"crawls: {args.pages} articles …", file=sys.stderr, flush=True)
        noop = crawl("noop", args.pages)
        full = crawl("tftnews", args.pages, args.profile)
        results["crawl_noop_pps"] = noop["pps"]
        results["crawl_full_pps"] = full["pps"]
        results.setdefault("crawls", {}).update({"noop": noop, "full": full})
        results["render_share_auto_site"] = full["render_pages"] / max(1, full["pages"])
        results[f"rss_mb_{args.pages}"] = full["rss_mb"]
        results[f"tree_rss_mb_{args.pages}"] = full["tree_rss_mb"]
        results["reactor_cpu_ms_per_page_noop"] = noop["reactor_cpu_ms_per_page"]
        results["reactor_cpu_ms_per_page"] = full["reactor_cpu_ms_per_page"]
        for workers in [int(w) for w in args.workers.split(",") if w.strip()]:
            print(f"crawls: {args.pages} articles, CAIJI_EXTRACT_WORKERS={workers} …", file=sys.stderr, flush=True)
            run = crawl("tftnews", args.pages, settings=f"CAIJI_EXTRACT_WORKERS={workers}")
            results[f"crawl_full_w{workers}_pps"] = run["pps"]
            results["crawls"][f"full_w{workers}"] = run
            if workers == 0:
                # OpenCC's share is measured where it runs in the crawl's process: with no workers.
                results["opencc_share"] = run["script_seconds"] / run["cpu_seconds"]
            if workers == 1:
                results.update(scaling(run))
        for size in [int(s) for s in args.rss_pages.split(",") if s.strip()]:
            if f"rss_mb_{size}" not in results:
                print(f"peak RSS: {size} articles …", file=sys.stderr, flush=True)
                run = crawl("tftnews", size)
                results[f"rss_mb_{size}"] = run["rss_mb"]
                results[f"tree_rss_mb_{size}"] = run["tree_rss_mb"]
                results["crawls"][f"full_{size}"] = run
    results["machine"] = {"nproc": os.cpu_count(), "cpu": _cpu_model(), "date": datetime.now(UTC).strftime("%Y-%m-%d")}
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


def scaling(run: dict) -> dict:
    """Pages/s a machine with more cores would reach, on paper, from a one-worker crawl's CPU split:
    the reactor thread caps it at 1 / (its CPU a page), the workers at (cores − 1) / (theirs)."""
    pages = max(1, run["pages"])
    main = run["cpu_seconds"] / pages  # the crawl's process, all its threads
    worker = run["workers_cpu_seconds"] / pages
    out = {"cpu_ms_per_page_main": 1000 * main, "cpu_ms_per_page_workers": 1000 * worker}
    for cores in (2, 8, 16):
        out[f"projected_pps_{cores}_cores"] = min(1 / main, (cores - 1) / worker) if worker else 1 / main
    return out


def fsync_costs(pages: int, rounds: int, json_path: Path | None) -> int:
    """Full-crawl pages/s with each CAIJI_FSYNC mode, taking turns; each mode's best round."""
    results: dict = {"pages": pages}
    runs: dict[str, list[dict]] = {}
    for n in range(rounds):
        for mode in ("off", "batch", "every"):
            run = crawl("tftnews", pages, settings=f"CAIJI_FSYNC={mode}")
            runs.setdefault(mode, []).append(run)
            print(f"round {n + 1}: CAIJI_FSYNC={mode:<5} {run['pps']:.1f} pages/s", file=sys.stderr, flush=True)
    for mode, found in runs.items():
        results[f"crawl_full_pps_fsync_{mode}"] = max(r["pps"] for r in found)
    results["machine"] = {"nproc": os.cpu_count(), "cpu": _cpu_model(), "date": datetime.now(UTC).strftime("%Y-%m-%d")}
    print(json.dumps(results, indent=2))
    if json_path:
        json_path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


if __name__ == "__main__":
    sys.exit(main())
