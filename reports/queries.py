"""The database reads and writes of the reports package, kept small and in one place."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import String, case, func, literal, or_, select, type_coerce
from sqlalchemy.orm import Session

from store.models import CrawlRun, Finding, OutboxMessage, ScoreRecord, Section, Site

FINDING_COLUMNS = ("id", "rule", "severity", "status", "due", "site_id", "section_id", "department_id",
                   "period", "message", "uncertain", "first_detected", "resolved_at", "reopened_count")
RAW_DATES = ("due", "first_detected", "resolved_at")
_UNCERTAIN = FINDING_COLUMNS.index("uncertain")


def findings_known_by(session: Session, until_utc: dt.datetime, department_ids: Sequence[str] | None = None, *,
                      judged_by: dt.date | None = None) -> list:
    """Every finding first detected before ``until_utc`` (naive UTC), in a stable order.

    ``judged_by``: also the findings that only checks of that day or earlier have judged (``last_as_of``),
    even when recorded after ``until_utc`` (the demo's crawl past midnight or its chosen ``--date``, a late
    re-run of a day's checks): they are that day's verdicts.

    ``department_ids``: only these departments' findings (a share of the department reports).

    Plain tuples of the columns the reports read (Core select: no ORM objects to build):
    FINDING_COLUMNS (RAW_DATES as stored: text on SQLite), then evidence_url, captured_at, deduct (``reports.model.finding_rows``
    unpacks them in this order). Of the JSON columns only what the reports show is extracted
    by the database: the first evidence's ``url`` and ``captured_at`` and ``details.deduct``
    (decoding whole evidence lists and details in Python was a third of a province's snapshot).
    """
    # Dates and timestamps as the database returns them (SQLite: text, parsed in model.finding_rows
    # once per distinct value; findings of one run share their timestamps) instead of through the
    # dialect's per-row regular expression.
    cols = [type_coerce(getattr(Finding, c), String).label(c) if c in RAW_DATES else getattr(Finding, c)
            for c in FINDING_COLUMNS]
    if session.get_bind().dialect.name == "sqlite":
        # Only a number comes back (else NULL): no JSON text to decode per row, and reports.model._deduct
        # ignores anything but numbers anyway.
        path = literal("$.deduct")
        deduct = case((func.json_type(Finding.details, path).in_(("integer", "real")),
                       func.json_extract(Finding.details, path)), else_=None)
    else:
        deduct = Finding.details["deduct"]
    cols += [
        Finding.evidence[(0, "url")].as_string().label("evidence_url"),
        Finding.evidence[(0, "captured_at")].as_string().label("captured_at"),
        deduct.label("deduct"),
    ]
    known = Finding.first_detected < until_utc
    if judged_by is not None:
        known = or_(known, Finding.last_as_of <= judged_by)
    stmt = select(*cols).where(known).order_by(Finding.id)
    if department_ids is not None:
        stmt = stmt.where(Finding.department_id.in_(list(department_ids)))
    result = session.connection().execute(stmt)
    processors = getattr(result._metadata, "_processors", None)
    # The driver's own tuples when SQLAlchemy would convert no column but ``uncertain`` (SQLite: 0/1 to
    # bool; reports.model.finding_rows takes bool() of it anyway): a province's 136,000 rows, 3.0 -> 2.2 s.
    if processors is not None and all(p is None for i, p in enumerate(processors) if i != _UNCERTAIN):
        try:
            return result.cursor.fetchall()
        finally:
            result.close()
    return list(result)


def open_findings_per_department(session: Session, until_utc: dt.datetime) -> dict[str, int]:
    """Open findings (fail/warn/unknown, not resolved) first detected before ``until_utc``, counted per department.

    What a department's report lists, so a measure of the work of building it (one GROUP BY).
    """
    stmt = (
        select(Finding.department_id, func.count())
        .where(Finding.first_detected < until_utc, Finding.status.in_(("fail", "warn", "unknown")),
               Finding.resolved_at.is_(None))
        .group_by(Finding.department_id)
    )
    return {dep or "": n for dep, n in session.execute(stmt)}


def previous_period(session: Session, kind: str, before: str) -> str | None:
    """The latest period of an earlier report of this kind in the outbox (e.g. the last daily date)."""
    stmt = (
        select(OutboxMessage.period)
        .where(OutboxMessage.kind == kind, OutboxMessage.period < before)
        .order_by(OutboxMessage.period.desc())
        .limit(1)
    )
    return session.scalar(stmt)


def score_records(session: Session, periods: Sequence[str]) -> list[ScoreRecord]:
    """Stored weekly scores for the given ISO weeks."""
    stmt = select(ScoreRecord).where(ScoreRecord.period.in_(list(periods)))
    return list(session.scalars(stmt))


def save_scores(session: Session, period: str, scores: Sequence[tuple[str, float, bool, dict]]) -> None:
    """Insert or update departments' scores (department id, score, vetoed, details) for one ISO week.

    One read of the week's stored scores instead of one per department (500 in a province).
    """
    stored = {r.department_id: r for r in session.scalars(select(ScoreRecord).where(ScoreRecord.period == period))}
    for department_id, score, vetoed, details in scores:
        row = stored.get(department_id)
        if row is None:
            row = stored[department_id] = ScoreRecord(period=period, department_id=department_id)
            session.add(row)
        row.score = score
        row.vetoed = vetoed
        row.details = details


def place_names(session: Session) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """Site names by id and section names by (site, section) from the config mirror."""
    sites = {site: name for site, name in session.execute(select(Site.id, Site.name))}
    sections = {(site, sec): name for site, sec, name in session.execute(select(Section.site_id, Section.id, Section.name))}
    return sites, sections


def outbox_by_key(session: Session, key: str) -> OutboxMessage | None:
    return session.scalar(select(OutboxMessage).where(OutboxMessage.idem_key == key))


def due_messages(session: Session, now: dt.datetime) -> list[OutboxMessage]:
    """Pending messages whose next attempt is due."""
    stmt = (
        select(OutboxMessage)
        .where(OutboxMessage.status == "pending")
        .where((OutboxMessage.next_attempt_at.is_(None)) | (OutboxMessage.next_attempt_at <= now))
        .order_by(OutboxMessage.id)
    )
    return list(session.scalars(stmt))


def list_messages(session: Session, status: str | None = None, limit: int = 200) -> list[OutboxMessage]:
    stmt = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status:
        stmt = stmt.where(OutboxMessage.status == status)
    return list(session.scalars(stmt))


def failed_messages(session: Session) -> list[OutboxMessage]:
    stmt = select(OutboxMessage).where(OutboxMessage.status == "failed").order_by(OutboxMessage.id)
    return list(session.scalars(stmt))


def crawl_history(
    session: Session, site_ids: Sequence[str], until_utc: dt.datetime
) -> dict[str, tuple[CrawlRun, dt.datetime | None]]:
    """Per site: its latest finished crawl run started before ``until_utc`` and when its latest ok run started.

    Two queries for all sites (a window function and a GROUP BY), not two per site.
    """
    wanted = set(site_ids)
    before = CrawlRun.started_at < until_utc
    order = (CrawlRun.started_at.desc(), CrawlRun.id.desc())
    ranked = (
        select(CrawlRun.id, func.row_number().over(partition_by=CrawlRun.site_id, order_by=order).label("n"))
        .where(before, CrawlRun.status != "running")
        .subquery()
    )
    latest = list(session.scalars(select(CrawlRun).join(ranked, ranked.c.id == CrawlRun.id).where(ranked.c.n == 1)))
    ok_stmt = select(CrawlRun.site_id, func.max(CrawlRun.started_at)).where(before, CrawlRun.status == "ok")
    last_ok = {site: started for site, started in session.execute(ok_stmt.group_by(CrawlRun.site_id))}
    return {run.site_id: (run, last_ok.get(run.site_id)) for run in latest if run.site_id in wanted}
