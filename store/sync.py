"""Mirror departments, sites and sections from settings.toml into the database."""

from __future__ import annotations

from typing import TYPE_CHECKING

from store.db import Database
from store.models import Department, Section, Site

if TYPE_CHECKING:
    from zwgk.config import Config


def sync_config(db: Database, config: Config) -> None:
    """Upsert the configured entities (rows for removed ones are kept for history)."""
    with db.session() as session:
        for dep in config.departments:
            session.merge(Department(id=dep.id, name=dep.name, is_office=dep.office))
        for site in config.sites:
            session.merge(Site(id=site.id, name=site.name, base_url=site.base_url, department_id=site.department))
            for sec in site.sections:
                session.merge(
                    Section(
                        site_id=site.id,
                        id=sec.id,
                        name=sec.name,
                        list_url=sec.list_url,
                        department_id=sec.department,
                        indicator=sec.indicator,
                    )
                )
