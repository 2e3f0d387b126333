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
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, insert, select, update

from store.models import Finding, FindingEvent, utcnow

if TYPE_CHECKING:
    from checks.engine import FindingResult
    from store.db import Database

PROBLEMS = ("fail", "warn")
CHUNK = 500  # keys per IN (...) query
# The columns a run may change on an existing finding (written back in one executemany).
_MUTABLE = ("status", "message", "evidence", "details", "due", "uncertain", "severity", "department_id",
            "last_confirmed", "resolved_at", "reopened_count", "last_as_of")
# What the transitions read (message, evidence and details are only ever overwritten from a result:
# a finding no result rewrites gets only its last_as_of updated, so they are not loaded).
_LOADED = ("id", "key", "status", "last_confirmed", "resolved_at", "reopened_count", "last_as_of")


def _apply(finding: dict[str, Any], result: FindingResult, memo: dict[int, Any] | None = None) -> None:
    finding["message"] = result.message
    finding["evidence"] = result.evidence
    finding["details"] = _jsonable(result.details, memo)
    finding["due"] = result.due
    finding["uncertain"] = result.uncertain
    finding["severity"] = result.severity
    finding["department_id"] = result.department


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _jsonable(value, memo: dict[int, Any] | None = None):  # type: ignore[no-untyped-def]
    """``value`` with dates as ISO strings, sets and tuples as lists, keys as strings.

    ``memo`` (id of a container → its converted copy) converts a container shared by many results
    once; the caller keeps every input alive while the memo is in use, so ids are not reused.
    """
    if type(value) in _SCALARS:
        return value
    if isinstance(value, dict | list | tuple | set | frozenset):
        if memo is not None:
            done = memo.get(id(value))
            if done is not None:
                return done
        if isinstance(value, dict):
            out: Any = {str(k): _jsonable(v, memo) for k, v in value.items()}
        else:
            out = [_jsonable(v, memo) for v in value]
        if memo is not None:
            memo[id(value)] = out
        return out
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def _existing(session, keys: list[str]) -> dict[str, dict[str, Any]]:  # type: ignore[no-untyped-def]
    """The stored findings for these keys (only the columns the lifecycle reads or writes)."""
    cols = [getattr(Finding, c) for c in _LOADED]
    out: dict[str, dict[str, Any]] = {}
    for i in range(0, len(keys), CHUNK):
        for row in session.execute(select(*cols).where(Finding.key.in_(keys[i:i + CHUNK]))):
            out[row.key] = dict(row._mapping)
    return out


def record_results(
    db: Database, results: Iterable[FindingResult], as_of: dt.date, *, now: dt.datetime | None = None
) -> dict[str, int]:
    """Update the findings table from one check run; returns counts of what changed.

    Set-based: the stored findings of all result keys are read in a few IN queries, the
    transitions are applied in memory in result order (a key seen twice behaves as if the
    first result had been written), and inserts, updates and events go out as executemany.
    """
    now = now or utcnow()
    counts = new_counts()
    with db.session() as session:
        record_batch(session, results, as_of, now, counts)
    return counts


def new_counts() -> dict[str, int]:
    return {"new": 0, "confirmed": 0, "resolved": 0, "reopened": 0, "kept": 0}


def record_batch(session, results: Iterable[FindingResult], as_of: dt.date, now: dt.datetime,  # type: ignore[no-untyped-def]
                 counts: dict[str, int]) -> None:
    """``record_results`` inside the caller's transaction, adding to ``counts``.

    The engine records site batch by site batch in one transaction; a key must not span
    two batches (keys name their site, and a batch holds whole sites).
    """
    results = list(results)
    known = _existing(session, list(dict.fromkeys(r.key for r in results)))
    created: dict[str, dict[str, Any]] = {}
    touched: dict[str, dict[str, Any]] = {}
    rewritten: set[str] = set()  # touched keys whose result fields were applied (the others: last_as_of only)
    memo: dict[int, Any] = {}  # details parts shared by several results are converted once (results stay alive)
    events: list[tuple[str, str | None, str, str]] = []  # key, old, new, message
    for result in results:
        key = result.key
        finding = created.get(key) or known.get(key)
        if finding is not None and finding["last_as_of"] and finding["last_as_of"] > as_of:
            continue
        status = result.status
        if finding is None:
            if status == "pass":
                continue
            finding = {"key": key, "rule": result.rule, "kind": result.kind, "site_id": result.site,
                       "section_id": result.section, "period": result.period, "status": status,
                       "first_detected": now, "last_confirmed": now, "resolved_at": None, "reopened_count": 0,
                       "last_as_of": as_of}
            _apply(finding, result, memo)
            created[key] = finding
            events.append((key, None, status, result.message))
            counts["new"] += 1
            continue
        if key in known:
            touched[key] = finding
        old = finding["status"]
        finding["last_as_of"] = as_of
        if status == "unknown":
            if old == "unknown":
                _apply(finding, result, memo)
                rewritten.add(key)
                finding["last_confirmed"] = now
            counts["kept"] += 1
            continue
        if status in PROBLEMS:
            if finding["resolved_at"] is not None or old == "pass":
                finding["reopened_count"] += 1
                finding["resolved_at"] = None
                counts["reopened"] += 1
            else:
                counts["confirmed"] += 1
            finding["status"] = status
            finding["last_confirmed"] = now
            _apply(finding, result, memo)
            rewritten.add(key)
            if old != status:
                events.append((key, old, status, result.message))
            continue
        # status == "pass"
        if old != "pass":
            finding["status"] = "pass"
            finding["resolved_at"] = now
            _apply(finding, result, memo)
            rewritten.add(key)
            events.append((key, old, "pass", result.message))
            counts["resolved"] += 1
    _write(session, created, touched, rewritten, events, now)


def _write(session, created: dict[str, dict[str, Any]], touched: dict[str, dict[str, Any]],  # type: ignore[no-untyped-def]
           rewritten: set[str], events: list[tuple[str, str | None, str, str]], now: dt.datetime) -> None:
    if created:
        session.execute(insert(Finding), list(created.values()))
    full = [{"_id": f["id"], **{c: f[c] for c in _MUTABLE}} for k, f in touched.items() if k in rewritten]
    if full:
        stmt = update(Finding).where(Finding.id == bindparam("_id")).values({c: bindparam(c) for c in _MUTABLE})
        session.connection().execute(stmt, full)
    kept = [{"_id": f["id"], "last_as_of": f["last_as_of"]} for k, f in touched.items() if k not in rewritten]
    if kept:
        stmt = update(Finding).where(Finding.id == bindparam("_id")).values(last_as_of=bindparam("last_as_of"))
        session.connection().execute(stmt, kept)
    if events:
        ids = {k: f["id"] for k, f in touched.items()}
        new_keys = list(created)
        for i in range(0, len(new_keys), CHUNK):
            chunk = new_keys[i:i + CHUNK]
            rows = session.execute(select(Finding.key, Finding.id).where(Finding.key.in_(chunk)))
            ids.update((key, ident) for key, ident in rows)
        session.execute(insert(FindingEvent), [
            {"finding_id": ids[key], "at": now, "old_status": old, "new_status": new, "message": message}
            for key, old, new, message in events])
