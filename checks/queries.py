"""The database reads of the checks package: stored rows → plain views as of a cutoff.

``cutoff`` is the end of the as_of day (local) as naive UTC: only rows captured before it
are visible, so a check for a past date sees what the monitor had seen by then.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from checks.model import (
    AttachmentView,
    CrawlView,
    ItemView,
    LinkRefView,
    LinkView,
    PageView,
    ProbeView,
    SectionData,
    SiteData,
    evidence,
)
from store.models import (
    Attachment,
    AvailabilityProbe,
    Item,
    Link,
    LinkRef,
    ListSnapshot,
    Page,
    SectionCrawl,
)

if TYPE_CHECKING:
    from zwgk.config import SectionConfig, SiteConfig


def day_end_utc(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    """The first instant after ``day`` in ``tz``, as naive UTC."""
    start = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return start.astimezone(dt.UTC).replace(tzinfo=None)


def latest_section_crawl(session: Session, site_id: str, section_id: str, cutoff: dt.datetime) -> CrawlView | None:
    stmt = (
        select(SectionCrawl)
        .where(SectionCrawl.site_id == site_id, SectionCrawl.section_id == section_id,
               SectionCrawl.captured_at < cutoff)
        .order_by(SectionCrawl.captured_at.desc(), SectionCrawl.id.desc())
        .limit(1)
    )
    row = session.scalar(stmt)
    return CrawlView(row.outcome, row.reason, row.captured_at) if row else None


def list_evidence(session: Session, site_id: str, section_id: str, cutoff: dt.datetime) -> list[dict]:
    """The first list page of the newest crawl captured before the cutoff (with its WARC pointer)."""
    base = select(ListSnapshot).where(ListSnapshot.site_id == site_id, ListSnapshot.section_id == section_id,
                                      ListSnapshot.captured_at < cutoff)
    newest = session.scalar(base.order_by(ListSnapshot.captured_at.desc(), ListSnapshot.id.desc()).limit(1))
    if newest is None:
        return []
    row = session.scalar(base.where(ListSnapshot.run_id == newest.run_id)
                         .order_by(ListSnapshot.page_no, ListSnapshot.id).limit(1)) or newest
    return [evidence(row.url, row.captured_at, row)]


def _page_links(session: Session, urls: list[str]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    if not urls:
        return out
    for chunk_start in range(0, len(urls), 500):
        chunk = urls[chunk_start:chunk_start + 500]
        stmt = select(LinkRef.source_url, Link.url).join(Link, Link.id == LinkRef.link_id).where(
            LinkRef.source_url.in_(chunk))
        for source, target in session.execute(stmt):
            out[source].add(target)
    return out


def section_items(session: Session, site_id: str, section_id: str, cutoff: dt.datetime) -> list[ItemView]:
    """Items first seen before the cutoff and not gone by then, with their pages as then stored."""
    stmt = (
        select(Item, Page)
        .outerjoin(Page, Page.id == Item.page_id)
        .where(Item.site_id == site_id, Item.section_id == section_id, Item.first_seen < cutoff)
        .where((Item.gone_at.is_(None)) | (Item.gone_at >= cutoff))
        .order_by(Item.published, Item.id)
    )
    rows = list(session.execute(stmt))
    pages = [p for _, p in rows if p is not None and p.fetched_at < cutoff]
    attachments: dict[int, list[AttachmentView]] = defaultdict(list)
    if pages:
        astmt = select(Attachment).where(Attachment.page_id.in_([p.id for p in pages]))
        for a in session.scalars(astmt):
            if a.fetched_at is not None and a.fetched_at >= cutoff:
                continue
            attachments[a.page_id].append(AttachmentView(
                a.url, a.name, a.ext, a.outcome, a.reason, a.text, a.fetched_at,
                evidence(a.url, a.fetched_at, a)))
    links = _page_links(session, [p.url for p in pages])
    out = []
    for item, page in rows:
        view = None
        if page is not None and page.fetched_at < cutoff:
            view = PageView(
                url=page.url, fetched_at=page.fetched_at, outcome=page.outcome, reason=page.reason,
                title=page.title, text=page.text, meta=page.meta or {}, xxgk=page.xxgk or {},
                pubdate=page.pubdate, written_date=page.written_date, doc_number=page.doc_number,
                validity=page.validity, evidence=evidence(page.url, page.fetched_at, page),
                attachments=tuple(attachments.get(page.id, ())), links=frozenset(links.get(page.url, ())),
            )
        out.append(ItemView(item.url, item.title, item.published, item.date_source, item.written_date,
                            item.first_seen, view))
    return out


def site_links(session: Session, site_id: str, cutoff: dt.datetime,
               section_ids: set[str] | None = None) -> list[LinkView]:
    """Links found on the site's pages before the cutoff, with their verdicts.

    The verdict is the link checker's current one (``Link.verdict``); the history in
    ``link_checks`` is not replayed, so a past as_of sees today's verdicts of the links it knew.
    """
    stmt = (
        select(Link, LinkRef)
        .join(LinkRef, LinkRef.link_id == Link.id)
        .where(LinkRef.site_id == site_id, LinkRef.first_seen < cutoff)
        .order_by(Link.id)
    )
    grouped: dict[int, tuple[Link, list[LinkRefView]]] = {}
    for link, ref in session.execute(stmt):
        if section_ids is not None and ref.section_id not in section_ids:
            continue
        grouped.setdefault(link.id, (link, []))[1].append(
            LinkRefView(ref.source_url, ref.section_id, bool(ref.on_home_page), ref.kind))
    out = []
    for link, refs in grouped.values():
        out.append(LinkView(link.url, link.verdict or "unknown", link.reason, link.http_status, link.last_checked,
                            tuple(refs)))
    return out


def site_probes(session: Session, site_id: str, start: dt.datetime, cutoff: dt.datetime) -> list[ProbeView]:
    stmt = (
        select(AvailabilityProbe)
        .where(AvailabilityProbe.site_id == site_id, AvailabilityProbe.probed_at >= start,
               AvailabilityProbe.probed_at < cutoff)
        .order_by(AvailabilityProbe.probed_at)
    )
    return [ProbeView(p.url, p.probed_at, bool(p.ok), p.http_status, p.reason, p.ipv6) for p in session.scalars(stmt)]


def load_section(session: Session, site: SiteConfig, section: SectionConfig, cutoff: dt.datetime) -> SectionData:
    return SectionData(
        site=site,
        config=section,
        crawl=latest_section_crawl(session, site.id, section.id, cutoff),
        items=section_items(session, site.id, section.id, cutoff),
        list_evidence=list_evidence(session, site.id, section.id, cutoff),
    )


def load_site(session: Session, site: SiteConfig, cutoff: dt.datetime, *, probe_days: int = 30) -> SiteData:
    data = SiteData(config=site)
    data.sections = [load_section(session, site, sec, cutoff) for sec in site.sections]
    data.links = site_links(session, site.id, cutoff)
    data.probes = site_probes(session, site.id, cutoff - dt.timedelta(days=probe_days), cutoff)
    return data


def stored_findings(session: Session, *, status: str = "open", department: str | None = None,
                    site: str | None = None, rule: str | None = None) -> list:
    """Findings from the lifecycle table. ``open``: fail/warn/unknown not resolved; ``resolved``; ``all``."""
    from store.models import Finding

    stmt = select(Finding)
    if status == "open":
        stmt = stmt.where(Finding.resolved_at.is_(None), Finding.status.in_(("fail", "warn", "unknown")))
    elif status == "resolved":
        stmt = stmt.where(Finding.resolved_at.is_not(None))
    if department:
        stmt = stmt.where(Finding.department_id == department)
    if site:
        stmt = stmt.where(Finding.site_id == site)
    if rule:
        stmt = stmt.where(Finding.rule == rule)
    return list(session.scalars(stmt.order_by(Finding.department_id, Finding.rule, Finding.site_id,
                                              Finding.section_id, Finding.period, Finding.id)))
