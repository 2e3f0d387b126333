"""Checks judged in worker processes give exactly what the serial loop gives.

The store is the benchmark's synthetic one (6 sites, findings of a previous run so that the run
inserts, confirms, resolves and reopens), judged in batches of 2 sites: serially, by 2 forked
workers, by 2 workers from a fork server (what a threaded caller such as the scheduler gets),
and on PostgreSQL. Compared: the returned results in order, the findings table (timestamps set by
the run read "run") and the events in the order they were written.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import shutil
import threading
from pathlib import Path

import pytest
from engines_support import PostgresServer, fresh_postgres_url, postgres_server  # noqa: F401

import checks.engine as engine
import checks.workers as workers
from store.db import Database
from store.sync import sync_config
from zwgk.config import parse_config

BENCH = Path(__file__).resolve().parent.parent / "bench" / "bench_checks.py"
SITES = 6


@pytest.fixture(scope="module")
def bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_checks_w", BENCH)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _populate(bench, url: str, tmp: Path):  # type: ignore[no-untyped-def]
    config = parse_config(bench.settings_text(SITES, tmp / "unused.db").replace(
        f'sqlite:///{tmp / "unused.db"}', url), tmp / "settings.toml")
    db = Database(url)
    sync_config(db, config)
    bench.populate_data(db, config, SITES)
    bench.populate_findings(db, config)
    return config, db


@pytest.fixture(scope="module")
def base_store(tmp_path_factory, bench) -> Path:  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("workers")
    path = tmp / "base.db"
    _config, db = _populate(bench, f"sqlite:///{path}", tmp)
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return path


def _run(bench, url: str, tmp: Path, count: int, monkeypatch) -> dict:  # type: ignore[no-untyped-def]
    config = parse_config(bench.settings_text(SITES, tmp / "unused.db").replace(
        f'sqlite:///{tmp / "unused.db"}', url), tmp / "settings.toml")
    db = Database(url)
    monkeypatch.setattr(engine, "SITE_BATCH", 2)
    started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    batches = list(engine.iter_checks(config, db, bench.AS_OF, workers=count))
    results = [r for batch in batches for r in batch]
    out = tmp / f"dump-{count}.json"
    bench.dump_findings(db, out, results, started)
    db.dispose()
    return {"batches": len(batches), **json.loads(out.read_text(encoding="utf-8"))}


def _copy(base: Path, tmp: Path, name: str) -> str:
    target = tmp / name
    shutil.copyfile(base, target)
    return f"sqlite:///{target}"


@pytest.fixture(scope="module")
def serial(base_store, bench, tmp_path_factory) -> dict:  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("serial")
    with pytest.MonkeyPatch.context() as mp:
        return _run(bench, _copy(base_store, tmp, "serial.db"), tmp, 0, mp)


def test_the_serial_run_exercises_the_lifecycle(serial) -> None:  # type: ignore[no-untyped-def]
    assert serial["batches"] == 3
    transitions = {(old, new) for _key, old, new, _msg, _at in serial["events"]}
    assert {("", "fail"), ("fail", "pass"), ("pass", "fail")} <= transitions, transitions
    assert {r["status"] for r in serial["results"]} == {"pass", "fail", "warn", "unknown"}
    assert any(f["last_confirmed"] == "run" for f in serial["findings"])
    assert any(f["last_confirmed"] not in (None, "run") for f in serial["findings"])


@pytest.mark.parametrize("method", ["fork", "forkserver"])
def test_workers_give_what_the_serial_loop_gives(method, serial, base_store, bench, tmp_path,  # type: ignore[no-untyped-def]
                                                 monkeypatch) -> None:
    monkeypatch.setattr(workers, "start_method", lambda: method)
    got = _run(bench, _copy(base_store, tmp_path, f"{method}.db"), tmp_path, 2, monkeypatch)
    assert got["results"] == serial["results"]
    assert got["findings"] == serial["findings"]
    assert got["events"] == serial["events"]  # same order of writes


def test_worker_count_and_start_method() -> None:
    assert workers.worker_count("sqlite:///x.db", 1) == 0  # one batch: judged in the caller
    assert workers.worker_count("sqlite://", 10) == 0  # an in-memory database cannot be shared
    assert workers.worker_count("sqlite:///x.db", 10, 3) == 3
    assert workers.worker_count("sqlite:///x.db", 2, 8) == 2
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert workers.start_method() in ("forkserver", "spawn")  # never fork a threaded process
    finally:
        stop.set()
        thread.join()


def test_a_failing_worker_fails_the_run(base_store, bench, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    url = _copy(base_store, tmp_path, "broken.db")
    config = parse_config(bench.settings_text(SITES, tmp_path / "u.db").replace(
        f'sqlite:///{tmp_path / "u.db"}', url), tmp_path / "settings.toml")
    db = Database(url)
    monkeypatch.setattr(engine, "SITE_BATCH", 2)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE availability_probes")  # the workers' loading query fails
    with pytest.raises(Exception, match="availability_probes"):
        engine.run_checks(config, db, bench.AS_OF, workers=2)
    db.dispose()


@pytest.mark.engines
def test_workers_on_postgres_give_what_sqlite_gives(serial, bench, fresh_postgres_url, tmp_path,  # noqa: F811  # type: ignore[no-untyped-def]
                                                    monkeypatch) -> None:
    _config, db = _populate(bench, fresh_postgres_url, tmp_path)
    db.dispose()
    got = _run(bench, fresh_postgres_url, tmp_path, 2, monkeypatch)
    assert got["results"] == serial["results"]
    assert got["findings"] == serial["findings"]
    assert got["events"] == serial["events"]


def test_a_result_crosses_the_process_boundary_whole() -> None:
    import dataclasses
    import pickle

    values = {f.name: f"v-{f.name}" for f in dataclasses.fields(engine.FindingResult)}
    result = engine.FindingResult(**values)
    assert pickle.loads(pickle.dumps(result)) == result  # __reduce__ names every field, in order
