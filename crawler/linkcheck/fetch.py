"""One HTTP attempt at one URL: manual redirects (chain, loops, a bound), errors mapped to reason codes."""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import aiohttp

from crawler.linkcheck.classify import reason_for_status
from crawler.linkcheck.politeness import HostLimiter
from store.models import utcnow

BODY_CAP = 256 * 1024  # bytes of an HTML body kept for soft-404 checks


@dataclass
class Attempt:
    """What one request (with its redirects) returned."""

    method: str
    url: str
    status: int | None = None
    final_url: str | None = None
    elapsed_ms: int = 0
    reason: str = "ok"
    detail: str | None = None
    chain: list[str] = field(default_factory=list)  # every URL after the first, in order
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    encoding: str | None = None
    content_type: str = ""
    retry_after: float | None = None
    at: dt.datetime = field(default_factory=utcnow)  # naive UTC start of the attempt

    @property
    def redirected(self) -> bool:
        return bool(self.chain)


def host_key(url: str) -> str:
    """The politeness key of a URL: host[:port]."""
    return urlsplit(url).netloc.lower()


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def _error_reason(exc: BaseException) -> tuple[str, str]:
    """Reason code and a short detail for a transport error."""
    detail = f"{type(exc).__name__}: {exc}"[:300]
    dns_error = getattr(aiohttp, "ClientConnectorDNSError", None)
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return "timeout", detail or "timeout"
    if dns_error is not None and isinstance(exc, dns_error):
        return "dns", detail
    if isinstance(exc, aiohttp.ClientConnectorCertificateError | aiohttp.ClientSSLError | ssl.SSLError):
        return "tls", detail
    if isinstance(exc, aiohttp.ClientConnectorError) and "Name or service not known" in str(exc):
        return "dns", detail
    return "connection", detail


async def fetch(
    session: aiohttp.ClientSession,
    limiter: HostLimiter,
    url: str,
    *,
    method: str,
    max_redirects: int,
    timeout: float,
    read_body: bool,
) -> Attempt:
    """Request ``url`` following redirects by hand; never raises for network trouble."""
    attempt = Attempt(method=method, url=url)
    seen = {url}
    current = url
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    elapsed = 0.0
    try:
        while True:
            started = time.monotonic()
            try:
                async with limiter.slot(host_key(current)):
                    started = time.monotonic()
                    async with session.request(
                        method, current, allow_redirects=False, timeout=client_timeout
                    ) as resp:
                        status = resp.status
                        location = resp.headers.get("Location")
                        if status in (301, 302, 303, 307, 308) and location:
                            elapsed += time.monotonic() - started
                            nxt = urljoin(current, location.strip())
                            attempt.chain.append(nxt)
                            if urlsplit(nxt).scheme not in ("http", "https"):
                                attempt.status, attempt.final_url = status, nxt
                                attempt.reason, attempt.detail = (
                                    "connection",
                                    f"重定向到非 HTTP 地址 {nxt[:200]}",
                                )
                                return attempt
                            if nxt in seen:
                                attempt.status, attempt.final_url = status, nxt
                                attempt.reason = "redirect_loop"
                                return attempt
                            if len(attempt.chain) > max_redirects:
                                attempt.status, attempt.final_url = status, nxt
                                attempt.reason = "too_many_redirects"
                                return attempt
                            seen.add(nxt)
                            if status == 303 and method != "HEAD":
                                method = "GET"
                            current = nxt
                            continue
                        attempt.status = status
                        attempt.final_url = str(resp.url)
                        attempt.headers = resp.headers.copy()
                        attempt.content_type = resp.headers.get("Content-Type", "").lower()
                        attempt.retry_after = parse_retry_after(resp.headers.get("Retry-After"))
                        attempt.reason = reason_for_status(status)
                        if (
                            method == "GET"
                            and (read_body or status >= 400)
                            and _textual(attempt.content_type)
                        ):
                            attempt.body = await resp.content.read(BODY_CAP)
                            attempt.encoding = resp.charset
                        elapsed += time.monotonic() - started
                        return attempt
            except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
                elapsed += time.monotonic() - started
                attempt.final_url = current
                attempt.reason, attempt.detail = _error_reason(exc)
                # Certificate errors subclass ValueError too: only a real bad URL is "无效 URL".
                if isinstance(exc, ValueError | aiohttp.InvalidURL) and attempt.reason != "tls":
                    attempt.reason, attempt.detail = "connection", f"无效 URL：{exc}"[:300]
                return attempt
    finally:
        attempt.elapsed_ms = int(elapsed * 1000)


def _textual(content_type: str) -> bool:
    """Only HTML-ish bodies are read (a PDF behind a page link is not downloaded)."""
    return not content_type or "html" in content_type or content_type.startswith("text/")
