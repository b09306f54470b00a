"""Distributed crawling: pages/s with 1 and 2 workers side by side, and Redis memory per URL.

    python bench/redis_workers.py speed [--articles 2000] [--rounds 2]
    python bench/redis_workers.py memory [--count 200000]

``speed`` builds the synthetic portal (fixtures/synthetic_portal.py), serves it on 127.0.0.1 in
a process of its own, starts a redis-server of its own, and crawls the portal with ``tftnews``:
one worker without Redis, one worker with Redis, and two workers with Redis (the same command
line twice), in turn, ``--rounds`` times. Pages/s is the pages fetched by all workers over the
span from the first worker's start to the last one's exit (process start-up included); CPU
ms/page is the workers' user + system time per page, which another load on the machine does not
change.

``memory`` fills a fresh redis-server the way a crawl does, ``--count`` entries of each kind,
and reads ``used_memory`` (INFO memory) after each: request fingerprints in the dupefilter (a
set of 40-hex SHA-1s), queued requests (the pickled request in the priority queue, as
scrapy-redis stores a tftnews article request), and stored articles (crawler/distributed/store.py).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "fixtures"))

from redis_server import RedisServer  # noqa: E402
from synthetic_portal import build  # noqa: E402


def redis_client(server: RedisServer):
    """A redis-py client of ``server``."""
    import redis

    return redis.Redis.from_url(server.url)


def _crawl(url: str, data_dir: Path, workers: int, redis_url: str | None) -> dict:
    command = [str(Path(sys.executable).with_name("scrapy")), "crawl", "tftnews", "-a", f"start_url={url}"]
    command += ["-s", f"CAIJI_DATA_DIR={data_dir}", "-s", "LOG_LEVEL=WARNING", "-s", "CAIJI_PROGRESS_INTERVAL=0"]
    if redis_url:
        command += ["-s", f"CAIJI_REDIS_URL={redis_url}"]
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    processes = []
    for _ in range(workers):
        processes.append(subprocess.Popen(command, cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    codes = [p.wait() for p in processes]
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    manifests = [json.loads(p.read_text()) for p in data_dir.glob("tftnews/*/manifest-*.json")]
    pages = sum(m["counts"]["pages"] for m in manifests)
    written = sum(m["counts"]["written"] for m in manifests)
    return {
        "codes": codes,
        "seconds": round(elapsed, 2),
        "pages": pages,
        "written": written,
        "pps": round(pages / elapsed, 1),
        "cpu_ms_per_page": round(1000 * cpu / pages, 2),
    }


def speed(articles: int, rounds: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        root = build(Path(tmp) / "portal", articles)
        # Port 0: the server binds a port the kernel picks and prints its address.
        server = subprocess.Popen(
            [sys.executable, str(PROJECT / "fixtures" / "serve.py"), "--root", str(root), "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        url = re.search(r"http://127\.0\.0\.1:\d+/", server.stdout.readline()).group(0)
        redis = RedisServer(Path(tmp) / "redis")
        client = redis_client(redis)
        results: dict[str, list[dict]] = {"1 worker, no Redis": [], "1 worker, Redis": [], "2 workers, Redis": []}
        try:
            for n in range(rounds):
                for label, workers, use_redis in (
                    ("1 worker, no Redis", 1, False),
                    ("1 worker, Redis", 1, True),
                    ("2 workers, Redis", 2, True),
                ):
                    client.flushall()
                    result = _crawl(url, Path(tmp) / f"data-{n}-{workers}-{use_redis}", workers, redis.url if use_redis else None)
                    results[label].append(result)
                    print(f"round {n + 1}: {label:<20} {result}", flush=True)
        finally:
            client.close()
            redis.stop()
            server.terminate()
            server.wait()
    summary = {label: statistics.median(r["pps"] for r in runs) for label, runs in results.items()}
    summary["speed-up 2 vs 1 (Redis)"] = round(summary["2 workers, Redis"] / summary["1 worker, Redis"], 2)
    print(json.dumps(summary, indent=2))
    return summary


def memory(count: int) -> dict:
    import hashlib
    import pickle

    with tempfile.TemporaryDirectory() as tmp:
        redis = RedisServer(Path(tmp) / "redis")
        client = redis_client(redis)
        try:
            client.flushall()
            base = client.info("memory")["used_memory"]
            sizes = {}
            pipe = client.pipeline(transaction=False)
            for i in range(count):
                pipe.sadd("caiji:tftnews:dupefilter", hashlib.sha1(f"https://www.tftnews.com/news/{i}.html".encode()).hexdigest())
                if i % 10000 == 9999:
                    pipe.execute()
            pipe.execute()
            used = client.info("memory")["used_memory"]
            sizes["dupefilter fingerprint"] = (used - base) / count
            base = used
            # A queued article request, pickled as scrapy-redis stores it (Request.to_dict()).
            request = {
                "url": "https://www.tftnews.com/news/1234567.html",
                "callback": "parse_article",
                "errback": "on_error",
                "headers": {b"Referer": [b"https://www.tftnews.com/category/minsu/12.html"]},
                "method": "GET",
                "body": b"",
                "cookies": {},
                "meta": {"depth": 3},
                "encoding": "utf-8",
                "priority": 0,
                "dont_filter": False,
                "flags": [],
                "cb_kwargs": {},
            }
            for i in range(count):
                request["url"] = f"https://www.tftnews.com/news/{i}.html"
                pipe.zadd("caiji:tftnews:requests", {pickle.dumps(request, protocol=-1): 0})
                if i % 10000 == 9999:
                    pipe.execute()
            pipe.execute()
            used = client.info("memory")["used_memory"]
            sizes["queued request"] = (used - base) / count
            base = used
            from crawler.distributed.store import RedisArticleStore

            store = RedisArticleStore(redis.url, "caiji", "bench", "20261129T000000Z-bench-0000")
            pipe = store.server.pipeline(transaction=False)
            for i in range(count):
                url = f"https://www.tftnews.com/news/{i}.html"
                digest = hashlib.sha256(url.encode()).hexdigest()
                value = "\t".join(
                    (
                        digest,
                        store.run_id,
                        "2025-03-31T13:17:35+08:00",
                        "2026-11-29T01:02:03+00:00",
                        "2026-11-29T01:02:03+00:00",
                        "tftnews",
                        url,
                    )
                )
                pipe.hset(store.articles, url, value)
                pipe.hsetnx(store.hashes, digest, url)
                if i % 10000 == 9999:
                    pipe.execute()
            pipe.execute()
            used = client.info("memory")["used_memory"]
            sizes["stored article"] = (used - base) / count
            store.close()
        finally:
            client.close()
            redis.stop()
    per_million = {k: f"{v * 1_000_000 / 2**20:.0f} MiB" for k, v in sizes.items()}
    result = {"count": count, "bytes_each": {k: round(v, 1) for k, v in sizes.items()}, "per_million": per_million}
    print(json.dumps(result, indent=2))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    s = sub.add_parser("speed")
    s.add_argument("--articles", type=int, default=2000)
    s.add_argument("--rounds", type=int, default=2)
    m = sub.add_parser("memory")
    m.add_argument("--count", type=int, default=200_000)
    args = parser.parse_args(argv)
    if args.what == "speed":
        speed(args.articles, args.rounds)
    else:
        memory(args.count)
    return 0


if __name__ == "__main__":
    os.chdir(PROJECT)
    sys.exit(main())
