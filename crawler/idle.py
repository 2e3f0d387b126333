"""Crawl workers kept ready between crawls in a long-lived process (the scheduler).

A worker's start-up (Python, Scrapy, Twisted, SQLAlchemy imports, the reactor, the database) costs
about a second of CPU: the scheduler crawls each site in its own job, so without this every site
paid it. A crawl hands its healthy workers back here when it ends; the next crawl with the same
settings file takes them instead of starting new ones. A worker idle longer than the keep time is
closed, and so is every idle worker when the process exits (each also exits by itself when its
parent goes: its stdin closes). Off (keep time 0) unless a long-lived process configures it.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from crawler.workerproc import WorkerProc

# How long a closed worker may take to exit before it is killed.
EXIT_GRACE_SECONDS = 10.0


def settings_stamp(path: Path) -> tuple[str, int, int]:
    """Which settings a worker started with: path, modification time and size of the file."""
    try:
        st = path.stat()
    except OSError:
        return (str(path), 0, 0)
    return (str(path), st.st_mtime_ns, st.st_size)


@dataclass
class _Parked:
    stamp: tuple[str, int, int]
    worker: WorkerProc
    since: float


class IdleWorkers:
    """The idle workers of this process, at most ``capacity`` (one per core by default)."""

    def __init__(self, capacity: int | None = None) -> None:
        self.capacity = capacity or os.cpu_count() or 1
        self.keep_seconds = 0.0
        self._parked: list[_Parked] = []
        self._lock = threading.Lock()

    @property
    def keeping(self) -> bool:
        return self.keep_seconds > 0

    def configure(self, keep_seconds: float) -> None:
        """Keep idle workers this long (0: close each worker when its crawl ends)."""
        self.keep_seconds = max(0.0, keep_seconds)
        if not self.keeping:
            self.close_all()

    def take(self, stamp: tuple[str, int, int]) -> WorkerProc | None:
        """An idle worker started with these settings and still alive, or None."""
        dead: list[WorkerProc] = []
        found = None
        with self._lock:
            for parked in list(self._parked):
                if parked.stamp != stamp:
                    continue
                self._parked.remove(parked)
                if parked.worker.proc.poll() is None:
                    found = parked.worker
                    break
                dead.append(parked.worker)
        for worker in dead:
            worker.close()
        return found

    def park(self, stamp: tuple[str, int, int], worker: WorkerProc) -> bool:
        """Keep a worker whose crawl ended; False when it cannot be kept (the caller retires it)."""
        if not (self.keeping and reusable(worker)):
            return False
        evicted: list[WorkerProc] = []
        with self._lock:
            self._parked.append(_Parked(stamp, worker, time.monotonic()))
            while len(self._parked) > self.capacity:
                evicted.append(self._parked.pop(0).worker)
        for old in evicted:
            old.retire(EXIT_GRACE_SECONDS)
        timer = threading.Timer(self.keep_seconds + 0.05, self.reap)
        timer.daemon = True
        timer.start()
        return True

    def reap(self) -> int:
        """Close the workers idle longer than the keep time; returns how many."""
        now = time.monotonic()
        with self._lock:
            stale = [p for p in self._parked if now - p.since >= self.keep_seconds]
            for parked in stale:
                self._parked.remove(parked)
        for parked in stale:
            parked.worker.retire(EXIT_GRACE_SECONDS)
        return len(stale)

    def close_all(self) -> None:
        with self._lock:
            parked, self._parked = self._parked, []
        for p in parked:
            p.worker.retire(EXIT_GRACE_SECONDS)

    def pids(self) -> list[int]:
        with self._lock:
            return [p.worker.pid for p in self._parked]


def reusable(worker: WorkerProc) -> bool:
    """Alive, taking sites, none in flight and nothing unread (the caller checks its site count)."""
    return (
        worker.proc.poll() is None
        and not worker.closed_input
        and not worker.killed
        and not worker.inflight
        and not worker.buffer
    )


IDLE = IdleWorkers()
atexit.register(IDLE.close_all)
