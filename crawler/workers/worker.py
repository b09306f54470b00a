"""A worker process of the extraction pool: ``python -m crawler.workers.worker``.

Reads frames from stdin (a pickled :class:`~crawler.workers.page.WorkConfig`, then one
:class:`~crawler.workers.page.PageJob` each) and writes a frame per job to stdout: the
:class:`~crawler.workers.page.PageResult`. A frame is an 8-byte big-endian length, then the bytes.
It exits at the end of stdin, and when the crawl's process is gone (killed with -9 included).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import fcntl
import logging
import os
import pickle
import signal
import sys
from typing import BinaryIO

#: Environment variable: the pid of the crawl's process that started this worker.
PARENT_ENV = "CAIJI_WORKER_PARENT"
#: Bytes of a frame's length, before its data.
HEADER = 8


def read_frame(stream: BinaryIO) -> bytes | None:
    """The next frame's bytes, or None at the end of the stream."""
    header = stream.read(HEADER)
    if len(header) < HEADER:
        return None
    size = int.from_bytes(header, "big")
    data = stream.read(size)
    return data if len(data) == size else None


def frame(data: bytes) -> bytes:
    """``data`` as a frame."""
    return len(data).to_bytes(HEADER, "big") + data


def die_with_parent() -> bool:
    """Ask Linux to kill this process when its parent dies; False where that cannot be asked."""
    # PR_SET_PDEATHSIG: no library wraps it, and a worker stuck in a page would never read the
    # end of its stdin, so without it a kill -9 of the crawl would leave it running.
    name = ctypes.util.find_library("c")
    if not sys.platform.startswith("linux") or name is None:
        return False
    libc = ctypes.CDLL(name, use_errno=True)
    return libc.prctl(1, signal.SIGKILL, 0, 0, 0) == 0


class _Collector(logging.Handler):
    """Keeps a page's log records, which go back to the crawl's log with its result."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[tuple[str, int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.name, record.levelno, record.getMessage()))

    def take(self) -> list[tuple[str, int, str]]:
        records, self.records = self.records, []
        return records


def main() -> int:
    die_with_parent()
    parent = int(os.environ.get(PARENT_ENV) or 0)
    if parent and os.getppid() != parent:
        return 0  # the crawl was gone before the request to die with it was made
    # Ctrl-C and a service manager's SIGTERM reach the whole process group: the crawl drains its
    # pages and then closes our stdin; a page being extracted is finished, not lost.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    stdin = sys.stdin.buffer
    # Frames go out on a descriptor of their own; anything a library prints goes to stderr.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    with contextlib.suppress(OSError, AttributeError):
        # A big record leaves in one write (the crawl widens the pipe it writes pages to too).
        fcntl.fcntl(out.fileno(), fcntl.F_SETPIPE_SZ, 1 << 20)
    data = read_frame(stdin)
    if data is None:
        return 0
    from crawler.workers.page import PageWork

    config = pickle.loads(data)
    work = PageWork(config)
    collector = _Collector()
    collector.setLevel(config.log_level)
    logging.getLogger().addHandler(collector)
    logging.getLogger().setLevel(config.log_level)
    out.write(frame(pickle.dumps(("ready", os.getpid()))))
    out.flush()
    while (data := read_frame(stdin)) is not None:
        result = work.run(pickle.loads(data))
        result.logs = collector.take()
        out.write(frame(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)))
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
