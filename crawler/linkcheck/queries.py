"""Every database query of the link checker and the availability probes (small, findable functions)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select, update

from store.db import Database
from store.models import AvailabilityProbe, Link, LinkCheck, LinkRef

# Probe reasons that say nothing about the site being up (our client was refused): not counted.
PROBE_NOT_COUNTED = frozenset({"blocked", "rate_limited"})


@dataclass
class LinkTarget:
    """A link to check, with what its references say about it."""

    link_id: int
    url: str
    host: str
    verdict: str
    last_checked: dt.datetime | None
    consecutive_failures: int
    kinds: set[str] = field(default_factory=set)

    @property
    def kind(self) -> str:
        """``a`` when any page links to it as a page, else the first other kind."""
        if "a" in self.kinds or not self.kinds:
            return "a"
        return sorted(self.kinds)[0]


@dataclass
class LinkOutcome:
    """What a run concluded about one link, with every attempt to store."""

    link_id: int
    verdict: str
    reason: str
    http_status: int | None
    final_url: str | None
    consecutive_failures: int
    checked_at: dt.datetime
    attempts: list[dict] = field(default_factory=list)  # LinkCheck column values


def next_run_id(db: Database) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.max(LinkCheck.run_id))) or 0) + 1


def link_targets(db: Database, site_ids: Sequence[str]) -> list[LinkTarget]:
    """Unique links referenced by pages of the given sites."""
    query = (
        select(
            Link.id,
            Link.url,
            Link.host,
            Link.verdict,
            Link.last_checked,
            Link.consecutive_failures,
            LinkRef.kind,
        )
        .join(LinkRef, LinkRef.link_id == Link.id)
        .where(LinkRef.site_id.in_(list(site_ids)))
    )
    targets: dict[int, LinkTarget] = {}
    with db.session() as s:
        for link_id, url, host, verdict, last_checked, failures, kind in s.execute(query):
            target = targets.get(link_id)
            if target is None:
                target = targets[link_id] = LinkTarget(
                    link_id, url, host, verdict, last_checked, failures or 0
                )
            target.kinds.add(kind or "a")
    return list(targets.values())


def save_outcomes(db: Database, run_id: int, outcomes: Iterable[LinkOutcome]) -> None:
    """Store every attempt as LinkCheck and the verdict on Link."""
    outcomes = list(outcomes)
    if not outcomes:
        return
    with db.session() as s:
        s.execute(
            LinkCheck.__table__.insert(),
            [{"link_id": o.link_id, "run_id": run_id, **a} for o in outcomes for a in o.attempts],
        )
        s.execute(
            update(Link),
            [
                {
                    "id": o.link_id,
                    "verdict": o.verdict,
                    "reason": o.reason,
                    "http_status": o.http_status,
                    "final_url": o.final_url,
                    "consecutive_failures": o.consecutive_failures,
                    "last_checked": o.checked_at,
                }
                for o in outcomes
            ],
        )


# --------------------------------------------------------------------------- reading verdicts


@dataclass
class AttemptRow:
    checked_at: dt.datetime
    method: str
    http_status: int | None
    final_url: str | None
    elapsed_ms: int | None
    reason: str
    detail: str | None


@dataclass
class LinkRow:
    """One link as seen from one page that carries it (D2 counts home-page links apart)."""

    link_id: int
    url: str
    verdict: str
    reason: str | None
    http_status: int | None
    final_url: str | None
    consecutive_failures: int
    last_checked: dt.datetime | None
    source_url: str
    site_id: str
    section_id: str | None
    on_home_page: bool
    kind: str
    anchor_text: str | None
    attempts: list[AttemptRow] = field(default_factory=list)


def link_rows(
    db: Database,
    *,
    site_id: str | None = None,
    verdicts: Sequence[str] | None = None,
    with_attempts: int = 0,
) -> list[LinkRow]:
    """Links with the pages that carry them, optionally only some verdicts, with recent attempts."""
    query = select(Link, LinkRef).join(LinkRef, LinkRef.link_id == Link.id)
    if site_id:
        query = query.where(LinkRef.site_id == site_id)
    if verdicts:
        query = query.where(Link.verdict.in_(list(verdicts)))
    query = query.order_by(Link.url, LinkRef.source_url)
    rows: list[LinkRow] = []
    with db.session() as s:
        for link, ref in s.execute(query):
            rows.append(
                LinkRow(
                    link_id=link.id,
                    url=link.url,
                    verdict=link.verdict,
                    reason=link.reason,
                    http_status=link.http_status,
                    final_url=link.final_url,
                    consecutive_failures=link.consecutive_failures,
                    last_checked=link.last_checked,
                    source_url=ref.source_url,
                    site_id=ref.site_id,
                    section_id=ref.section_id,
                    on_home_page=ref.on_home_page,
                    kind=ref.kind,
                    anchor_text=ref.anchor_text,
                )
            )
        if with_attempts and rows:
            attempts = _recent_attempts(s, {r.link_id for r in rows}, with_attempts)
            for row in rows:
                row.attempts = attempts.get(row.link_id, [])
    return rows


def _recent_attempts(s, link_ids: set[int], limit: int) -> dict[int, list[AttemptRow]]:  # type: ignore[no-untyped-def]
    out: dict[int, list[AttemptRow]] = {}
    ids = sorted(link_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        query = (
            select(LinkCheck)
            .where(LinkCheck.link_id.in_(chunk))
            .order_by(LinkCheck.link_id, LinkCheck.checked_at.desc(), LinkCheck.id.desc())
        )
        for check in s.scalars(query):
            bucket = out.setdefault(check.link_id, [])
            if len(bucket) < limit:
                bucket.append(
                    AttemptRow(
                        check.checked_at,
                        check.method,
                        check.http_status,
                        check.final_url,
                        check.elapsed_ms,
                        check.reason,
                        check.detail,
                    )
                )
    return out


def link_attempts(db: Database, link_ids: set[int], limit: int = 10) -> dict[int, list[AttemptRow]]:
    """Up to ``limit`` recent attempts per link (newest first), keyed by link id."""
    if not link_ids:
        return {}
    with db.session() as s:
        return _recent_attempts(s, link_ids, limit)


def broken_links(db: Database, site_id: str | None = None) -> list[LinkRow]:
    """Confirmed broken links: one row per (link, source page), with up to 10 recent attempts (newest first)."""
    return link_rows(db, site_id=site_id, verdicts=("broken",), with_attempts=10)


def verdict_counts(db: Database, site_ids: Sequence[str]) -> dict[str, int]:
    """Number of unique links per verdict among links referenced by the given sites."""
    linked = select(LinkRef.link_id).where(LinkRef.site_id.in_(list(site_ids))).distinct().subquery()
    query = (
        select(Link.verdict, func.count()).where(Link.id.in_(select(linked.c.link_id))).group_by(Link.verdict)
    )
    with db.session() as s:
        return {verdict: count for verdict, count in s.execute(query)}


# --------------------------------------------------------------------------- availability


def save_probe(db: Database, probe: dict) -> None:
    with db.session() as s:
        s.add(AvailabilityProbe(**probe))


def availability_ratio(
    db: Database, site_id: str, as_of_utc: dt.datetime, *, window_days: int = 7
) -> tuple[int, int]:
    """(failed probes, counted probes) of a site in the ``window_days`` before ``as_of_utc`` (naive UTC).

    Probes where our client was refused (anti-bot) are not counted either way: they say
    nothing about the site being reachable for its users.
    """
    since = as_of_utc - dt.timedelta(days=window_days)
    query = (
        select(AvailabilityProbe.ok, func.count())
        .where(
            AvailabilityProbe.site_id == site_id,
            AvailabilityProbe.probed_at > since,
            AvailabilityProbe.probed_at <= as_of_utc,
            AvailabilityProbe.reason.not_in(list(PROBE_NOT_COUNTED)),
        )
        .group_by(AvailabilityProbe.ok)
    )
    with db.session() as s:
        counts = {bool(ok): n for ok, n in s.execute(query)}
    failures = counts.get(False, 0)
    return failures, failures + counts.get(True, 0)


def recent_probes(db: Database, site_id: str | None = None, limit: int = 20) -> list[AvailabilityProbe]:
    query = select(AvailabilityProbe).order_by(
        AvailabilityProbe.probed_at.desc(), AvailabilityProbe.id.desc()
    )
    if site_id:
        query = query.where(AvailabilityProbe.site_id == site_id)
    with db.session() as s:
        return list(s.scalars(query.limit(limit)))
