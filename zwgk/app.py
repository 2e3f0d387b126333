"""Open the application: validated config first, then the migrated database."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from store.db import Database
from store.sync import sync_config
from zwgk.config import Config, load_config


@dataclass
class App:
    config: Config
    db: Database

    def close(self) -> None:
        self.db.dispose()


def open_app(config_path: str | Path, *, config: Config | None = None) -> App:
    """Validate settings (exit 2 on error, before any database access), migrate, mirror config."""
    config = config or load_config(config_path)
    db = Database(config.database_url)
    sync_config(db, config)
    return App(config=config, db=db)
