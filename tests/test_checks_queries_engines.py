"""checks.queries returns rows in the same order on SQLite and PostgreSQL when a sort key is NULL.

SQLite sorts NULL first in ascending order, PostgreSQL last. Undated items come first in a
section's item list (so "the first items" given as evidence are the same rows), and the
findings list puts site-wide findings (no section) and findings without a department or
period first, on both engines.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import pytest
from engines_support import PostgresServer, fresh_postgres_url, postgres_server  # noqa: F401
from sqlalchemy import insert, update

from checks.queries import day_end_utc, load_site, load_sites, stored_findings
from store.db import Database
from store.models import Finding, Item
from store.sync import sync_config
from zwgk.config import parse_config

BENCH = Path(__file__).resolve().parent.parent / "bench" / "bench_checks.py"
pytestmark = pytest.mark.engines


@pytest.fixture(scope="module")
def bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_checks_q", BENCH)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _store(bench, url: str, tmp: Path):  # type: ignore[no-untyped-def]
    config = parse_config(bench.settings_text(2, tmp / "u.db").replace(f'sqlite:///{tmp / "u.db"}', url),
                          tmp / "settings.toml")
    db = Database(url)
    sync_config(db, config)
    bench.populate_data(db, config, 2)
    now = dt.datetime(2026, 11, 20, 1)
    with db.engine.begin() as conn:
        # every third news item of site x0000 loses its date
        conn.execute(update(Item).where(Item.site_id == "x0000", Item.section_id == "news",
                                        Item.url.like("%0.html") | Item.url.like("%3.html") | Item.url.like("%6.html"))
                     .values(published=None))
        rows = []
        for n, (site, section, dep, period) in enumerate([
            ("x0000", "news", "d000", "2026-W40"), ("x0000", None, "d000", None), ("x0000", "news", None, None),
            (None, None, "d000", "2026"), ("x0001", None, None, "2026-W40"), ("x0000", "news", "d000", None),
        ]):
            rows.append({"key": f"r|{n}", "rule": "r", "kind": "presence", "site_id": site, "section_id": section,
                         "department_id": dep, "period": period, "status": "fail", "severity": "deduct",
                         "message": str(n), "uncertain": False, "evidence": [], "details": {},
                         "first_detected": now, "last_confirmed": now, "reopened_count": 0})
        conn.execute(insert(Finding), rows)
    return config, db


def _observed(config, db) -> dict:  # type: ignore[no-untyped-def]
    cutoff = day_end_utc(dt.date(2026, 11, 20), config.general.tz)
    with db.session() as s:
        one = [load_site(s, site, cutoff) for site in config.sites]
        many = load_sites(s, list(config.sites), cutoff)
        findings = [f.message for f in stored_findings(s, status="all")]
    items = {(d.config.id, sec.config.id): [(i.url, i.published) for i in sec.items]
             for d in one for sec in d.sections}
    items_bulk = {(d.config.id, sec.config.id): [(i.url, i.published) for i in sec.items]
                  for d in many for sec in d.sections}
    return {"items": items, "items_bulk": items_bulk, "findings": findings}


def test_null_sort_keys_order_the_same_on_sqlite_and_postgres(bench, fresh_postgres_url, tmp_path) -> None:  # noqa: F811  # type: ignore[no-untyped-def]
    sqlite_dir, pg_dir = tmp_path / "sqlite", tmp_path / "pg"
    sqlite_dir.mkdir()
    pg_dir.mkdir()
    lite = _observed(*_store(bench, f"sqlite:///{sqlite_dir / 's.db'}", sqlite_dir))
    pg = _observed(*_store(bench, fresh_postgres_url, pg_dir))
    news = lite["items"][("x0000", "news")]
    undated = [url for url, day in news if day is None]
    assert len(undated) >= 10 and news[:len(undated)] == [(url, None) for url in undated]  # undated first
    assert lite["items_bulk"] == lite["items"]
    assert pg["items"] == lite["items"]
    assert pg["items_bulk"] == lite["items"]
    # department NULL first, then site NULL first, then section NULL first, then period NULL first
    assert lite["findings"] == ["2", "4", "3", "1", "5", "0"]
    assert pg["findings"] == lite["findings"]
