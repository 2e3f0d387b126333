"""Per-host politeness for asyncio clients: a concurrency cap, a request rate and a global cap.

The parameters are the ones the Scrapy crawler applies per host
(``CONCURRENT_REQUESTS_PER_DOMAIN`` and ``DOWNLOAD_DELAY`` = 1 / rate), so one
small county server sees the same load whichever part of the monitor calls it.
``scrapy_settings()`` gives the equivalent Scrapy settings.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zwgk.config import LinksConfig


@dataclass(frozen=True)
class PolitenessParams:
    """How hard one client may press one host, and all hosts together."""

    per_host_concurrency: int = 4
    per_host_rate: float = 10.0  # requests started per second per host; 0 or less: unlimited
    global_concurrency: int = 64

    @classmethod
    def from_links(cls, links: LinksConfig) -> PolitenessParams:
        return cls(
            per_host_concurrency=links.per_host_concurrency,
            per_host_rate=links.per_host_rate,
            global_concurrency=links.global_concurrency,
        )

    @property
    def interval(self) -> float:
        """Minimum spacing in seconds between two request starts on one host."""
        return 1.0 / self.per_host_rate if self.per_host_rate > 0 else 0.0

    def scrapy_settings(self) -> dict[str, Any]:
        """The same limits expressed as Scrapy settings."""
        return {
            "CONCURRENT_REQUESTS": self.global_concurrency,
            "CONCURRENT_REQUESTS_PER_DOMAIN": self.per_host_concurrency,
            "DOWNLOAD_DELAY": self.interval,
            "RANDOMIZE_DOWNLOAD_DELAY": False,
        }


class _HostState:
    __slots__ = ("next_start", "semaphore", "lock")

    def __init__(self, concurrency: int) -> None:
        self.semaphore = asyncio.Semaphore(concurrency)
        self.lock = asyncio.Lock()
        self.next_start = 0.0


class HostLimiter:
    """``async with limiter.slot(host):`` around every request (create inside the running loop)."""

    def __init__(self, params: PolitenessParams, clock: Any = time.monotonic) -> None:
        self.params = params
        self._clock = clock
        self._global = asyncio.Semaphore(params.global_concurrency)
        self._hosts: dict[str, _HostState] = {}
        self.in_flight: dict[str, int] = {}
        self.max_in_flight: dict[str, int] = {}

    def _host(self, host: str) -> _HostState:
        state = self._hosts.get(host)
        if state is None:
            state = self._hosts[host] = _HostState(self.params.per_host_concurrency)
        return state

    def pause(self, host: str, seconds: float) -> None:
        """Start no request on ``host`` for ``seconds`` (e.g. after 429 Retry-After)."""
        state = self._host(host)
        state.next_start = max(state.next_start, self._clock() + seconds)

    async def _wait_turn(self, state: _HostState) -> None:
        async with state.lock:
            while True:
                delay = state.next_start - self._clock()
                if delay <= 0:
                    break
                await asyncio.sleep(delay)
            state.next_start = self._clock() + self.params.interval

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        state = self._host(host)
        async with state.semaphore:
            await self._wait_turn(state)
            async with self._global:
                count = self.in_flight.get(host, 0) + 1
                self.in_flight[host] = count
                self.max_in_flight[host] = max(self.max_in_flight.get(host, 0), count)
                try:
                    yield
                finally:
                    self.in_flight[host] -= 1
