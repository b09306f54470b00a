"""A pool of extraction worker processes driven from the crawl's asyncio loop.

Written by hand because the standard pools lose the wrong pages: a worker that dies breaks a
``concurrent.futures.ProcessPoolExecutor`` with every page in it, ``multiprocessing.Pool`` waits
for ever on a task whose worker died, and neither can stop one page that hangs. Here each worker
is a child process with a pipe each way, read by the reactor's own event loop (no threads): a
page whose worker dies or runs past the timeout is the only one that fails, the worker is replaced,
and the pages queued behind it go to the new one.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import pickle
import signal
import subprocess
import sys
from collections import deque
from pathlib import Path

from crawler.workers.page import CRASHED, TIMED_OUT, PageJob, PageResult, WorkConfig
from crawler.workers.worker import HEADER, PARENT_ENV, frame

logger = logging.getLogger(__name__)

#: Bytes of pages one worker holds at most (at least one page, whatever its size).
MAX_HELD_BYTES = 4 << 20
#: Bytes a pipe to a worker holds (Linux's unprivileged maximum by default).
PIPE_BYTES = 1 << 20
#: Seconds a worker is given to exit once its stdin is closed.
EXIT_GRACE = 5.0


class PoolBroken(Exception):
    """The workers cannot start (or keep dying before they are ready); the message says why."""


class _WorkerProtocol(asyncio.SubprocessProtocol):
    """Frames from a worker's stdout, read as they arrive in the loop's own callbacks (no reading
    task, no stream: each would cost the reactor a task switch a page)."""

    def __init__(self, worker: _Worker) -> None:
        self.worker = worker
        self.buffer = bytearray()
        self.exited = asyncio.get_running_loop().create_future()

    def pipe_data_received(self, fd: int, data: bytes) -> None:
        if fd != 1:
            return
        buffer = self.buffer
        buffer += data
        while len(buffer) >= HEADER:
            end = HEADER + int.from_bytes(buffer[:HEADER], "big")
            if len(buffer) < end:
                break
            message = pickle.loads(bytes(buffer[HEADER:end]))
            del buffer[:end]
            self.worker.received(message)

    def connection_lost(self, exc: Exception | None) -> None:
        # The process has exited and its pipes are closed: everything it wrote has been read.
        if not self.exited.done():
            self.exited.set_result(None)
        self.worker.lost(self)


class _Worker:
    """One worker process and the pages sent to it, oldest first."""

    def __init__(self, pool: ExtractionPool, number: int) -> None:
        self.pool = pool
        self.number = number
        self.pending: deque[tuple[bytes, asyncio.Future]] = deque()
        self.transport: asyncio.SubprocessTransport | None = None
        self.protocol: _WorkerProtocol | None = None
        self.started = False
        self.closing = False
        self.expired: asyncio.Future | None = None
        self._timer: asyncio.TimerHandle | None = None

    async def spawn(self) -> None:
        env = {**os.environ, PARENT_ENV: str(os.getpid())}
        # The worker imports the project the crawl runs (a checkout that is not installed too).
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
        self.started = False
        loop = asyncio.get_running_loop()
        transport, protocol = await loop.subprocess_exec(
            lambda: _WorkerProtocol(self),
            sys.executable,
            "-m",
            "crawler.workers.worker",
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=None,
            env=env,
        )
        self.transport, self.protocol = transport, protocol
        stdin = transport.get_pipe_transport(0)
        _widen(stdin.get_extra_info("pipe"))
        stdin.write(frame(self.pool.config))
        # Pages that were queued behind a page that killed the last process.
        for payload, _ in self.pending:
            stdin.write(frame(payload))
        self._arm()
        self.pool.feed(self)

    @property
    def held_bytes(self) -> int:
        """Bytes of the pages this worker holds."""
        return sum(len(payload) for payload, _ in self.pending)

    def assign(self, payload: bytes, future: asyncio.Future) -> None:
        """Queue a page on this worker and write it to its pipe (written from the pipe's buffer
        while the reactor goes on)."""
        self.pending.append((payload, future))
        if len(self.pending) == 1:
            self._arm()
        stdin = self.transport.get_pipe_transport(0) if self.transport is not None else None
        if stdin is not None and not stdin.is_closing() and self.transport.get_returncode() is None:
            # Written to a worker that has died meanwhile, it is lost with it: the page is sent
            # again to the next one.
            stdin.write(frame(payload))

    def received(self, message: object) -> None:
        if not self.started:
            self.started = True  # its first frame: ready
            return
        _, future = self.pending.popleft()
        self._arm()
        # The next page goes to the worker before anything else runs: a worker waiting for the
        # crawl to get round to it is a core doing nothing.
        self.pool.feed(self)
        if not future.done():
            future.set_result(message)

    def _arm(self) -> None:
        """(Re)start the timeout of the page the worker is on, when it gets on a new one."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.pending and self.pool.timeout > 0:
            head = self.pending[0][1]
            self._timer = asyncio.get_running_loop().call_later(self.pool.timeout, self._expire, head)

    def _expire(self, head: asyncio.Future) -> None:
        if self.pending and self.pending[0][1] is head and self.transport is not None:
            self.expired = head
            self.transport.kill()

    def lost(self, protocol: _WorkerProtocol) -> None:
        """The worker's process is gone: the page it was on failed; a new one takes the rest."""
        if self.closing or protocol is not self.protocol:
            return
        code = self.transport.get_returncode()
        self.transport.close()
        if not self.started:
            self.pool.broken(f"extraction worker {self.number} exited before it was ready ({describe_exit(code)})")
            return
        how = describe_exit(code)
        if self.pending:
            _, future = self.pending.popleft()
            if future is self.expired:
                how = f"was stopped: a page took longer than {self.pool.timeout:g} s"
                result = PageResult(TIMED_OUT, reason=f"extraction timed out after {self.pool.timeout:g} s")
            else:
                result = PageResult(CRASHED, reason=f"extraction crashed: the worker {how}")
            if not future.done():
                future.set_result(result)
        self.expired = None
        self.pool.replaced += 1
        logger.warning("Extraction worker %d %s; starting another", self.number, how)
        self.pool.respawn(self)

    def fail_all(self, error: Exception) -> None:
        while self.pending:
            _, future = self.pending.popleft()
            if not future.done():
                future.set_exception(error)

    async def close(self) -> None:
        self.closing = True
        if self._timer is not None:
            self._timer.cancel()
        transport, protocol = self.transport, self.protocol
        if transport is None or protocol is None or protocol.exited.done():
            return
        if not self.started:
            # Still importing the project (a run that ended at once, on a held lock say): it has
            # nothing to finish.
            transport.kill()
        transport.get_pipe_transport(0).close()
        try:
            await asyncio.wait_for(asyncio.shield(protocol.exited), EXIT_GRACE)
        except TimeoutError:
            transport.kill()
            await protocol.exited
        transport.close()


class ExtractionPool:
    """``size`` worker processes, each holding at most ``depth`` pages (and 4 MB); the rest wait."""

    def __init__(self, size: int, config: WorkConfig, timeout: float = 0, depth: int = 8) -> None:
        self.size = size
        self.timeout = timeout
        # Pages one worker holds: the one it extracts and the next ones, in its pipe. With two, a
        # worker waits whenever the reactor is busy longer than one page takes (a list page, an
        # fsync); measured on 2 cores, one worker: 2 → 1.0–1.2 × the crawl without workers, 4 →
        # 1.2–1.5 ×, 8 → 1.5–1.7 ×, 16 no better than 8.
        self.depth = depth
        self.config = pickle.dumps(config)
        self.replaced = 0
        self.broken_reason: str | None = None
        self._workers = [_Worker(self, n) for n in range(size)]
        # Pages beyond depth × size wait here, as the responses Scrapy holds for their callbacks;
        # when those pile up, Scrapy's scraper slot (SCRAPER_SLOT_MAX_ACTIVE_SIZE) stops new downloads.
        self._waiting: deque[tuple[bytes, asyncio.Future]] = deque()
        self._spawning: set[asyncio.Task] = set()

    async def start(self) -> None:
        """Start the workers (they import the project while the crawl fetches its first pages)."""
        for worker in self._workers:
            await worker.spawn()

    async def run(self, job: PageJob) -> PageResult:
        """The page's result; PoolBroken when the workers cannot run."""
        if self.broken_reason:
            raise PoolBroken(self.broken_reason)
        future = asyncio.get_running_loop().create_future()
        self._waiting.append((pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL), future))
        worker = min(self._workers, key=lambda w: len(w.pending))
        self.feed(worker)
        return await future

    def feed(self, worker: _Worker) -> None:
        """Give ``worker`` waiting pages, up to ``depth`` pages and MAX_HELD_BYTES."""
        while self._waiting and len(worker.pending) < self.depth and not worker.closing:
            if worker.pending and worker.held_bytes + len(self._waiting[0][0]) > MAX_HELD_BYTES:
                break
            worker.assign(*self._waiting.popleft())

    def respawn(self, worker: _Worker) -> None:
        """Start ``worker`` again, in the background (the pages it holds wait for it)."""
        task = asyncio.ensure_future(worker.spawn())
        # A reference until done: the loop keeps only a weak one.
        self._spawning.add(task)
        task.add_done_callback(self._spawned)

    def _spawned(self, task: asyncio.Task) -> None:
        self._spawning.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.broken(f"an extraction worker could not be started again: {task.exception()}")

    def broken(self, reason: str) -> None:
        self.broken_reason = reason
        for worker in self._workers:
            worker.fail_all(PoolBroken(reason))
        while self._waiting:
            _, future = self._waiting.popleft()
            if not future.done():
                future.set_exception(PoolBroken(reason))

    async def close(self) -> None:
        """Let the workers finish and exit (killed after a grace period)."""
        await asyncio.gather(*(worker.close() for worker in self._workers))


def _widen(pipe) -> None:
    """Let a pipe hold a few pages (Linux: 64 KB by default, less than one article page here):
    a page is then written in one call rather than a piece each time the worker reads one."""
    if pipe is None or not hasattr(fcntl, "F_SETPIPE_SZ"):
        return
    with contextlib.suppress(OSError):
        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)


def describe_exit(code: int | None) -> str:
    """How a worker ended, in words: ``was killed by SIGABRT``, ``exited with status 3``."""
    if code is None:
        return "is still running"
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with status {code}"
