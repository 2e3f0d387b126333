"""The store, the lease and the whole pipeline on PostgreSQL (a server of our own, see engines_support)."""

from __future__ import annotations

import pytest
from engines_support import fresh_postgres_url, postgres_server, postgres_url  # noqa: F401
from sqlalchemy import inspect

from store.db import Database

pytestmark = pytest.mark.engines


def test_migrations_apply_on_postgres(fresh_postgres_url: str) -> None:  # noqa: F811
    db = Database(fresh_postgres_url)
    try:
        tables = set(inspect(db.engine).get_table_names())
        assert {"items", "findings", "locks", "alembic_version"} <= tables, tables
        Database(fresh_postgres_url).dispose()  # a second open is a no-op migration
    finally:
        db.dispose()
