"""Core selects read as plain tuples: the driver's rows, values converted as SQLAlchemy converts them.

The engine's bulk reads fetch hundreds of thousands of rows. SQLAlchemy's ``Row`` objects and its
per-value result processing (on SQLite every date and time is text, parsed again for each row)
cost several times what the driver's ``fetchall`` does. ``tuples`` keeps SQLAlchemy for compiling,
binding and executing (the same SQL with the same parameters), takes the driver's rows as they
are and converts only the columns whose type has a result processor on this dialect, with that
very processor: column by column, memoised per distinct value for immutable types (a batch's
dates and times repeat), so the values are equal to what ``Row`` would hold.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Time
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Select

_MEMOISED = (Date, DateTime, Time, Boolean)  # immutable, hashable results: one conversion per distinct value


class _Memo(dict):
    """value → processed value, filled on first use (``__missing__``); ``None`` stays ``None``."""

    def __init__(self, proc: Callable[[Any], Any]) -> None:
        super().__init__()
        self[None] = None
        self.proc = proc

    def __missing__(self, value: Any) -> Any:
        out = self[value] = self.proc(value)
        return out


def converters(connection: Connection, stmt: Select, description: Any = None) -> list[Callable[[Any], Any] | None]:
    """Per selected column: the function SQLAlchemy's ``Row`` would apply to the driver's value, or None."""
    dialect = connection.dialect
    out: list[Callable[[Any], Any] | None] = []
    for n, column in enumerate(stmt.selected_columns):
        coltype = description[n][1] if description else None
        proc = column.type.dialect_impl(dialect).result_processor(dialect, coltype)
        if proc is not None and isinstance(column.type, _MEMOISED):
            proc = _Memo(proc).__getitem__
        out.append(proc)
    return out


def _identity(value: Any) -> Any:
    return value


def _fetch(connection: Connection, stmt: Select, params: Mapping[str, Any] | None) -> tuple[list[Any], Any]:
    """The driver's rows of ``stmt`` and its cursor description."""
    result = connection.execute(stmt, dict(params or {}))
    try:
        cursor = result.cursor
        return cursor.fetchall(), cursor.description
    finally:
        result.close()


def raw(connection: Connection, stmt: Select, params: Mapping[str, Any] | None = None
        ) -> tuple[list[Any], list[Callable[[Any], Any]]]:
    """The driver's rows of ``stmt`` and, per column, the function that turns a driver value into what
    ``Row`` would hold (the identity where SQLAlchemy converts nothing): for loops that build their own
    objects from each row and would otherwise convert every column twice over (``tuples``)."""
    rows, description = _fetch(connection, stmt, params)
    procs = converters(connection, stmt, description) if rows else [None] * len(stmt.selected_columns)
    return rows, [p or _identity for p in procs]


def tuples(connection: Connection, stmt: Select, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
    """The rows of ``stmt`` as tuples, values as ``connection.execute(stmt).all()`` would give them."""
    rows, description = _fetch(connection, stmt, params)
    if not rows:
        return []
    procs = converters(connection, stmt, description)
    if all(p is None for p in procs):
        return rows if type(rows[0]) is tuple else [tuple(r) for r in rows]
    columns = list(zip(*rows, strict=True))
    for n, proc in enumerate(procs):
        if proc is not None:
            columns[n] = tuple(map(proc, columns[n]))
    return list(zip(*columns, strict=True))
