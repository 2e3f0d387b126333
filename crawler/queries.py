"""What the crawler reads from the store before a run (small, findable queries)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crawler.outcomes import READABLE
from store.models import Attachment, Item, ListSnapshot, Page, SectionCrawl


@dataclass(frozen=True)
class KnownPage:
    id: int
    etag: str | None
    last_modified: str | None
    outcome: str
    sha256: str | None


@dataclass(frozen=True)
class ListValidators:
    etag: str | None
    last_modified: str | None
    sha256: str | None


@dataclass
class PriorState:
    """Everything a run needs to crawl incrementally."""

    pages: dict[str, KnownPage] = field(default_factory=dict)
    # (section_id, list_url) -> validators of the last snapshot of a fully readable section crawl
    lists: dict[tuple[str, str], ListValidators] = field(default_factory=dict)
    # (section_id, url) -> (title, list_date iso or None)
    items: dict[tuple[str, str], tuple[str, str | None]] = field(default_factory=dict)
    attachments_ok: set[tuple[int, str]] = field(default_factory=set)


def load_prior_state(session: Session, site_id: str) -> PriorState:
    state = PriorState()
    for row in session.execute(
        select(Page.id, Page.url, Page.etag, Page.last_modified, Page.outcome, Page.content_sha256).where(
            Page.site_id == site_id
        )
    ):
        state.pages[row.url] = KnownPage(row.id, row.etag, row.last_modified, row.outcome, row.content_sha256)
    for row in session.execute(
        select(Item.section_id, Item.url, Item.title, Item.list_date).where(Item.site_id == site_id)
    ):
        state.items[(row.section_id, row.url)] = (row.title, row.list_date.isoformat() if row.list_date else None)
    for row in session.execute(
        select(Attachment.page_id, Attachment.url)
        .join(Page, Page.id == Attachment.page_id)
        .where(Page.site_id == site_id, Attachment.outcome == "ok")
    ):
        state.attachments_ok.add((row.page_id, row.url))
    state.lists = _list_validators(session, site_id)
    return state


def _list_validators(session: Session, site_id: str) -> dict[tuple[str, str], ListValidators]:
    """Validators of each section's first list page, only where the last section crawl was readable."""
    latest = (
        select(func.max(SectionCrawl.id).label("id"))
        .where(SectionCrawl.site_id == site_id)
        .group_by(SectionCrawl.section_id)
        .subquery()
    )
    last_run = {
        row.section_id: row.run_id
        for row in session.execute(
            select(SectionCrawl.section_id, SectionCrawl.run_id, SectionCrawl.outcome).join(
                latest, SectionCrawl.id == latest.c.id
            )
        )
        if row.outcome in READABLE
    }
    if not last_run:
        return {}
    # The last first-page snapshot of each section in its last readable run (a list re-read in one run: the last).
    newest: dict[str, Any] = {}
    for snap in session.execute(
        select(ListSnapshot.id, ListSnapshot.section_id, ListSnapshot.run_id, ListSnapshot.url, ListSnapshot.etag,
               ListSnapshot.last_modified, ListSnapshot.content_sha256)
        .where(ListSnapshot.site_id == site_id, ListSnapshot.run_id.in_(set(last_run.values())),
               ListSnapshot.page_no == 0)
    ):
        if last_run.get(snap.section_id) != snap.run_id:
            continue
        if snap.section_id not in newest or snap.id > newest[snap.section_id].id:
            newest[snap.section_id] = snap
    return {
        (section_id, snap.url): ListValidators(snap.etag, snap.last_modified, snap.content_sha256)
        for section_id, snap in newest.items()
        if snap.etag or snap.last_modified
    }
