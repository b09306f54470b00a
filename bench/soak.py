"""A soak of the crawl: the benchmark portal with faults, SIGKILLs at random moments, then every check.

    python bench/soak.py --articles 2000 --kills 5 [--faults] [--seed N] [--gzip] [--file-records N]
                         [--redis] [--workers N] [--keep DIR]
    python bench/soak.py --check DIR       # check a kept soak's dataset again

Serves bench/portal.py's portal on 127.0.0.1 from this process. With ``--faults`` some articles
answer 500 then OK (every other request), are cut short then OK, drip slowly, reset the
connection or never answer (those two are unreachable), and between runs a few are edited (a new
version each time) or removed (404 from then on). ``scrapy crawl tftnews`` runs against it and is
killed with SIGKILL at ``--kills`` moments drawn from ``--seed`` (printed, so a failure can be
replayed with the same seed: the same faults, edits and moments, though a loaded machine gets less
far in the same seconds), rerun each time, and once more until a run finishes. Then the dataset
is checked against the portal's own list, one line per check; exit 1 on any miss.

With ``--redis`` a redis-server of its own (on a unix socket: no port to race for) serves
``--workers`` workers (default 2) on the same command line; each kill hits one of them, which is
started again at once. Edits and removals are off there: the workers share one crawl, in which an
article edited mid-crawl has no single "latest" version to check against.

Every run re-fetches every stored article (``CAIJI_REFRESH_DAYS`` very large: the portal's dates are
in 2025), so each run meets the whole dataset again and must write nothing twice.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import hashlib
import json
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(PROJECT / "fixtures"))

from portal import Portal  # noqa: E402
from redis_server import RedisServer  # noqa: E402

SPIDER = "tftnews"
#: Fault kinds → whether an article with it can be fetched in the end (the reason the crawl gives if not).
FAULT_KINDS = {
    "flaky": None,  # 500 on every other request: the retry gets it
    "truncated": None,  # every other answer is cut short (Content-Length not reached): retried
    "drip": None,  # the body in five slow pieces, within the timeout
    "reset": "fetch error",  # the connection is reset, every time
    "timeout": "fetch error",  # no answer within DOWNLOAD_TIMEOUT, every time
}
DOWNLOAD_TIMEOUT = 3.0


class SoakPortal(Portal):
    """The benchmark portal with faults, versions (edits) and removals that the soak changes between runs."""

    def __init__(self, pages: int, rng: random.Random, faults: bool, fault_rate: float) -> None:
        super().__init__(pages)
        self.faults: dict[int, str] = {}
        self.versions: dict[int, int] = {}
        self.removed: set[int] = set()
        self.hits: Counter[str] = Counter()
        self.lock = threading.Lock()
        if faults:
            ids = list(self.ids())
            chosen = rng.sample(ids, max(len(FAULT_KINDS), int(len(ids) * fault_rate)))
            kinds = list(FAULT_KINDS)
            self.faults = {article_id: kinds[n % len(kinds)] for n, article_id in enumerate(chosen)}

    def plain(self) -> list[int]:
        """Articles without a fault, not removed: the ones edits and removals pick from."""
        return [i for i in self.ids() if i not in self.faults and i not in self.removed]

    def edit(self, article_id: int) -> None:
        """A new version of the article's text."""
        self.versions[article_id] = self.versions.get(article_id, 0) + 1

    def state(self) -> dict:
        """What the checks need to know of the portal, for ``--check``."""
        return {
            "articles": self.pages,
            "faults": {str(k): v for k, v in self.faults.items()},
            "versions": {str(k): v for k, v in self.versions.items()},
            "removed": sorted(self.removed),
        }

    @classmethod
    def from_state(cls, state: dict) -> SoakPortal:
        portal = cls(state["articles"], random.Random(0), faults=False, fault_rate=0)
        portal.faults = {int(k): v for k, v in state["faults"].items()}
        portal.versions = {int(k): v for k, v in state["versions"].items()}
        portal.removed = set(state["removed"])
        return portal

    def reachable(self) -> set[int]:
        return {i for i in self.ids() if i not in self.removed and not FAULT_KINDS.get(self.faults.get(i, ""))}

    def unreachable(self) -> dict[int, str]:
        """Article id → the reason the crawl must give for it."""
        found = {i: "http 404" for i in self.removed}
        found.update({i: FAULT_KINDS[k] for i, k in self.faults.items() if FAULT_KINDS[k] and i not in self.removed})
        return found

    def article(self, article_id: int) -> str:
        page = super().article(article_id)
        version = self.versions.get(article_id)
        if version:
            marker = '<div class="article-content">\n    <p>'
            page = page.replace(marker, f"{marker}{version_mark(version)}", 1)
        return page

    def fault_of(self, path: str) -> tuple[str | None, int]:
        """The fault this request meets (None: a plain answer) and how many times the path was asked for."""
        with self.lock:
            self.hits[path] += 1
            count = self.hits[path]
        m = re.fullmatch(r"/news/(\d+)\.html", path.split("?", 1)[0])
        if not m:
            return None, count
        article_id = int(m.group(1))
        if article_id in self.removed:
            return "removed", count
        return self.faults.get(article_id), count


def version_mark(version: int) -> str:
    """The text an edited article's body starts with."""
    return f"（第{version}次修订）"


async def _handle(portal: SoakPortal, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            method, target, _ = head.split(b"\r\n", 1)[0].split(b" ", 2)
            path = target.decode("latin-1")
            fault, count = portal.fault_of(path)
            if fault == "reset":
                # SO_LINGER with a zero timeout: closing sends a RST.
                writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                writer.transport.abort()
                return
            if fault == "timeout":
                await asyncio.sleep(DOWNLOAD_TIMEOUT + 2)
                return
            if fault == "flaky" and count % 2:
                status, content_type, body = 500, "text/plain", b"busy"
            elif fault == "removed":
                status, content_type, body = 404, "text/html; charset=utf-8", b"<html><body>404</body></html>"
            else:
                status, content_type, body = portal.response(path)
            reason = {200: "OK", 404: "Not Found", 500: "Internal Server Error"}[status]
            header = (
                f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
                "Connection: keep-alive\r\n\r\n"
            ).encode("latin-1")
            if method == b"HEAD":
                body = b""
            if fault == "truncated" and count % 2:
                writer.write(header + body[: len(body) // 2])
                await writer.drain()
                return
            if fault == "drip":
                writer.write(header)
                step = len(body) // 5 + 1
                for start in range(0, len(body), step):
                    writer.write(body[start : start + step])
                    await writer.drain()
                    await asyncio.sleep(0.1)
                continue
            writer.write(header + body)
            await writer.drain()
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError, KeyError):
        pass
    finally:
        writer.close()


class PortalThread:
    """The soak portal served from a thread of this process, on a port the kernel picks."""

    def __init__(self, portal: SoakPortal) -> None:
        self.portal = portal
        self.loop = asyncio.new_event_loop()
        self.port = 0
        ready = threading.Event()

        async def main() -> None:
            server = await asyncio.start_server(lambda r, w: _handle(portal, r, w), "127.0.0.1", 0)
            self.port = server.sockets[0].getsockname()[1]
            ready.set()
            async with server:
                await server.serve_forever()

        self.thread = threading.Thread(target=lambda: self._run(main()), daemon=True)
        self.thread.start()
        ready.wait(30)

    def _run(self, coro) -> None:
        asyncio.set_event_loop(self.loop)
        # stop() ends the loop with connections still open (a timeout fault sleeping): not an error.
        with contextlib.suppress(asyncio.CancelledError, RuntimeError):
            self.loop.run_until_complete(coro)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


# --- crawls -------------------------------------------------------------------------------------


class Crawls:
    """Starts ``scrapy crawl`` runs against the portal, each with a log file of its own."""

    def __init__(self, url: str, data_dir: Path, logs: Path, settings: list[str]) -> None:
        self.url = url
        self.data_dir = data_dir
        self.logs = logs
        self.settings = settings
        self.started = 0

    def start(self) -> tuple[subprocess.Popen, Path]:
        self.started += 1
        log = self.logs / f"run-{self.started:02d}.log"
        command = [str(Path(sys.executable).with_name("scrapy")), "crawl", SPIDER, "-a", f"start_url={self.url}"]
        for setting in [f"CAIJI_DATA_DIR={self.data_dir}", *self.settings]:
            command += ["-s", setting]
        with log.open("w") as out:
            process = subprocess.Popen(command, cwd=PROJECT, stdout=out, stderr=subprocess.STDOUT)
        return process, log


def crawl_settings(args: argparse.Namespace, redis_url: str | None) -> list[str]:
    settings = [
        "LOG_LEVEL=INFO",
        f"DOWNLOAD_TIMEOUT={DOWNLOAD_TIMEOUT}",
        "CAIJI_RETRY_BACKOFF=0.2",
        # Every stored article is fetched again: each run meets the whole dataset.
        "CAIJI_REFRESH_DAYS=100000",
        f"CAIJI_FILE_RECORDS={args.file_records}",
    ]
    if args.gzip:
        settings.append("CAIJI_COMPRESS=gzip")
    if redis_url:
        # A worker started again late gets the crawl's tail (often only its timeouts): its own
        # checks would fail it for that, so the soak judges the crawl as a whole instead.
        settings += [f"CAIJI_REDIS_URL={redis_url}", "CAIJI_REDIS_DEAD_AFTER=3", "CAIJI_MIN_ARTICLES=0", "CAIJI_MAX_ERROR_RATE=1"]
    return settings + list(args.setting)


def soak_one_machine(args, portal: SoakPortal, crawls: Crawls, rng: random.Random, out) -> tuple[list[int], int]:
    """Runs killed at ``--kills`` random moments, then runs until one finishes: the exit codes of
    the runs not killed, and the number killed."""
    window = args.kill_window
    kills = 0
    codes: list[int] = []
    while kills < args.kills:
        moment = round(rng.uniform(0.5, window), 2)
        process, _ = crawls.start()
        try:
            code = process.wait(timeout=moment)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait()
            kills += 1
            print(f"kill {kills}: run {crawls.started} SIGKILLed {moment}s after its start", file=out, flush=True)
            change_portal(args, portal, rng, out)
            continue
        codes.append(code)
        # The run finished before its moment came: the next moments are drawn from a shorter window.
        window = max(1.0, moment * 0.8)
        print(f"run {crawls.started} finished (exit {code}) before its kill at {moment}s", file=out, flush=True)
    while True:
        process, _ = crawls.start()
        code = process.wait(timeout=args.run_timeout)
        codes.append(code)
        print(f"run {crawls.started} finished (exit {code})", file=out, flush=True)
        if code == 0 or len(codes) > 5:
            return codes, kills


def soak_distributed(args, crawls: Crawls, rng: random.Random, out) -> tuple[list[int], int]:
    """``--workers`` workers of one crawl; each kill hits one, started again at once: the exit
    codes of the workers not killed, and the number killed."""
    kills = 0
    workers: list[subprocess.Popen] = []
    logs: dict[int, Path] = {}
    codes: list[int] = []

    def start() -> subprocess.Popen:
        process, log = crawls.start()
        logs[process.pid] = log
        return process

    for _ in range(args.workers):
        workers.append(start())
        time.sleep(0.3)
    for kill in range(1, args.kills + 1):
        moment = round(rng.uniform(0.5, args.kill_window), 2)
        index = rng.randrange(args.workers)
        time.sleep(moment)
        victim = workers[index]
        if victim.poll() is not None:
            # The crawl ended before this moment: a new crawl (every article fetched again), killed in turn.
            codes += [w.wait() for w in workers]
            print(f"the crawl finished (exits {[w.returncode for w in workers]}) before kill {kill}: a new one", file=out)
            workers = []
            for _ in range(args.workers):
                workers.append(start())
                time.sleep(0.3)
            time.sleep(moment)
            victim = workers[index]
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        kills += 1
        print(f"kill {kill}: worker {index + 1} (pid {victim.pid}) SIGKILLed {moment}s on; started again", file=out, flush=True)
        workers[index] = start()
    final = [worker.wait(timeout=args.run_timeout) for worker in workers]
    print(f"the crawl finished: exits {final}", file=out, flush=True)
    for worker, code in zip(workers, final, strict=True):
        if code == 1 and "run FAILED: no page was reached" in logs[worker.pid].read_text(errors="replace"):
            # Known: a worker started as the crawl ends finds the shared queue empty, reaches no
            # page, and its own outcome check fails it (see the soak's notes in docs/reliability.md).
            print(f"  note: worker pid {worker.pid} joined as the crawl ended and reached no page (exit 1)", file=out)
            code = 0
        codes.append(code)
    return codes, kills


def change_portal(args, portal: SoakPortal, rng: random.Random, out) -> None:
    """Between runs: a few articles edited (a new version each), a few removed."""
    if not args.faults:
        return
    plain = portal.plain()
    edited = rng.sample(plain, min(len(plain), max(1, args.articles // 250)))
    for article_id in edited:
        portal.edit(article_id)
    removed = [i for i in rng.sample(plain, min(len(plain), max(1, args.articles // 500))) if i not in edited]
    portal.removed.update(removed)
    print(f"  portal: edited {sorted(edited)}, removed {sorted(removed)}", file=out, flush=True)


# --- checks -------------------------------------------------------------------------------------


def read_lines(path: Path) -> list[bytes]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as f:
        return f.read().splitlines()


def article_of(record: dict) -> int | None:
    m = re.search(r"/news/(\d+)\.html$", record.get("canonical_url") or record["url"])
    return int(m.group(1)) if m else None


class Checker:
    """One line per check, ``ok`` or ``MISS``; ``failed`` counts the misses."""

    def __init__(self, out) -> None:
        self.out = out
        self.failed = 0

    def __call__(self, ok: bool, what: str, detail: str = "") -> None:
        if not ok:
            self.failed += 1
        print(f"ok   {what}" if ok else f"MISS {what}: {detail}", file=self.out, flush=True)


def check_dataset(args, portal: SoakPortal, data_dir: Path, codes: list[int], kills: int, redis, out) -> int:
    check = Checker(out)
    spider_dir = data_dir / SPIDER
    if redis is None:
        check(bool(codes) and codes[-1] == 0, "the last run finished with exit 0", f"exits of unkilled runs {codes}")
    else:
        last = codes[-args.workers :]
        check(bool(last) and not any(last), "every worker of the finished crawl exited 0", f"exits {last}")
    check(kills == args.kills, f"{args.kills} runs killed with SIGKILL", str(kills))

    manifests = {p: json.loads(p.read_text(encoding="utf-8")) for p in sorted(spider_dir.glob("*/manifest-*.json"))}
    data_files = sorted(p for p in spider_dir.glob("*/articles-*") if re.search(r"\.jsonl(\.gz)?$", p.name))
    listed: Counter[Path] = Counter()
    wrong = []
    for path, manifest in manifests.items():
        for entry in manifest.get("files") or []:
            file = path.parent / entry["name"]
            listed[file] += 1
            if not file.exists():
                wrong.append(f"{entry['name']} missing")
                continue
            digest = hashlib.sha256(file.read_bytes()).hexdigest()
            if digest != entry["sha256"] or len(read_lines(file)) != entry["records"] or file.stat().st_size != entry["bytes"]:
                wrong.append(f"{entry['name']} differs from its manifest")
    unlisted = [p.name for p in data_files if listed[p] != 1]
    check(not unlisted, "every data file listed in exactly one manifest", ", ".join(unlisted[:5]))
    check(not wrong, "every listed file there, with its sha256, bytes and record count", ", ".join(wrong[:5]))
    leftovers = [p.name for p in spider_dir.glob("*/.*")] if spider_dir.exists() else []
    check(not leftovers, "no .part or other temporary file left", ", ".join(leftovers[:5]))
    suffix = ".jsonl.gz" if args.gzip else ".jsonl"
    check(all(p.name.endswith(suffix) for p in data_files), f"data files are {suffix}")
    if args.file_records < args.articles:
        check(
            len(data_files) > 1 and all(len(read_lines(p)) <= args.file_records for p in data_files),
            f"files rotated at {args.file_records} records",
            f"{len(data_files)} files",
        )

    records: dict[int, list[dict]] = defaultdict(list)
    bad = []
    for path in data_files:
        for line in read_lines(path):
            record = json.loads(line)
            article_id = article_of(record)
            if article_id is None:
                bad.append(record["url"])
            else:
                records[article_id].append(record)
    check(not bad, "every record is an article of the portal", ", ".join(bad[:3]))

    reachable = portal.reachable()
    missing = sorted(reachable - set(records))
    check(not missing, f"each reachable article in the dataset ({len(reachable)})", f"{len(missing)} missing: {missing[:10]}")
    twice = {}
    stale = []
    for article_id, found in records.items():
        found.sort(key=lambda r: r["crawled_at"])
        hashes = [r["content_hash"] for r in found]
        if len(set(hashes)) != len(hashes):
            twice[article_id] = len(hashes)
        version = portal.versions.get(article_id)
        if article_id in reachable:
            body = found[-1]["body"]
            if (version and version_mark(version) not in body) or (not version and "次修订）" in body):
                stale.append(article_id)
    check(not twice, "no article written twice with the same text", f"{len(twice)}: {dict(list(twice.items())[:10])}")
    edited = [i for i in portal.versions if i in reachable]
    check(not stale, f"each article in its latest version ({len(edited)} edited)", f"{stale[:10]}")
    versions_ok = all(len(records.get(i, [])) <= portal.versions[i] + 1 for i in edited)
    check(versions_ok, "an edited article has at most one record per version")
    never = [i for i, reason in portal.unreachable().items() if reason == "fetch error" and i in records]
    check(not never, "no record of an article that could never be fetched", f"{never[:10]}")

    rejects: dict[int, set[str]] = defaultdict(set)
    final = _final_runs(manifests, redis is not None)
    for path in sorted(spider_dir.glob("*/rejects-*.jsonl")):
        if not any(run in path.name for run in final):
            continue
        for line in path.read_bytes().splitlines():
            entry = json.loads(line)
            m = re.search(r"/news/(\d+)\.html", entry.get("url") or "")
            if m:
                rejects[int(m.group(1))].add(entry["reason"])
    unexplained = [i for i, reason in portal.unreachable().items() if not any(reason in r for r in rejects.get(i, ()))]
    what = "the finished run's rejects" if redis is None else "the finished crawl's rejects"
    check(
        not unexplained,
        f"each unreachable article in {what} with its reason ({len(portal.unreachable())})",
        f"{unexplained[:10]}",
    )

    done = subprocess.run(
        [str(Path(sys.executable).with_name("scrapy")), "validate", str(spider_dir)], cwd=PROJECT, capture_output=True, text=True
    )
    said = (done.stdout + done.stderr).strip().splitlines()
    check(done.returncode == 0, "scrapy validate is clean", said[-1] if said else "")

    latest = {i: found[-1]["content_hash"] for i, found in records.items()}
    stored = _stored(data_dir, redis)
    by_id = {article_of({"url": identity}): value for identity, value in stored.items()}
    disagree = [i for i, value in latest.items() if by_id.get(i) != value]
    check(
        len(stored) == len(latest) and not disagree,
        "the article store knows each article with its latest text",
        f"{len(stored)} stored, {len(latest)} in the dataset, {len(disagree)} disagree",
    )
    print(f"articles {args.articles}, in the dataset {len(records)}, records {sum(map(len, records.values()))}", file=out)
    return check.failed


def _final_runs(manifests: dict[Path, dict], distributed: bool) -> set[str]:
    """Run ids of the finished run (one machine), or of every run (distributed: the workers
    share the crawl, and a page is tried once, by a worker that may be killed later)."""
    if distributed:
        return {m["run_id"] for m in manifests.values()}
    finished = [m for m in manifests.values() if m.get("finish_reason") == "finished"]
    return {max(finished, key=lambda m: m["started_at"])["run_id"]} if finished else set()


def _stored(data_dir: Path, redis) -> dict[str, str]:
    """Identity → content hash, as the article store holds them."""
    if redis is not None:
        import redis as redis_client

        client = redis_client.Redis.from_url(redis.url)
        try:
            return {k.decode(): v.decode().split("\t", 1)[0] for k, v in client.hgetall("caiji:store:articles").items()}
        finally:
            client.close()
    import sqlite3

    db = sqlite3.connect(data_dir / "state.sqlite")
    try:
        return dict(db.execute("SELECT identity, content_hash FROM articles"))
    finally:
        db.close()


# --- main ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--faults", action="store_true", help="faulty articles, edits and removals between runs")
    parser.add_argument("--fault-rate", type=float, default=0.05, help="share of articles with a fault (default 0.05)")
    parser.add_argument("--seed", type=int, default=None, help="draws the faults and kill moments (default: random, printed)")
    parser.add_argument("--gzip", action="store_true", help="CAIJI_COMPRESS=gzip")
    parser.add_argument("--file-records", type=int, default=10000, help="CAIJI_FILE_RECORDS (rotation)")
    parser.add_argument("--redis", action="store_true", help="distributed mode on a redis-server of its own")
    parser.add_argument("--workers", type=int, default=2, help="workers with --redis (default 2)")
    parser.add_argument("--kill-window", type=float, default=20.0, help="kills fall 0.5 to this many seconds into a run")
    parser.add_argument("--run-timeout", type=float, default=900.0, help="seconds a run may take")
    parser.add_argument("--keep", type=Path, default=None, help="work in this folder and keep it (default: a temporary one)")
    parser.add_argument("-s", "--setting", action="append", default=[], metavar="KEY=VALUE", help="more crawl settings")
    parser.add_argument("--check", type=Path, metavar="DIR", help="only check a kept soak's folder again (one machine)")
    args = parser.parse_args(argv)
    if args.check:
        saved = json.loads((args.check / "soak.json").read_text(encoding="utf-8"))
        vars(args).update(saved["args"])
        failed = check_dataset(
            args, SoakPortal.from_state(saved["portal"]), args.check / "data", saved["codes"], saved["kills"], None, sys.stdout
        )
        return 1 if failed else 0
    if args.articles < 10 or args.kills < 0 or args.workers < 1:
        parser.error("--articles must be 10 or more, --kills 0 or more, --workers 1 or more")
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 20)
    rng = random.Random(seed)
    out = sys.stdout
    given = list(argv if argv is not None else sys.argv[1:])
    if "--seed" in given:
        del given[given.index("--seed") : given.index("--seed") + 2]
    replay = " ".join(a for a in given if not a.startswith("--seed="))
    print(f"seed {seed} (replay: python bench/soak.py {replay} --seed {seed})", file=out, flush=True)

    work = args.keep or Path(tempfile.mkdtemp(prefix="caiji-soak-"))
    work.mkdir(parents=True, exist_ok=True)
    data_dir, logs = work / "data", work / "logs"
    if data_dir.exists():
        shutil.rmtree(data_dir)
    logs.mkdir(exist_ok=True)
    portal = SoakPortal(args.articles, rng, args.faults, args.fault_rate)
    kinds = Counter(portal.faults.values())
    print(f"portal: {args.articles} articles, faults {dict(sorted(kinds.items())) or 'none'}", file=out, flush=True)
    server = PortalThread(portal)
    redis = RedisServer(work) if args.redis else None
    started = time.monotonic()
    try:
        crawls = Crawls(server.url, data_dir, logs, crawl_settings(args, redis.url if redis else None))
        if redis is None:
            codes, kills = soak_one_machine(args, portal, crawls, rng, out)
        else:
            codes, kills = soak_distributed(args, crawls, rng, out)
        minutes = (time.monotonic() - started) / 60
        print(f"{crawls.started} runs, {kills} killed, {minutes:.1f} minutes", file=out, flush=True)
        failed = check_dataset(args, portal, data_dir, codes, kills, redis, out)
        kept = {k: getattr(args, k) for k in ("articles", "kills", "gzip", "file_records")}
        saved = {"args": kept, "portal": portal.state(), "codes": codes, "kills": kills}
        (work / "soak.json").write_text(json.dumps(saved), encoding="utf-8")
    finally:
        if redis is not None:
            redis.stop()
        server.stop()
    print(f"soak {'FAILED: ' + str(failed) + ' checks missed' if failed else 'passed'} (seed {seed}; work in {work})", file=out)
    if not failed and args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
