"""Several processes opening a new store at once (the scheduler and its crawl workers) all succeed.

Each open runs the migrations; before the migration lock every process but one failed with
``table … already exists`` (reproduced 15 times in 15 on SQLite).
"""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

import pytest
from engines_support import PostgresServer, fresh_postgres_url, postgres_server  # noqa: F401
from sqlalchemy import inspect

from store.db import Database

OPENERS = 4


def _open(url: str, barrier, results) -> None:  # type: ignore[no-untyped-def]
    barrier.wait()
    try:
        Database(url).dispose()
        results.put("ok")
    except Exception as exc:  # noqa: BLE001 - reported to the parent
        results.put(f"{type(exc).__name__}: {exc}"[:200])


def _open_together(url: str) -> list[str]:
    ctx = mp.get_context("fork")  # imports already done: the processes really start together
    barrier, results = ctx.Barrier(OPENERS), ctx.Queue()
    procs = [ctx.Process(target=_open, args=(url, barrier, results)) for _ in range(OPENERS)]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    return outcomes


def _tables(url: str) -> set[str]:
    db = Database(url)
    try:
        return set(inspect(db.engine).get_table_names())
    finally:
        db.dispose()


@pytest.mark.parametrize("attempt", range(3))
def test_sqlite_store_opened_by_several_processes_at_once(tmp_path: Path, attempt: int) -> None:
    url = f"sqlite:///{tmp_path / 'var' / 'zwgk.db'}"
    assert _open_together(url) == ["ok"] * OPENERS
    assert {"findings", "items", "alembic_version"} <= _tables(url)


@pytest.mark.engines
def test_postgres_store_opened_by_several_processes_at_once(fresh_postgres_url: str) -> None:  # noqa: F811
    assert _open_together(fresh_postgres_url) == ["ok"] * OPENERS
    assert {"findings", "items", "alembic_version"} <= _tables(fresh_postgres_url)
