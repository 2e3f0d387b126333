"""Availability probes (国办 V2): each site's home page once, within availability.timeout_seconds.

A probe succeeds when the home page has been fully received with a status below 400 within
the time limit. An anti-bot answer is stored as ``blocked`` and not counted by
``queries.availability_ratio`` (it says nothing about the site being reachable for people).
IPv6 support is recorded for information only: ``none`` (no AAAA record), ``reachable``
(a TCP connection to an IPv6 address succeeded) or ``unreachable``.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import aiohttp

from crawler.linkcheck import classify
from crawler.linkcheck.fetch import _error_reason
from crawler.linkcheck.queries import save_probe
from store.db import Database
from store.models import utcnow

if TYPE_CHECKING:
    from zwgk.config import Config, SiteConfig

BODY_LIMIT = 5 * 1024 * 1024
PARALLEL_SITES = 8


@dataclass
class ProbeResult:
    site_id: str
    url: str
    ok: bool
    http_status: int | None
    elapsed_ms: int
    reason: str
    ipv6: str
    detail: str | None = None


def probe_sites(config: Config, db: Database, site_ids: Sequence[str] | None = None) -> list[ProbeResult]:
    """Probe each site's home page once and store an AvailabilityProbe per site."""
    sites = [s for s in config.sites if not site_ids or s.id in site_ids]
    return asyncio.run(_probe_all(config, db, sites))


async def _probe_all(config: Config, db: Database, sites: list[SiteConfig]) -> list[ProbeResult]:
    gate = asyncio.Semaphore(PARALLEL_SITES)
    headers = {"User-Agent": config.general.user_agent}
    timeout = config.availability.timeout_seconds

    async with aiohttp.ClientSession(headers=headers) as session:

        async def one(site: SiteConfig) -> ProbeResult:
            async with gate:
                result, ipv6 = await asyncio.gather(
                    probe_home(session, site.id, site.home, timeout), ipv6_support(site.home, timeout)
                )
                result.ipv6 = ipv6
                return result

        results = await asyncio.gather(*(one(s) for s in sites))
    for r in results:
        save_probe(
            db,
            {
                "site_id": r.site_id,
                "url": r.url,
                "probed_at": utcnow(),
                "ok": r.ok,
                "http_status": r.http_status,
                "elapsed_ms": r.elapsed_ms,
                "reason": r.reason,
                "ipv6": r.ipv6,
            },
        )
    return list(results)


async def probe_home(session: aiohttp.ClientSession, site_id: str, url: str, timeout: float) -> ProbeResult:
    """GET the home page (redirects followed) and read it whole within ``timeout`` seconds."""
    started = time.monotonic()
    status: int | None = None
    try:
        async with asyncio.timeout(timeout):
            async with session.get(url, allow_redirects=True, max_redirects=10) as resp:
                status = resp.status
                body = await resp.content.read(BODY_LIMIT)
                headers = resp.headers.copy()
    except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
        elapsed = int((time.monotonic() - started) * 1000)
        if isinstance(exc, aiohttp.TooManyRedirects):
            reason, detail = "too_many_redirects", str(exc)[:200]
        else:
            reason, detail = _error_reason(exc)
        return ProbeResult(site_id, url, False, status, elapsed, reason, "none", detail)
    elapsed = int((time.monotonic() - started) * 1000)
    text = body[:20000].decode("utf-8", errors="replace")
    wall = classify.bot_wall(status, headers, text)
    if wall:
        return ProbeResult(site_id, url, False, status, elapsed, "blocked", "none", wall)
    reason = classify.reason_for_status(status)
    return ProbeResult(site_id, url, reason == classify.OK, status, elapsed, reason, "none")


async def ipv6_support(url: str, timeout: float) -> str:
    """``none`` without an AAAA record, else whether a TCP connection over IPv6 succeeds."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, family=socket.AF_INET6, type=socket.SOCK_STREAM), timeout
        )
    except (OSError, TimeoutError):
        return "none"
    if not infos:
        return "none"
    for *_, sockaddr in infos:
        try:
            _, writer = await asyncio.wait_for(
                asyncio.open_connection(sockaddr[0], sockaddr[1], family=socket.AF_INET6), timeout
            )
        except (OSError, TimeoutError):
            continue
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return "reachable"
    return "unreachable"
