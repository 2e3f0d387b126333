"""Check one URL: HEAD or GET, fallbacks, 429 back-off, bot walls and soft 404s → one reason code.

Page links (kind ``a`` without a file extension) are fetched with GET and the first 256 KiB
of an HTML body are kept, because a soft 404 (an error page served with 200) shows only in
the body. Files, images, scripts and styles are checked with HEAD first and with GET when the
HEAD answer is refused or not to be trusted (405, 501, 403, 404, 5xx …, or a dropped connection).
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import aiohttp

from crawler.linkcheck import classify
from crawler.linkcheck.fetch import Attempt, fetch, host_key
from crawler.linkcheck.politeness import HostLimiter

MAX_429_RETRIES = 2
DEFAULT_RETRY_AFTER = 5.0
SOFT404_SIMILARITY = 0.85


@dataclass
class CheckResult:
    """One check of one URL: the attempts it took and what they mean."""

    url: str
    reason: str
    status: int | None
    final_url: str | None
    detail: str | None
    attempts: list[Attempt] = field(default_factory=list)


@dataclass
class HostFingerprint:
    """How a host answers a URL that cannot exist (its own error page)."""

    status: int | None
    final_url: str | None
    redirected: bool
    shingles: frozenset[int] | None


class Checker:
    """Shared state of one run: the HTTP session, politeness, and per-host error-page fingerprints."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        limiter: HostLimiter,
        *,
        timeout: float,
        max_redirects: int,
        max_retry_after: float,
        home_urls: set[str] | None = None,
    ) -> None:
        self.session = session
        self.limiter = limiter
        self.timeout = timeout
        self.max_redirects = max_redirects
        self.max_retry_after = max_retry_after
        self.home_urls = {_norm(u) for u in (home_urls or set())}
        self._fingerprints: dict[str, asyncio.Task[HostFingerprint]] = {}
        self.requests = 0

    async def _fetch(self, url: str, method: str, read_body: bool) -> Attempt:
        attempt = await fetch(
            self.session,
            self.limiter,
            url,
            method=method,
            max_redirects=self.max_redirects,
            timeout=self.timeout,
            read_body=read_body,
        )
        self.requests += 1 + len(attempt.chain)
        return attempt

    async def check(self, url: str, kind: str = "a") -> CheckResult:
        use_get = classify.wants_body(url, kind)
        attempts: list[Attempt] = []
        for retry in range(MAX_429_RETRIES + 1):
            if use_get:
                attempt = await self._fetch(url, "GET", True)
                attempts.append(attempt)
            else:
                attempt = await self._fetch(url, "HEAD", False)
                attempts.append(attempt)
                if _head_unreliable(attempt):
                    attempt = await self._fetch(url, "GET", kind == "a")
                    attempts.append(attempt)
            if attempt.status != 429:
                break
            wait = attempt.retry_after if attempt.retry_after is not None else DEFAULT_RETRY_AFTER
            if retry == MAX_429_RETRIES or wait > self.max_retry_after:
                break
            self.limiter.pause(host_key(attempt.final_url or url), wait)
        return await self._classify(url, attempts)

    async def _classify(self, url: str, attempts: list[Attempt]) -> CheckResult:
        last = attempts[-1]
        result = CheckResult(url, last.reason, last.status, last.final_url, last.detail, attempts)
        if last.redirected:
            result.detail = _join(result.detail, "重定向：" + " → ".join([url, *last.chain])[:900])
        if last.status is None:
            return result
        body_text = _decode(last)
        wall = classify.bot_wall(last.status, last.headers, body_text)
        if wall:
            result.reason = "blocked"
            result.detail = _join(result.detail, wall)
            return result
        if last.status == 429:
            result.detail = _join(result.detail, f"Retry-After={last.retry_after}")
            return result
        if result.reason != classify.OK:
            return result
        soft = await self._soft_404(url, last)
        if soft:
            result.reason = "soft_404"
            result.detail = _join(result.detail, soft)
        return result

    async def _soft_404(self, url: str, attempt: Attempt) -> str | None:
        """Why a 2xx answer is really an error page, or None."""
        final = attempt.final_url or url
        if attempt.redirected:
            if _is_home(final, self.home_urls) and not _is_home(url, self.home_urls):
                return f"跳转到首页 {final[:200]}"
            if classify.is_error_url(final) and not classify.is_error_url(url):
                return f"跳转到错误页 {final[:200]}"
        if attempt.body is None:
            return None
        page = classify.page_text(attempt.body, attempt.encoding)
        marker = classify.looks_like_error_page(page)
        if marker:
            return f"错误页内容（{marker}）"
        fingerprint = await self.fingerprint(url)
        if fingerprint.status is None or fingerprint.status >= 400:
            return None  # the host answers missing pages honestly
        if (
            attempt.redirected
            and fingerprint.redirected
            and _norm(fingerprint.final_url or "") == _norm(final)
        ):
            return f"与本站不存在页面的跳转目标相同 {final[:200]}"
        if fingerprint.shingles is not None:
            score = classify.similarity(page.shingles, fingerprint.shingles)
            if score >= SOFT404_SIMILARITY:
                return f"与本站错误页相似度 {score:.2f}"
        return None

    async def fingerprint(self, url: str) -> HostFingerprint:
        """Request a random URL on the host once per run and remember how the host answers."""
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc.lower()}"
        task = self._fingerprints.get(key)
        if task is None:
            task = self._fingerprints[key] = asyncio.ensure_future(self._learn(key))
        return await task

    async def _learn(self, origin: str) -> HostFingerprint:
        probe = f"{origin}/zwgk-missing-{secrets.token_hex(8)}.html"
        attempt = await self._fetch(probe, "GET", True)
        shingles = None
        if attempt.body is not None:
            shingles = classify.page_text(attempt.body, attempt.encoding).shingles
        return HostFingerprint(attempt.status, attempt.final_url, attempt.redirected, shingles)


def _head_unreliable(attempt: Attempt) -> bool:
    if attempt.status is None:
        return attempt.reason == "connection"  # some servers drop HEAD requests
    return attempt.status in classify.HEAD_UNRELIABLE or attempt.status >= 400


def _decode(attempt: Attempt) -> str:
    if not attempt.body:
        return ""
    try:
        return attempt.body.decode(attempt.encoding or "utf-8", errors="replace")
    except LookupError:
        return attempt.body.decode("utf-8", errors="replace")


def _norm(url: str) -> str:
    parts = urlsplit(url)
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


def _is_home(url: str, home_urls: set[str]) -> bool:
    return classify.is_home_url(url) or _norm(url) in home_urls


def _join(first: str | None, second: str) -> str:
    return f"{first}；{second}" if first else second
