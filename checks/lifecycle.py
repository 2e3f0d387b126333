"""Findings lifecycle: one row per rule|site|section|period, with its history.

- fail/warn, no row yet          → new open finding (first_detected = now)
- fail/warn on an open finding   → last_confirmed = now (status change fail↔warn is an event)
- fail/warn on a resolved one    → reopened (reopened_count + 1, resolved_at cleared)
- pass on an open finding        → resolved (status pass, resolved_at = now)
- pass, no row                   → nothing stored (a pass is not a finding)
- unknown, no row                → stored as an open unknown (an auditor must see blind spots)
- unknown on a fail/warn/pass    → status kept; never turns a fail into pass or resolved
- unknown on an unknown          → last_confirmed = now
Every status change writes a FindingEvent. A run for an as_of older than the finding's
``last_as_of`` does not touch it (history is not rewritten by a late re-run). The CLI records
only checks for today; a past ``--as-of`` prints without recording.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import select

from store.models import Finding, FindingEvent, utcnow

if TYPE_CHECKING:
    from checks.engine import FindingResult
    from store.db import Database

PROBLEMS = ("fail", "warn")


def _apply(finding: Finding, result: FindingResult) -> None:
    finding.message = result.message
    finding.evidence = result.evidence
    finding.details = _jsonable(result.details)
    finding.due = result.due
    finding.uncertain = result.uncertain
    finding.severity = result.severity
    finding.department_id = result.department


def _jsonable(value):  # type: ignore[no-untyped-def]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def _event(session, finding: Finding, old: str | None, new: str, message: str, now: dt.datetime) -> None:  # type: ignore[no-untyped-def]
    session.add(FindingEvent(finding_id=finding.id, at=now, old_status=old, new_status=new, message=message))


def record_results(
    db: Database, results: Iterable[FindingResult], as_of: dt.date, *, now: dt.datetime | None = None
) -> dict[str, int]:
    """Update the findings table from one check run; returns counts of what changed."""
    now = now or utcnow()
    counts = {"new": 0, "confirmed": 0, "resolved": 0, "reopened": 0, "kept": 0}
    with db.session() as session:
        for result in results:
            key = result.key
            finding = session.scalar(select(Finding).where(Finding.key == key))
            if finding is not None and finding.last_as_of and finding.last_as_of > as_of:
                continue
            status = result.status
            if finding is None:
                if status == "pass":
                    continue
                finding = Finding(key=key, rule=result.rule, kind=result.kind, site_id=result.site,
                                  section_id=result.section, period=result.period, status=status,
                                  first_detected=now, last_confirmed=now, reopened_count=0, last_as_of=as_of,
                                  message=result.message)
                _apply(finding, result)
                session.add(finding)
                session.flush()
                _event(session, finding, None, status, result.message, now)
                counts["new"] += 1
                continue
            old = finding.status
            finding.last_as_of = as_of
            if status == "unknown":
                if old == "unknown":
                    _apply(finding, result)
                    finding.last_confirmed = now
                counts["kept"] += 1
                continue
            if status in PROBLEMS:
                if finding.resolved_at is not None or old == "pass":
                    finding.reopened_count += 1
                    finding.resolved_at = None
                    counts["reopened"] += 1
                else:
                    counts["confirmed"] += 1
                finding.status = status
                finding.last_confirmed = now
                _apply(finding, result)
                if old != status:
                    _event(session, finding, old, status, result.message, now)
                continue
            # status == "pass"
            if old != "pass":
                finding.status = "pass"
                finding.resolved_at = now
                _apply(finding, result)
                _event(session, finding, old, "pass", result.message, now)
                counts["resolved"] += 1
    return counts
