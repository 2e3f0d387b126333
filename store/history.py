"""Findings as they stood at the end of a past day, from their change history (``finding_events``).

A finding row holds its current state; every status change is an event (``checks.lifecycle``). A report
or an evidence bundle for day D shows each finding with the status, message, resolution and reopen
count it had then, not what later checks made of it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import Finding, FindingEvent, utcnow

_PROBLEMS = ("fail", "warn")
_CHUNK = 500  # finding ids per IN (...) query


@dataclass(frozen=True)
class PastState:
    """A finding's state at a past instant."""

    status: str
    message: str | None  # None: the current message (no change was recorded before)
    resolved_at: dt.datetime | None
    reopened_later: int  # reopenings since, to subtract from the current count


def past_states(session: Session, as_of: dt.date, until_utc: dt.datetime) -> dict[int, PastState]:
    """Finding id -> state at ``until_utc`` (naive UTC, the end of ``as_of``) for the findings that differ.

    Only findings judged by a check of a later day (``last_as_of`` after ``as_of``) are rewound; the others
    hold the verdict of the last check of ``as_of`` or before, even one recorded after the day's end. A
    rewound finding gets the status before its first change at or after ``until_utc``, the message of its
    last change before, no resolution unless it was resolved before. A day not over yet needs no query.
    """
    if until_utc > utcnow():
        return {}
    judged_later = list(session.scalars(select(Finding.id).where(Finding.last_as_of > as_of)))
    changed: dict[int, list[tuple[str | None, str]]] = {}
    for chunk in _chunks(judged_later):
        for finding_id, old, new in session.execute(
            select(FindingEvent.finding_id, FindingEvent.old_status, FindingEvent.new_status)
            .where(FindingEvent.finding_id.in_(chunk), FindingEvent.at >= until_utc)
            .order_by(FindingEvent.finding_id, FindingEvent.at, FindingEvent.id)
        ):
            changed.setdefault(finding_id, []).append((old, new))
    earlier = _last_events_before(session, list(changed), until_utc)
    states = {}
    for finding_id, events in changed.items():
        status = events[0][0]
        if status is None:  # created after the day's end: not known then (callers filter on first_detected)
            continue
        resolved, message = earlier.get(finding_id, (None, None))
        states[finding_id] = PastState(
            status=status,
            message=message,
            resolved_at=resolved if status == "pass" else None,
            reopened_later=sum(1 for old, new in events if old == "pass" and new in _PROBLEMS),
        )
    return states


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[start:start + _CHUNK] for start in range(0, len(ids), _CHUNK)]


def _last_events_before(session: Session, finding_ids: list[int], until_utc: dt.datetime
                        ) -> dict[int, tuple[dt.datetime | None, str | None]]:
    """Per finding: (time of its last change to pass, message of its last change), both before ``until_utc``."""
    found: dict[int, tuple[dt.datetime | None, str | None]] = {}
    for chunk in _chunks(finding_ids):
        for finding_id, at, new, message in session.execute(
            select(FindingEvent.finding_id, FindingEvent.at, FindingEvent.new_status, FindingEvent.message)
            .where(FindingEvent.finding_id.in_(chunk), FindingEvent.at < until_utc)
            .order_by(FindingEvent.finding_id, FindingEvent.at, FindingEvent.id)
        ):
            resolved, _ = found.get(finding_id, (None, None))
            found[finding_id] = (at if new == "pass" else None if new in _PROBLEMS else resolved, message)
    return found
