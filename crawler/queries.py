"""What the crawler reads from the store before a run (small, findable queries)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
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
    last_run: dict[str, tuple[int, str]] = {}
    for row in session.execute(
        select(SectionCrawl.section_id, SectionCrawl.run_id, SectionCrawl.outcome)
        .where(SectionCrawl.site_id == site_id)
        .order_by(SectionCrawl.id)
    ):
        last_run[row.section_id] = (row.run_id, row.outcome)
    out: dict[tuple[str, str], ListValidators] = {}
    for section_id, (run_id, outcome) in last_run.items():
        if outcome not in READABLE:
            continue
        snap = session.execute(
            select(ListSnapshot.url, ListSnapshot.etag, ListSnapshot.last_modified, ListSnapshot.content_sha256)
            .where(
                ListSnapshot.site_id == site_id,
                ListSnapshot.section_id == section_id,
                ListSnapshot.run_id == run_id,
                ListSnapshot.page_no == 0,
            )
            .order_by(ListSnapshot.id.desc())
            .limit(1)
        ).first()
        if snap and (snap.etag or snap.last_modified):
            out[(section_id, snap.url)] = ListValidators(snap.etag, snap.last_modified, snap.content_sha256)
    return out
