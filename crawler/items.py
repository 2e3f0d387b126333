"""Read stored items of a section (used by `zwgk items`)."""

from __future__ import annotations

from sqlalchemy import select

from store.db import Database
from store.models import Item, SectionCrawl


def section_items(db: Database, site_id: str, section_id: str, *, include_gone: bool = False) -> list[Item]:
    """Items newest first (undated last)."""
    with db.session() as s:
        query = select(Item).where(Item.site_id == site_id, Item.section_id == section_id)
        if not include_gone:
            query = query.where(Item.gone_at.is_(None))
        query = query.order_by(Item.published.is_(None), Item.published.desc(), Item.id)
        return list(s.scalars(query))


def latest_section_crawl(db: Database, site_id: str, section_id: str) -> SectionCrawl | None:
    """The newest SectionCrawl of a section (what the last run could read of its list)."""
    with db.session() as s:
        query = (select(SectionCrawl)
                 .where(SectionCrawl.site_id == site_id, SectionCrawl.section_id == section_id)
                 .order_by(SectionCrawl.captured_at.desc(), SectionCrawl.id.desc()).limit(1))
        return s.scalars(query).first()
