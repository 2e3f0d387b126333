"""The flat pipeline: crawl → links → check → report → deliver.

These functions are the only entry points that the CLI, the demo and the
scheduler call. Each delegates to the package that owns the stage, so the
stages stay independent (urlwatch-style small stages).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zwgk.app import App


def today(app: App) -> dt.date:
    """Today in the configured timezone (the CLI's default ``as_of``)."""
    return dt.datetime.now(app.config.general.tz).date()


def crawl(app: App, site_ids: Sequence[str] | None = None, *, timeout: float | None = None) -> list[Any]:
    """Crawl sites in worker processes (one per core), each site with a timeout; returns one outcome per site."""
    from crawler.runner import crawl_sites

    return crawl_sites(app.config, site_ids, timeout=timeout)


def keep_crawl_workers(seconds: float) -> None:
    """Keep crawl workers ready this long between crawls (a long-lived process; 0 closes them)."""
    from crawler.idle import IDLE

    IDLE.configure(seconds)


def check_links(app: App, site_ids: Sequence[str] | None = None) -> Any:
    """Check every link the crawl stored (at most once per URL per run)."""
    from crawler.linkcheck.runner import check_links as run

    return run(app.config, app.db, site_ids)


def probe_availability(app: App, site_ids: Sequence[str] | None = None) -> Any:
    """Probe each site's home page once (as the national check does)."""
    from crawler.linkcheck.probes import probe_sites

    return probe_sites(app.config, app.db, site_ids)


def check(
    app: App,
    as_of: dt.date,
    *,
    site_id: str | None = None,
    section_id: str | None = None,
    record: bool = True,
    evidence_until: dt.datetime | None = None,
) -> list[Any]:
    """Judge stored snapshots as of a date; with ``record`` the findings' lifecycle is updated.

    ``evidence_until`` (naive UTC, default: the end of ``as_of``) is the instant up to which stored
    evidence counts (see ``checks.engine.run_checks``)."""
    from checks.engine import run_checks

    return run_checks(app.config, app.db, as_of, site_id=site_id, section_id=section_id, record=record,
                      evidence_until=evidence_until)


@dataclass(frozen=True)
class CheckTally:
    """How many results a check run had of each status (what the scheduler logs), without the results."""

    total: int
    statuses: dict[str, int]


def check_tally(app: App, as_of: dt.date, *, site_id: str | None = None) -> CheckTally:
    """``check`` (recording) for callers that need only the counts: the results are streamed batch by batch
    (``checks.engine.iter_checks``), so a province's 300,000 results are never held at once."""
    from checks.engine import iter_checks

    statuses: dict[str, int] = {}
    for batch in iter_checks(app.config, app.db, as_of, site_id=site_id):
        for result in batch:
            statuses[result.status] = statuses.get(result.status, 0) + 1
    return CheckTally(sum(statuses.values()), statuses)


def report(app: App, kind: str, as_of: dt.date, *, department_id: str | None = None) -> list[Any]:
    """Render a report (daily | weekly | department), write it to the reports directory, queue mail."""
    from reports.build import build_and_queue

    return build_and_queue(app.config, app.db, kind, as_of, department_id=department_id)


def report_kinds(app: App, kinds: Sequence[str], as_of: dt.date) -> dict[str, list[Any] | Exception]:
    """Several report kinds of one day from one read of the findings (``department``: every department's).

    Each kind's written paths, or the exception it failed with (the other kinds are still queued).
    """
    from reports.build import build_kinds

    return build_kinds(app.config, app.db, kinds, as_of)


def deliver(app: App) -> Any:
    """Send what is due in the outbox (SMTP / webhooks, or .eml files when mail is disabled)."""
    from reports.delivery.outbox import flush_outbox

    return flush_outbox(app.config, app.db)
