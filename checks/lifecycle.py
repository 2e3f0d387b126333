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
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Dialect

from checks.rows import tuples
from store.models import Finding, FindingEvent, utcnow

if TYPE_CHECKING:
    from checks.engine import FindingResult
    from store.db import Database

PROBLEMS = ("fail", "warn")
CHUNK = 500  # keys per IN (...) query
# The columns a run may change on an existing finding (written back in one executemany).
_MUTABLE = ("status", "message", "evidence", "details", "due", "uncertain", "severity", "department_id",
            "last_confirmed", "resolved_at", "reopened_count", "last_as_of")
# ... the same without department_id, for rows whose department is the stored one: SQLite rewrites the
# department index entry of every row an UPDATE sets it on, even to the same value.
_MUTABLE_SAME_DEPARTMENT = tuple(c for c in _MUTABLE if c != "department_id")
# What the transitions read (message, evidence and details are only ever overwritten from a result:
# a finding no result rewrites gets only its last_as_of updated, so they are not loaded), and the stored
# department (kept apart as "stored_department": the transitions overwrite department_id).
_LOADED = ("id", "key", "status", "last_confirmed", "resolved_at", "reopened_count", "last_as_of", "department_id")


def _apply(finding: dict[str, Any], result: FindingResult) -> None:
    # Evidence and details are kept as the result has them; they are JSON-encoded once, when the row is built.
    finding["message"] = result.message
    finding["evidence"] = result.evidence
    finding["details"] = result.details
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


class _SlowPath(Exception):
    pass


def _default(value: Any) -> Any:
    if isinstance(value, dt.date):  # datetime included
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return list(value)
    raise _SlowPath


def encode_details(details: Any, dumps: Callable[[Any], str] = json.dumps) -> str:
    """``dumps(_jsonable(details))`` without building the converted copy: json's C encoder converts dates
    and sets through ``default``; anything else unusual (a key that is not a string, number, bool or None)
    goes the old way. One difference: a True/False/None key would read true/false/null instead of
    "True"/"False"/"None"; no kind keys details by those."""
    if dumps is json.dumps:
        try:
            return _DETAILS_ENCODER(details)
        except (_SlowPath, TypeError, ValueError):
            pass
    return dumps(_jsonable(details))


_DETAILS_ENCODER = json.JSONEncoder(default=_default).encode


def _c_encoder(default: Callable[[Any], Any]) -> Callable[[Any], str] | None:
    """json's C encoder with json.dumps' settings and ``default``, made once: ``JSONEncoder.encode`` builds a
    new one per call, a good part of the cost of encoding a small evidence list. None without the C module."""
    from json import encoder

    if encoder.c_make_encoder is None:  # pragma: no cover - CPython has it
        return None
    markers: dict[int, Any] = {}
    make = encoder.c_make_encoder(markers, default, encoder.encode_basestring_ascii, None, ": ", ", ", False, False,
                                  True)

    def encode(value: Any) -> str:
        try:
            return "".join(make(value, 0))
        except BaseException:
            markers.clear()  # an interrupted call leaves its open containers behind
            raise

    return encode


class _BatchJson:
    """Evidence and details of a batch as JSON text, exactly as ``dumps`` / ``encode_details`` write them.

    With json's own serializer (``dumps is json.dumps``) one C encoder per kind of value is reused for the
    whole batch (same settings: no indent, ``", "`` / ``": "`` separators, ASCII escapes, circular check);
    otherwise, and for details the fast path cannot encode, the old way.
    """

    def __init__(self, dumps: Callable[[Any], str]) -> None:
        self.dumps = dumps
        self.plain = _c_encoder(json.JSONEncoder().default) if dumps is json.dumps else None
        self.detailed = _c_encoder(_default) if self.plain is not None else None
        self.entries: dict[int, str] = {}  # id of an evidence entry -> its JSON

    def evidence(self, value: Any) -> str:
        """A list of entry dicts encoded entry by entry, each entry once per batch (results share them: a
        page's evidence, an item's fallback entry, a section's list page; they are never changed and the
        batch's results keep them alive, so their ids are not reused): ``[`` + entries joined by ``", "`` +
        ``]`` is what json.dumps writes for a list."""
        plain = self.plain
        if plain is None:
            return self.dumps(value)
        if type(value) is not list:
            return plain(value)
        done = self.entries
        parts = []
        for entry in value:
            if type(entry) is not dict:
                return plain(value)
            text = done.get(id(entry))
            if text is None:
                text = done[id(entry)] = plain(entry)
            parts.append(text)
        return "[" + ", ".join(parts) + "]"

    def details(self, value: Any) -> str:
        if self.detailed is not None:
            try:
                return self.detailed(value)
            except (_SlowPath, TypeError, ValueError):
                pass
        return encode_details(value, self.dumps)


def _existing(session, keys: list[str]) -> dict[str, dict[str, Any]]:  # type: ignore[no-untyped-def]
    """The stored findings for these keys (only the columns the lifecycle reads or writes)."""
    out: dict[str, dict[str, Any]] = {}
    connection = session.connection()
    for i in range(0, len(keys), CHUNK):
        for row in tuples(connection, _EXISTING, {"keys": keys[i:i + CHUNK]}):
            finding = out[row[1]] = dict(zip(_LOADED, row, strict=True))
            finding["stored_department"] = row[-1]
    return out


# One statement with an expanding parameter (compiled once, cached): ``in_(list)`` built a bound
# literal per key and compiled the statement again for each chunk.
_EXISTING = select(*[getattr(Finding, c) for c in _LOADED]).where(Finding.key.in_(bindparam("keys", expanding=True)))
_IDS = select(Finding.key, Finding.id).where(Finding.key.in_(bindparam("keys", expanding=True)))


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
    write_plan(session, plan_batch(session, results, as_of, now), counts)


@dataclass(slots=True)
class Plan:
    """What recording one batch writes, computed from the results and the stored findings of their keys.

    Rows are tuples ready for the database driver: values bind-processed for the dialect the plan
    was made for (dates as text on SQLite), evidence and details JSON-encoded. A plan is made where
    the batch was judged (a worker process, on its own connection: a batch's keys are its own, so no
    other batch's writes can change what it reads) and written by the recording process, in order.
    """

    dialect: str
    inserts: list[tuple[Any, ...]]  # _INSERTED order
    full: list[tuple[Any, ...]]  # _MUTABLE values, then the id (department changed)
    same_department: list[tuple[Any, ...]]  # _MUTABLE_SAME_DEPARTMENT values, then the id
    kept: list[tuple[Any, ...]]  # (last_as_of, id)
    events: list[tuple[str, int | None, str | None, str, str]]  # key, id (None: inserted now), old, new, message
    at: Any  # the events' time, processed
    counts: dict[str, int]


_INSERTED = ("key", "rule", "kind", "site_id", "section_id", "department_id", "period", "status", "severity", "due",
             "message", "uncertain", "evidence", "details", "first_detected", "last_confirmed", "resolved_at",
             "reopened_count", "last_as_of")


def _dialect_key(dialect: Dialect) -> str:
    return f"{dialect.name}+{dialect.driver}"


def _processor(dialect: Dialect, column: str) -> Callable[[Any], Any]:
    """The dialect's bind processing of one findings column, memoised per value (dates and times repeat)."""
    proc = Finding.__table__.c[column].type.dialect_impl(dialect).bind_processor(dialect)
    if proc is None:
        return lambda value: value
    memo: dict[Any, Any] = {}

    def process(value: Any) -> Any:
        try:
            return memo[value]
        except KeyError:
            out = memo[value] = proc(value)
            return out

    return process


def plan_batch(session, results: Iterable[FindingResult], as_of: dt.date, now: dt.datetime) -> Plan:  # type: ignore[no-untyped-def]
    """The lifecycle transitions of one batch (see the module docstring) as rows to write."""
    dialect = session.get_bind().dialect
    results = list(results)
    keys = [r.key for r in results]
    counts = new_counts()
    known = _existing(session, list(dict.fromkeys(keys)))
    created: dict[str, dict[str, Any]] = {}
    touched: dict[str, dict[str, Any]] = {}
    rewritten: set[str] = set()  # touched keys whose result fields were applied (the others: last_as_of only)
    events: list[tuple[str, str | None, str, str]] = []  # key, old, new, message
    for key, result in zip(keys, results, strict=True):
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
            _apply(finding, result)
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
                _apply(finding, result)
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
            _apply(finding, result)
            rewritten.add(key)
            if old != status:
                events.append((key, old, status, result.message))
            continue
        # status == "pass"
        if old != "pass":
            finding["status"] = "pass"
            finding["resolved_at"] = now
            _apply(finding, result)
            rewritten.add(key)
            events.append((key, old, "pass", result.message))
            counts["resolved"] += 1

    # Rows for the driver. JSON as SQLAlchemy's JSON type writes it (the dialect's serializer, json.dumps
    # by default; PostgreSQL stores json text as given); other values through the column types' processors.
    dumps = getattr(dialect, "_json_serializer", None) or json.dumps
    due, uncertain, stamp, day = (_processor(dialect, c) for c in ("due", "uncertain", "last_confirmed", "last_as_of"))
    encoded = _BatchJson(dumps)
    evidence, details = encoded.evidence, encoded.details
    inserts = [(f["key"], f["rule"], f["kind"], f["site_id"], f["section_id"], f["department_id"], f["period"],
                f["status"], f["severity"], due(f["due"]), f["message"], uncertain(f["uncertain"]),
                evidence(f["evidence"]), details(f["details"]), stamp(f["first_detected"]),
                stamp(f["last_confirmed"]), stamp(f["resolved_at"]), f["reopened_count"], day(f["last_as_of"]))
               for f in created.values()]
    full: list[tuple[Any, ...]] = []
    same_department: list[tuple[Any, ...]] = []
    for k, f in touched.items():
        if k not in rewritten:
            continue
        if f["department_id"] == f["stored_department"]:
            same_department.append((f["status"], f["message"], evidence(f["evidence"]), details(f["details"]),
                                    due(f["due"]), uncertain(f["uncertain"]), f["severity"], stamp(f["last_confirmed"]),
                                    stamp(f["resolved_at"]), f["reopened_count"], day(f["last_as_of"]), f["id"]))
        else:
            full.append((f["status"], f["message"], evidence(f["evidence"]), details(f["details"]), due(f["due"]),
                         uncertain(f["uncertain"]), f["severity"], f["department_id"], stamp(f["last_confirmed"]),
                         stamp(f["resolved_at"]), f["reopened_count"], day(f["last_as_of"]), f["id"]))
    kept = [(day(f["last_as_of"]), f["id"]) for k, f in touched.items() if k not in rewritten]
    ids = {k: f["id"] for k, f in touched.items()}
    return Plan(_dialect_key(dialect), inserts, full, same_department, kept,
                [(key, ids.get(key), old, new, message) for key, old, new, message in events],
                _processor(dialect, "last_confirmed")(now), counts)


class _Statement:
    """One compiled statement run through the driver's executemany with rows in a given column order."""

    def __init__(self, stmt: Any, names: tuple[str, ...], dialect: Dialect) -> None:
        compiled = stmt.compile(dialect=dialect)
        self.sql = compiled.string
        self.names = names
        self.named = not compiled.positional
        order = [] if self.named else list(compiled.positiontup or ())
        if not self.named and sorted(order) != sorted(names):
            raise RuntimeError(f"unexpected parameters {order} for {names}")
        # rows come in ``names`` order; a C itemgetter puts them in the statement's (an UPDATE lists its SET
        # columns in table order): a Python generator per row cost ≈ 1 s of the recording process per 2,000 sites
        positions = [names.index(n) for n in order]
        self.index = (None if self.named or order == list(names) else
                      itemgetter(*positions) if len(positions) > 1 else lambda row: (row[positions[0]],))

    def executemany(self, connection: Any, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if self.named:
            params: list[Any] = [dict(zip(self.names, row, strict=True)) for row in rows]
        elif self.index is not None:
            params = list(map(self.index, rows))
        else:
            params = rows
        connection.exec_driver_sql(self.sql, params)


_statements: dict[str, dict[str, _Statement]] = {}


def _compiled(dialect: Dialect) -> dict[str, _Statement]:
    key = _dialect_key(dialect)
    done = _statements.get(key)
    if done is None:
        table, events = Finding.__table__, FindingEvent.__table__
        by_id = table.c.id == bindparam("_id")
        event_cols = ("finding_id", "at", "old_status", "new_status", "message")
        done = _statements[key] = {
            "insert": _Statement(insert(table).values({c: bindparam(c) for c in _INSERTED}), _INSERTED, dialect),
            "full": _Statement(update(table).where(by_id).values({c: bindparam(c) for c in _MUTABLE}),
                               (*_MUTABLE, "_id"), dialect),
            "same_department": _Statement(
                update(table).where(by_id).values({c: bindparam(c) for c in _MUTABLE_SAME_DEPARTMENT}),
                (*_MUTABLE_SAME_DEPARTMENT, "_id"), dialect),
            "kept": _Statement(update(table).where(by_id).values(last_as_of=bindparam("last_as_of")),
                               ("last_as_of", "_id"), dialect),
            "event": _Statement(insert(events).values({c: bindparam(c) for c in event_cols}), event_cols, dialect),
        }
    return done


def write_plan(session, plan: Plan, counts: dict[str, int] | None = None) -> None:  # type: ignore[no-untyped-def]
    """Write a batch's plan in the caller's transaction (through the driver: the rows are ready)."""
    connection = session.connection()
    dialect = connection.dialect
    if plan.dialect != _dialect_key(dialect):
        raise ValueError(f"plan made for {plan.dialect}, written to {_dialect_key(dialect)}")
    statements = _compiled(dialect)
    statements["insert"].executemany(connection, plan.inserts)
    statements["full"].executemany(connection, plan.full)
    statements["same_department"].executemany(connection, plan.same_department)
    statements["kept"].executemany(connection, plan.kept)
    if plan.events:
        new_keys = list(dict.fromkeys(key for key, ident, *_ in plan.events if ident is None))
        ids: dict[str, int] = {}
        for i in range(0, len(new_keys), CHUNK):
            ids.update(connection.execute(_IDS, {"keys": new_keys[i:i + CHUNK]}).all())
        statements["event"].executemany(connection, [
            (ident if ident is not None else ids[key], plan.at, old, new, message)
            for key, ident, old, new, message in plan.events])
    if counts is not None:
        for name, value in plan.counts.items():
            counts[name] += value
