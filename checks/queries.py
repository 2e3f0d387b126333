"""The database reads of the checks package: stored rows → plain views as of a cutoff.

``cutoff`` is the end of the as_of day (local) as naive UTC: only rows captured before it
are visible, so a check for a past date sees what the monitor had seen by then.

Orderings on nullable columns say where NULL goes (SQLite puts it first in ascending order,
PostgreSQL last), so that both engines return rows in the same order and pick the same row.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import fields
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, select
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
from checks.rows import _identity, raw, tuples
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

CHUNK = 500  # values per IN (...) list


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
    for chunk_start in range(0, len(urls), CHUNK):
        chunk = urls[chunk_start:chunk_start + CHUNK]
        for source, target in tuples(session.connection(), _PAGE_LINKS, {"urls": chunk}):
            out[source].add(target)
    return out


_PAGE_LINKS = (select(LinkRef.source_url, Link.url).join(Link, Link.id == LinkRef.link_id)
               .where(LinkRef.source_url.in_(bindparam("urls", expanding=True))))


def section_items(session: Session, site_id: str, section_id: str, cutoff: dt.datetime) -> list[ItemView]:
    """Items first seen before the cutoff and not gone by then, with their pages as then stored."""
    stmt = (
        select(Item, Page)
        .outerjoin(Page, Page.id == Item.page_id)
        .where(Item.site_id == site_id, Item.section_id == section_id, Item.first_seen < cutoff)
        .where((Item.gone_at.is_(None)) | (Item.gone_at >= cutoff))
        .order_by(Item.published.nulls_first(), Item.id)  # undated first on every engine (SQLite's default)
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
    # NULL first on every engine (SQLite's default; PostgreSQL sorts NULL last in ascending order)
    return list(session.scalars(stmt.order_by(Finding.department_id.nulls_first(), Finding.rule,
                                              Finding.site_id.nulls_first(), Finding.section_id.nulls_first(),
                                              Finding.period.nulls_first(), Finding.id)))


# --------------------------------------------------------------------------- set-based loading (the engine's path)


def _latest_per_section(session: Session, model, cols: list, site_ids: list[str], cutoff: dt.datetime) -> dict:  # type: ignore[no-untyped-def]
    """The newest row (captured_at, then id) per (site, section) before the cutoff, one query."""
    rank = func.row_number().over(partition_by=(model.site_id, model.section_id),
                                  order_by=(model.captured_at.desc(), model.id.desc())).label("rn")
    inner = (select(model.site_id, model.section_id, *cols, rank)
             .where(model.site_id.in_(site_ids), model.captured_at < cutoff).subquery())
    stmt = select(inner).where(inner.c.rn == 1)
    return {(row[0], row[1]): row[2:] for row in tuples(session.connection(), stmt)}


def _crawls(session: Session, site_ids: list[str], cutoff: dt.datetime) -> dict[tuple[str, str], CrawlView]:
    m = SectionCrawl
    rows = _latest_per_section(session, m, [m.outcome, m.reason, m.captured_at], site_ids, cutoff)
    return {k: CrawlView(outcome, reason, captured_at) for k, (outcome, reason, captured_at, _rn) in rows.items()}


_NO_RUN = object()


def _list_evidence_bulk(session: Session, site_ids: list[str], cutoff: dt.datetime) -> dict[tuple[str, str], list[dict]]:
    """Per section: the first list page of the newest crawl before the cutoff (as ``list_evidence``)."""
    m = ListSnapshot
    newest = _latest_per_section(session, m, [m.run_id], site_ids, cutoff)
    if not newest:
        return {}
    newest_run = {key: row[0] for key, row in newest.items()}
    runs = sorted(set(newest_run.values()))
    first: dict[tuple[str, str], tuple] = {}
    cols = (m.site_id, m.section_id, m.run_id, m.url, m.captured_at, m.warc_file, m.warc_offset, m.warc_length)
    for i in range(0, len(runs), CHUNK):
        stmt = (select(*cols).where(m.run_id.in_(runs[i:i + CHUNK]), m.site_id.in_(site_ids),
                                    m.captured_at < cutoff).order_by(m.page_no.desc(), m.id.desc()))
        for site_id, section_id, run_id, *rest in tuples(session.connection(), stmt):
            key = (site_id, section_id)
            if newest_run.get(key, _NO_RUN) == run_id:
                first[key] = rest  # ordered so that the last one kept is the lowest (page_no, id)
    return {k: [_evidence(*r)] for k, r in first.items()}


def _evidence(url: str, at: dt.datetime | None, warc_file: str | None, warc_offset: int | None,
              warc_length: int | None) -> dict[str, Any]:
    """``checks.model.evidence`` from plain values (rows are unpacked: attribute access on a Row is slow)."""
    return {"url": url, "captured_at": at.isoformat(timespec="seconds") if at else None, "warc_file": warc_file,
            "warc_offset": warc_offset, "warc_length": warc_length}


_ATTACHMENTS = (select(Attachment.page_id, Attachment.url, Attachment.name, Attachment.ext, Attachment.outcome,
                       Attachment.reason, Attachment.text, Attachment.fetched_at, Attachment.warc_file,
                       Attachment.warc_offset, Attachment.warc_length)
                .where(Attachment.page_id.in_(bindparam("pages", expanding=True))).order_by(Attachment.id))


def _attachments_bulk(session: Session, page_ids: list[int], cutoff: dt.datetime) -> dict[int, list[AttachmentView]]:
    out: dict[int, list[AttachmentView]] = defaultdict(list)
    for i in range(0, len(page_ids), CHUNK):
        for page_id, url, name, ext, outcome, reason, text, fetched_at, wf, wo, wl in \
                tuples(session.connection(), _ATTACHMENTS, {"pages": page_ids[i:i + CHUNK]}):
            if fetched_at is not None and fetched_at >= cutoff:
                continue
            out[page_id].append(AttachmentView(url, name, ext, outcome, reason, text, fetched_at,
                                               _evidence(url, fetched_at, wf, wo, wl)))
    return out


_PAGES = (select(Page.id, Page.url, Page.fetched_at, Page.outcome, Page.reason, Page.title, Page.text, Page.meta,
                Page.xxgk, Page.pubdate, Page.written_date, Page.doc_number, Page.validity, Page.warc_file,
                Page.warc_offset, Page.warc_length)
          .where(Page.id.in_(bindparam("ids", expanding=True)), Page.fetched_at < bindparam("cutoff")))


def _items_bulk(session: Session, site_ids: list[str], cutoff: dt.datetime) -> dict[tuple[str, str], list[ItemView]]:
    """Items per (site, section) as ``section_items`` reads them, for many sites in one query.

    The pages come in a second query (only the items that have one, about one in ten): the items
    query then carries 9 columns instead of the 24 of an outer join with ``pages``.
    """
    i = Item
    visible = (i.site_id.in_(site_ids), i.first_seen < cutoff, (i.gone_at.is_(None)) | (i.gone_at >= cutoff))
    connection = session.connection()
    items = raw(connection,
        select(i.site_id, i.section_id, i.url, i.title, i.published, i.date_source, i.written_date, i.first_seen,
               i.page_id)
        .where(*visible)
        .order_by(i.site_id, i.section_id, i.published.nulls_first(), i.id)
    )
    # a page is visible when it was fetched before the cutoff; looked up by the ids the item rows name
    # (a subquery here read the batch's item rows a second time)
    page_ids = sorted({r[8] for r in items[0]} - {None})
    pages: list[tuple[Any, ...]] = []
    for n in range(0, len(page_ids), CHUNK):
        pages += tuples(connection, _PAGES, {"ids": page_ids[n:n + CHUNK], "cutoff": cutoff})
    attachments = _attachments_bulk(session, sorted(r[0] for r in pages), cutoff) if pages else {}
    links = _page_links(session, [r[1] for r in pages])
    views: dict[int, PageView] = {}
    for (pid, purl, fetched_at, outcome, reason, ptitle, text, meta, xxgk, pubdate, pwritten, doc_number, validity,
         wf, wo, wl) in pages:
        views[pid] = PageView(
            url=purl, fetched_at=fetched_at, outcome=outcome, reason=reason, title=ptitle, text=text,
            meta=meta or {}, xxgk=xxgk or {}, pubdate=pubdate, written_date=pwritten,
            doc_number=doc_number, validity=validity, evidence=_evidence(purl, fetched_at, wf, wo, wl),
            attachments=tuple(attachments.get(pid, ())), links=frozenset(links.get(purl, ())),
        )
    return _group_items(items, views)


_new = object.__new__


def _group_items(items: tuple[list[Any], list[Any]], views: dict[int, PageView]) -> dict[tuple[str, str], list[ItemView]]:
    """Item views per (site, section) from the driver's rows of the items query (``rows.raw``).

    A million rows per run: each view is built without the frozen dataclass's ``__init__`` (its fields
    stored straight into the instance dict, the same object ``ItemView(...)`` makes), the three date
    columns converted through their memoised processors here, and a new list started only when the
    (site, section) changes (the query orders by them; ``setdefault`` keeps it right if it did not).
    """
    rows, procs = items
    if any(procs[n] is not _identity for n in (0, 1, 2, 3, 5, 8)):  # not on SQLite or PostgreSQL: convert first
        rows = [tuple(proc(v) if n not in (4, 6, 7) else v for n, (proc, v) in enumerate(zip(procs, row, strict=True)))
                for row in rows]
    published_, written_, seen_ = procs[4], procs[6], procs[7]
    out: dict[tuple[str, str], list[ItemView]] = {}
    view = views.get
    new, cls = _new, ItemView
    site = section = None
    bucket: list[ItemView] = []
    for site_id, section_id, url, title, published, date_source, written, first_seen, pid in rows:
        if section_id != section or site_id != site:
            site, section = site_id, section_id
            bucket = out.setdefault((site_id, section_id), [])
        item = new(cls)
        d = item.__dict__
        d["url"] = url
        d["title"] = title
        d["published"] = published_(published)
        d["date_source"] = date_source
        d["written_date"] = written_(written)
        d["first_seen"] = seen_(first_seen)
        d["page"] = view(pid) if pid is not None else None
        bucket.append(item)
    return out


def _site_links_bulk(session: Session, site_ids: list[str], cutoff: dt.datetime) -> dict[str, list[LinkView]]:
    """``site_links`` for many sites: links grouped per site in Link.id order, refs in row order.

    Views built without the frozen dataclasses' ``__init__`` (see ``_group_items``)."""
    stmt = (
        select(LinkRef.site_id, Link.id, Link.url, Link.verdict, Link.reason, Link.http_status, Link.last_checked,
               LinkRef.source_url, LinkRef.section_id, LinkRef.on_home_page, LinkRef.kind)
        .join(LinkRef, LinkRef.link_id == Link.id)
        .where(LinkRef.site_id.in_(site_ids), LinkRef.first_seen < cutoff)
        .order_by(Link.id)
    )
    grouped: dict[str, dict[int, tuple[tuple, list[LinkRefView]]]] = defaultdict(dict)
    new, cls = _new, LinkRefView
    for site_id, link_id, url, verdict, reason, status, checked, source, section_id, home, kind in \
            tuples(session.connection(), stmt):
        links = grouped[site_id]
        entry = links.get(link_id)
        if entry is None:
            entry = links[link_id] = ((url, verdict or "unknown", reason, status, checked), [])
        ref = new(cls)
        d = ref.__dict__
        d["source_url"] = source
        d["section_id"] = section_id
        d["on_home_page"] = bool(home)
        d["kind"] = kind
        entry[1].append(ref)
    out: dict[str, list[LinkView]] = {}
    for site, links in grouped.items():
        views = out[site] = []
        for (url, verdict, reason, status, checked), refs in links.values():
            link = new(LinkView)
            d = link.__dict__
            d["url"] = url
            d["verdict"] = verdict
            d["reason"] = reason
            d["http_status"] = status
            d["last_checked"] = checked
            d["refs"] = tuple(refs)
            views.append(link)
    return out


def _probes_bulk(session: Session, site_ids: list[str], start: dt.datetime, cutoff: dt.datetime) -> dict[str, list[ProbeView]]:
    a = AvailabilityProbe
    stmt = (select(a.site_id, a.url, a.probed_at, a.ok, a.http_status, a.reason, a.ipv6)
            .where(a.site_id.in_(site_ids), a.probed_at >= start, a.probed_at < cutoff)
            .order_by(a.site_id, a.probed_at))
    out: dict[str, list[ProbeView]] = {}
    new, cls = _new, ProbeView
    site, bucket = None, []
    for site_id, url, probed_at, ok, status, reason, ipv6 in tuples(session.connection(), stmt):
        if site_id != site:
            site = site_id
            bucket = out.setdefault(site_id, [])
        probe = new(cls)  # ProbeView(...) without its __init__ (see _group_items)
        d = probe.__dict__
        d["url"] = url
        d["probed_at"] = probed_at
        d["ok"] = bool(ok)
        d["http_status"] = status
        d["reason"] = reason
        d["ipv6"] = ipv6
        bucket.append(probe)
    return out


# Views built field by field must set every field, in this order.
_VIEW_FIELDS = {ItemView: ("url", "title", "published", "date_source", "written_date", "first_seen", "page"),
                LinkRefView: ("source_url", "section_id", "on_home_page", "kind"),
                LinkView: ("url", "verdict", "reason", "http_status", "last_checked", "refs"),
                ProbeView: ("url", "probed_at", "ok", "http_status", "reason", "ipv6")}
for _cls, _names in _VIEW_FIELDS.items():
    if tuple(f.name for f in fields(_cls)) != _names:
        raise RuntimeError(f"checks.model.{_cls.__name__} changed: update the loops in checks.queries that build it")


def load_sites(session: Session, sites: list[SiteConfig], cutoff: dt.datetime, *, probe_days: int = 30) -> list[SiteData]:
    """``load_site`` for a batch of sites with one query per table (Core rows, no ORM objects)."""
    ids = [s.id for s in sites]
    if not ids:
        return []
    crawls = _crawls(session, ids, cutoff)
    evidence_ = _list_evidence_bulk(session, ids, cutoff)
    items = _items_bulk(session, ids, cutoff)
    links = _site_links_bulk(session, ids, cutoff)
    probes = _probes_bulk(session, ids, cutoff - dt.timedelta(days=probe_days), cutoff)
    out = []
    for site in sites:
        data = SiteData(config=site)
        data.sections = [SectionData(site=site, config=sec, crawl=crawls.get((site.id, sec.id)),
                                     items=items.get((site.id, sec.id), []),
                                     list_evidence=evidence_.get((site.id, sec.id), []))
                         for sec in site.sections]
        data.links = links.get(site.id, [])
        data.probes = probes.get(site.id, [])
        out.append(data)
    return out
