"""Findings as they stood at a past instant, for a report regenerated for an earlier day.

A finding row holds its current state. Every status change since is in ``finding_events``
(``checks.lifecycle``), so a report for day D shows each finding with the status, message,
resolution and reopen count it had at the end of D, not what later checks made of it. A day not
over yet passes through without a query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reports.queries import FINDING_COLUMNS
from store.models import Finding, FindingEvent, utcnow

_ID, _STATUS, _MESSAGE, _RESOLVED, _REOPENED = (
    FINDING_COLUMNS.index(c) for c in ("id", "status", "message", "resolved_at", "reopened_count")
)
_PROBLEMS = ("fail", "warn")
_CHUNK = 500  # finding ids per IN (...) query


def rewind(session: Session, findings: Sequence[Sequence[Any]], as_of: dt.date, until_utc: dt.datetime
           ) -> Sequence[Sequence[Any]]:
    """``findings`` (``reports.queries.findings_known_by`` rows) as they stood for ``as_of``, whose end is
    ``until_utc`` (naive UTC).

    Only findings judged by a check of a later day (``last_as_of`` after ``as_of``) are rewound; the others
    hold the verdict of the last check of ``as_of`` or before, even one recorded after the day's end. A
    rewound finding gets the status before its first change at or after ``until_utc``, the message of its
    last change before (the current one when there is none), no resolution unless it was resolved before,
    and the reopenings before only. Other rows are returned as they are.
    """
    if until_utc > utcnow():
        return findings  # a day not over yet: no later day has been checked
    judged_later = list(session.scalars(select(Finding.id).where(Finding.last_as_of > as_of)))
    if not judged_later:
        return findings
    later: list[Any] = []
    for start in range(0, len(judged_later), _CHUNK):
        later += session.execute(
            select(FindingEvent.finding_id, FindingEvent.old_status, FindingEvent.new_status)
            .where(FindingEvent.finding_id.in_(judged_later[start:start + _CHUNK]), FindingEvent.at >= until_utc)
            .order_by(FindingEvent.finding_id, FindingEvent.at, FindingEvent.id)
        ).all()
    if not later:
        return findings
    changed: dict[int, list[tuple[str | None, str]]] = {}
    for finding_id, old, new in later:
        changed.setdefault(finding_id, []).append((old, new))
    earlier = _last_events_before(session, list(changed), until_utc)
    out: list[Sequence[Any]] = []
    for row in findings:
        events = changed.get(row[_ID])
        if events is None:
            out.append(row)
            continue
        fixed = list(row)
        status = events[0][0] or row[_STATUS]
        fixed[_STATUS] = status
        before = earlier.get(row[_ID])
        if before is not None and before[1]:
            fixed[_MESSAGE] = before[1]
        fixed[_RESOLVED] = before[0] if status == "pass" and before is not None else None
        reopened_later = sum(1 for old, new in events if old == "pass" and new in _PROBLEMS)
        fixed[_REOPENED] = max(0, (row[_REOPENED] or 0) - reopened_later)
        out.append(tuple(fixed))
    return out


def _last_events_before(session: Session, finding_ids: list[int], until_utc: dt.datetime
                        ) -> dict[int, tuple[dt.datetime | None, str | None]]:
    """Per finding: (time of its last change to pass, message of its last change), both before ``until_utc``."""
    found: dict[int, tuple[dt.datetime | None, str | None]] = {}
    for start in range(0, len(finding_ids), _CHUNK):
        chunk = finding_ids[start:start + _CHUNK]
        rows = session.execute(
            select(FindingEvent.finding_id, FindingEvent.at, FindingEvent.new_status, FindingEvent.message)
            .where(FindingEvent.finding_id.in_(chunk), FindingEvent.at < until_utc)
            .order_by(FindingEvent.finding_id, FindingEvent.at, FindingEvent.id)
        ).all()
        for finding_id, at, new, message in rows:
            resolved, _ = found.get(finding_id, (None, None))
            found[finding_id] = (at if new == "pass" else None if new in _PROBLEMS else resolved, message)
    return found
