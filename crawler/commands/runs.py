"""``scrapy runs [SPIDER]``: a distributed crawl across its workers (files, records, per-worker counts)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler.checks.summary import dataset_summary
from crawler.distributed.addon import DEFAULT_PREFIX, redis_url


class Command(ScrapyCommand):
    """Show the crawls kept in Redis (``CAIJI_REDIS_URL``): queue, workers, pages, records, files."""

    requires_project = True
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "[SPIDER]"

    def short_desc(self) -> str:
        return "Show a distributed crawl across its workers (or reset one with --reset)"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--crawl", metavar="ID", help="the crawl to show (default: the latest)")
        parser.add_argument("--last", type=int, default=1, metavar="N", help="show the N latest crawls")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="drop SPIDER's frontier (queue, dupefilter, requests in flight) so that the next run starts anew",
        )

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None and self.crawler_process is not None
        url = redis_url(self.settings)
        if url is None:
            print("not in distributed mode (CAIJI_REDIS_URL is unset); the dataset's runs:")
            print(dataset_summary(Path(self.settings.get("CAIJI_DATA_DIR") or "data")))
            return
        from crawler.distributed.store import connect

        server = connect(url)
        prefix = (self.settings.get("CAIJI_REDIS_PREFIX") or DEFAULT_PREFIX).strip()
        spiders = args or sorted(self.crawler_process.spider_loader.list())
        if opts.reset:
            if len(args) != 1:
                raise UsageError("--reset needs exactly one SPIDER")
            self.exitcode = reset(server, prefix, args[0])
            return
        print(f"store: {server.hlen(f'{prefix}:store:articles')} articles")
        for spider in spiders:
            crawl_ids = [c.decode() for c in server.lrange(f"{prefix}:{spider}:crawls", 0, max(1, opts.last) - 1)]
            if opts.crawl:
                crawl_ids = [opts.crawl]
            for crawl_id in crawl_ids:
                print(describe(server, prefix, spider, crawl_id))


def describe(server, prefix: str, spider: str, crawl_id: str) -> str:
    """Lines on one crawl: its state, then one line per worker and a total."""
    base = f"{prefix}:{spider}"
    record = {k.decode(): json.loads(v) for k, v in server.hgetall(f"{base}:crawl:{crawl_id}").items()}
    crawl = record.pop("_crawl", None)
    current = (server.get(f"{base}:crawl") or b"").decode()
    if crawl:
        state = f"complete, finished {crawl['finished_at']} by {crawl['finished_by']}"
    elif current == crawl_id:
        inflight = sum(server.hlen(f"{base}:processing:{w.decode()}") for w in server.smembers(f"{base}:workers"))
        state = (
            f"in progress: {server.zcard(f'{base}:requests')} queued, {inflight} in flight, "
            f"{server.scard(f'{base}:dupefilter')} requests seen"
        )
    else:
        state = "stopped before the end (reset, or resumed under another id)"
    lines = [f"{spider} crawl {crawl_id}: {state}"]
    if not record:
        lines.append("  no worker has reported")
        return "\n".join(lines)
    lines.append(f"  {'worker':<24} {'state':<10} {'pages':>7} {'records':>8} {'dupes':>6} {'rejected':>8}  files")
    pages = records = files = 0
    for worker, entry in sorted(record.items(), key=lambda kv: kv[1].get("started_at") or ""):
        state = entry.get("state", "?")
        if state == "running" and server.get(f"{prefix}:alive:{worker}") is None:
            state = "dead"
        names = entry.get("files") or []
        counts = _local_counts(entry)
        shown = ", ".join(f"{n} ({counts[n]})" if n in counts else n for n in names) or "-"
        lines.append(
            f"  {worker:<24} {state:<10} {entry.get('pages', 0):>7} {entry.get('written', 0):>8} "
            f"{entry.get('duplicates', 0):>6} {entry.get('rejected', 0):>8}  {shown}"
        )
        pages += entry.get("pages", 0)
        records += entry.get("written", 0)
        files += len(names)
    lines.append(f"  total: {len(record)} workers, {pages} pages, {records} records written, {files} files")
    return "\n".join(lines)


def _local_counts(entry: dict) -> dict[str, int]:
    """Records per file from the worker's manifest, when its data dir is reachable from here."""
    folder = Path(entry.get("dir") or "")
    manifest = folder / f"manifest-{entry.get('run_id')}.json"
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {f["name"]: f["records"] for f in data.get("files") or []}


def reset(server, prefix: str, spider: str) -> int:
    """Drop ``spider``'s frontier; 1 (and nothing dropped) while a worker is alive."""
    base = f"{prefix}:{spider}"
    workers = [w.decode() for w in server.smembers(f"{base}:workers")]
    alive = [w for w in workers if server.exists(f"{prefix}:alive:{w}")]
    if alive:
        print(f"not reset: workers still running: {', '.join(alive)}")
        return 1
    keys = [f"{base}:requests", f"{base}:dupefilter", f"{base}:crawl", f"{base}:workers"]
    keys += [f"{base}:processing:{w}" for w in workers]
    dropped = server.delete(*keys)
    print(f"reset {spider}: {dropped} keys dropped; the next run starts from the top (the article store is kept)")
    return 0
