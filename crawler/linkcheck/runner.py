"""`check_links(config, db, site_ids)`: one link-check run over every link the crawl stored.

Each unique URL is checked at most once per run (plus one spaced re-check of a failing link
when that could confirm it), links checked OK within ``links.cache_hours`` are skipped, and
every request goes through the per-host politeness limiter.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import aiohttp

from crawler.linkcheck.checker import Checker, CheckResult
from crawler.linkcheck.politeness import HostLimiter, PolitenessParams
from crawler.linkcheck.queries import LinkOutcome, LinkTarget, link_targets, next_run_id, save_outcomes
from crawler.linkcheck.verdict import RunCheck, decide, needs_recheck
from store.db import Database
from store.models import utcnow

if TYPE_CHECKING:
    from zwgk.config import Config

log = logging.getLogger(__name__)
FLUSH_EVERY = 500


@dataclass
class LinkCheckStats:
    """What one run did (returned to the pipeline and printed by `zwgk links check`)."""

    run_id: int = 0
    site_ids: tuple[str, ...] = ()
    links_total: int = 0
    checked: int = 0
    cached: int = 0
    skipped: int = 0  # external links when links.check_external is off, non-HTTP schemes
    rechecked: int = 0
    requests: int = 0
    elapsed_s: float = 0.0
    verdicts: dict[str, int] = field(default_factory=dict)  # this run's verdicts
    reasons: dict[str, int] = field(default_factory=dict)
    max_in_flight_per_host: dict[str, int] = field(default_factory=dict)


def check_links(
    config: Config,
    db: Database,
    site_ids: Sequence[str] | None = None,
    *,
    params: PolitenessParams | None = None,
) -> LinkCheckStats:
    """Run one link check (blocking; starts its own event loop)."""
    return asyncio.run(check_links_async(config, db, site_ids, params=params))


def internal_hosts(config: Config) -> set[str]:
    """Hosts (host[:port]) of the configured sites: links to them are 站内."""
    hosts = set()
    for site in config.sites:
        for url in (site.base_url, site.home, *(s.list_url for s in site.sections)):
            hosts.add(urlsplit(url).netloc.lower())
    return hosts


async def check_links_async(
    config: Config,
    db: Database,
    site_ids: Sequence[str] | None = None,
    *,
    params: PolitenessParams | None = None,
) -> LinkCheckStats:
    links = config.links
    sites = tuple(site_ids) if site_ids else tuple(s.id for s in config.sites)
    stats = LinkCheckStats(site_ids=sites)
    if not links.enabled:
        return stats
    started = time.monotonic()
    targets = link_targets(db, sites)
    stats.links_total = len(targets)
    fresh_after = utcnow() - dt.timedelta(hours=links.cache_hours)
    inside = internal_hosts(config)
    todo: list[LinkTarget] = []
    for target in targets:
        parts = urlsplit(target.url)
        if parts.scheme not in ("http", "https") or (
            not links.check_external and parts.netloc.lower() not in inside
        ):
            stats.skipped += 1
        elif target.verdict == "ok" and target.last_checked and target.last_checked >= fresh_after:
            stats.cached += 1
        else:
            todo.append(target)
    stats.run_id = next_run_id(db)
    if todo:
        await _run(config, db, _interleave(todo), stats, params or PolitenessParams.from_links(links))
    stats.elapsed_s = round(time.monotonic() - started, 3)
    return stats


def _interleave(targets: list[LinkTarget]) -> list[LinkTarget]:
    """Round-robin over hosts so the global workers spread over hosts instead of queueing on one."""
    by_host: dict[str, list[LinkTarget]] = defaultdict(list)
    for target in targets:
        by_host[urlsplit(target.url).netloc.lower()].append(target)
    queues = [list(reversed(v)) for v in by_host.values()]
    out: list[LinkTarget] = []
    while queues:
        for queue in queues:
            out.append(queue.pop())
        queues = [q for q in queues if q]
    return out


async def _run(
    config: Config, db: Database, todo: list[LinkTarget], stats: LinkCheckStats, params: PolitenessParams
) -> None:
    links = config.links
    limiter = HostLimiter(params)
    connector = aiohttp.TCPConnector(limit=params.global_concurrency, limit_per_host=0, ttl_dns_cache=300)
    headers = {"User-Agent": config.general.user_agent, "Accept": "*/*"}
    homes = {u for s in config.sites for u in (s.base_url, s.home)}
    pending: list[LinkOutcome] = []
    verdicts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    rechecks: list[tuple[float, LinkTarget, RunCheck, CheckResult]] = []

    def finish(target: LinkTarget, results: list[CheckResult], checks: list[RunCheck]) -> None:
        decision = decide(
            checks,
            target.consecutive_failures,
            confirm_runs=links.confirm_runs,
            recheck_delay=links.recheck_delay_seconds,
        )
        last = results[-1]
        pending.append(
            LinkOutcome(
                link_id=target.link_id,
                verdict=decision.verdict,
                reason=decision.reason,
                http_status=last.status,
                final_url=(last.final_url or "")[:2000] or None,
                consecutive_failures=decision.consecutive_failures,
                checked_at=last.attempts[-1].at,
                attempts=[row for r in results for row in _attempt_rows(r)],
            )
        )
        verdicts[decision.verdict] += 1
        reasons[decision.reason] += 1
        if len(pending) >= FLUSH_EVERY:
            save_outcomes(db, stats.run_id, pending)
            pending.clear()

    async with aiohttp.ClientSession(headers=headers, connector=connector, auto_decompress=True) as session:
        checker = Checker(
            session,
            limiter,
            timeout=links.timeout_seconds,
            max_redirects=links.max_redirects,
            max_retry_after=links.max_retry_after_seconds,
            home_urls=homes,
        )

        queue = iter(todo)

        async def first_pass() -> None:
            for target in queue:
                at = time.monotonic()
                result = await checker.check(target.url, target.kind)
                first = RunCheck(result.reason, at)
                if needs_recheck(
                    first,
                    target.consecutive_failures,
                    confirm_runs=links.confirm_runs,
                    recheck_delay=links.recheck_delay_seconds,
                ):
                    rechecks.append((at + links.recheck_delay_seconds, target, first, result))
                else:
                    finish(target, [result], [first])

        await asyncio.gather(*(first_pass() for _ in range(min(params.global_concurrency, len(todo)))))

        rechecks.sort(key=lambda r: r[0])
        stats.rechecked = len(rechecks)
        again = iter(rechecks)

        async def second_pass() -> None:
            for due, target, first, result in again:
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                at = time.monotonic()
                second = await checker.check(target.url, target.kind)
                finish(target, [result, second], [first, RunCheck(second.reason, at)])

        if rechecks:
            await asyncio.gather(
                *(second_pass() for _ in range(min(params.global_concurrency, len(rechecks))))
            )
        stats.requests = checker.requests

    save_outcomes(db, stats.run_id, pending)
    stats.checked = sum(verdicts.values())
    stats.verdicts = dict(verdicts)
    stats.reasons = dict(reasons)
    stats.max_in_flight_per_host = dict(limiter.max_in_flight)


def _attempt_rows(result: CheckResult) -> list[dict]:
    """LinkCheck column values for every attempt; the last one carries the check's conclusion."""
    rows = []
    for i, attempt in enumerate(result.attempts):
        last = i == len(result.attempts) - 1
        rows.append(
            {
                "checked_at": attempt.at,
                "method": attempt.method,
                "http_status": attempt.status,
                "final_url": (attempt.final_url or "")[:2000] or None,
                "elapsed_ms": attempt.elapsed_ms,
                "reason": result.reason if last else attempt.reason,
                "detail": (result.detail if last else attempt.detail),
            }
        )
    return rows
