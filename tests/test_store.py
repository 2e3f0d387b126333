"""The store: migrations match the models, SQLite runs in WAL mode, config is mirrored."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from store.db import Database
from store.models import Base, Department, Section
from store.sync import sync_config
from zwgk.config import load_config

ROOT = Path(__file__).resolve().parent.parent


def test_migrations_match_models(db_url: str) -> None:
    db = Database(db_url)
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    db.dispose()
    assert diff == [], f"store/models.py and migrations disagree; run `make migration`: {diff}"


def test_sqlite_wal_and_idempotent_migrations(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sub' / 'z.db'}"
    Database(url).dispose()
    Database(url).dispose()  # second open: nothing to do, no error
    connection = sqlite3.connect(tmp_path / "sub" / "z.db")
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    version = connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    assert version == "0001"


def test_sync_config_mirrors_departments_and_sections(db_url: str) -> None:
    config = load_config(ROOT / "settings.toml")
    db = Database(db_url)
    sync_config(db, config)
    sync_config(db, config)  # idempotent
    with db.session() as session:
        departments = session.scalars(select(Department.id)).all()
        sections = session.execute(select(Section.site_id, Section.id)).all()
    assert set(departments) == {d.id for d in config.departments}
    assert {(s, i) for s, i in sections} == {(s.site_id, s.id) for s in config.all_sections()}
