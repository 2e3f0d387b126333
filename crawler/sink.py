"""Batched writes of one crawl run into the store (one transaction per batch, not per item).

The spider hands over plain dicts keyed by URL; ids (snapshot, page, link) are resolved
at flush time, so an article can arrive in a later batch than the list that named it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from store.db import Database
from store.models import Attachment, Item, Link, LinkRef, ListSnapshot, Page, SectionCrawl, utcnow

# Lower is better: meta > page/xxgk > list > url > none.
DATE_RANK = {"meta": 0, "page": 1, "xxgk": 1, "list": 2, "url": 3, "none": 4}
CHUNK = 400
FLUSH_ATTEMPTS = 4  # a batch that lost a race on a unique key to another writer is written again
# Column limits that PostgreSQL enforces (SQLite does not): a longer value would fail the whole batch.
URL_MAX = Link.__table__.c.url.type.length
VALIDATOR_MAX = {"etag": Page.__table__.c.etag.type.length,
                 "last_modified": Page.__table__.c.last_modified.type.length}


def _fit_validators(columns: dict[str, Any]) -> dict[str, Any]:
    """Drop an over-long ETag/Last-Modified (untrusted headers): a cut one would be wrong, so go without."""
    for name, limit in VALIDATOR_MAX.items():
        value = columns.get(name)
        if isinstance(value, str) and len(value) > limit:
            columns[name] = None
    return columns


def _chunks(values: Iterable[Any], size: int = CHUNK) -> Iterable[list[Any]]:
    it = iter(values)
    while batch := list(itertools.islice(it, size)):
        yield batch


@dataclass
class ListedRow:
    section_id: str
    url: str
    title: str
    list_date: dt.date | None
    date_source: str  # list | url | none
    snapshot_key: int
    seen_at: dt.datetime


@dataclass
class Sink:
    """Buffers rows of one run and writes them in batches."""

    db: Database
    run_id: int
    site_id: str
    batch_size: int = 300
    _snapshots: dict[int, dict[str, Any]] = field(default_factory=dict)
    _snapshot_ids: dict[int, int] = field(default_factory=dict)
    _items: dict[tuple[str, str], ListedRow] = field(default_factory=dict)
    _pages: dict[str, dict[str, Any]] = field(default_factory=dict)
    _attachments: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    _links: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    _links_read: dict[str, dt.datetime] = field(default_factory=dict)
    _keys: itertools.count = field(default_factory=itertools.count)
    stats: dict[str, int] = field(default_factory=dict)

    # ------------------------------------------------------------------ buffering

    def add_snapshot(self, **columns: Any) -> int:
        """Queue a ListSnapshot; returns a key items can refer to."""
        key = next(self._keys)
        self._snapshots[key] = _fit_validators(columns)
        self._maybe_flush()
        return key

    def add_item(self, row: ListedRow) -> None:
        self._items[(row.section_id, row.url)] = row
        self._maybe_flush()

    def add_page(self, url: str, **columns: Any) -> None:
        """Queue a Page upsert. ``unchanged=True`` only links items to the stored page."""
        self._pages[url] = _fit_validators(columns)
        self._maybe_flush()

    def add_attachment(self, page_url: str, url: str, **columns: Any) -> None:
        self._attachments[(page_url, url)] = columns
        self._maybe_flush()

    def add_link(self, source_url: str, url: str, *, kind: str, text: str | None, section_id: str | None,
                 on_home_page: bool) -> None:
        if len(url) > URL_MAX or len(source_url) > URL_MAX:  # e.g. share links carrying a whole title
            self._bump("links_too_long")
            return
        key = (source_url, url)
        if key not in self._links:
            self._links[key] = {"kind": kind, "text": text, "section_id": section_id, "on_home": on_home_page}
            self._maybe_flush()

    def links_read(self, source_url: str, since: dt.datetime) -> None:
        """All links of ``source_url`` were handed over, read afresh from its content at ``since``.

        Links the page carried on an earlier read but no longer does (a department removed or fixed a
        broken link) lose their reference at the next flush, so a fixed page stops counting against
        its section. Pages not read again (304, fetch errors) keep their references.
        """
        if len(source_url) > URL_MAX:
            return
        self._links_read[source_url] = min(since, self._links_read.get(source_url, since))
        self._maybe_flush()

    def _pending(self) -> int:
        return (len(self._snapshots) + len(self._items) + len(self._pages) + len(self._attachments)
                + len(self._links) + len(self._links_read))

    def _maybe_flush(self) -> None:
        if self._pending() >= self.batch_size:
            self.flush()

    # ------------------------------------------------------------------ writing

    def flush(self) -> None:
        """Write the buffered rows in one transaction. Another writer (a crawl worker, a parallel site)
        may insert one of the batch's pages, items or links between our read and our insert: the
        transaction then fails on a unique key, the rows stay buffered and the batch is written again
        (it now finds those rows and updates them)."""
        if not self._pending():
            return
        for attempt in range(1, FLUSH_ATTEMPTS + 1):
            saved = self._buffers()
            try:
                with self.db.session() as s:
                    self._write_snapshots(s)
                    self._write_items(s)
                    self._write_pages(s)
                    self._write_attachments(s)
                    self._write_links(s)
                    self._drop_stale_refs(s)
            except (IntegrityError, OperationalError):
                self._restore(saved)
                if attempt == FLUSH_ATTEMPTS:
                    raise
                self._bump("flush_retries")
                time.sleep(0.05 * attempt)
            else:
                break
        self._bump("flushes")

    def _buffers(self) -> tuple[dict[Any, Any], ...]:
        return (dict(self._snapshots), dict(self._snapshot_ids), dict(self._items), dict(self._pages),
                dict(self._attachments), dict(self._links), dict(self._links_read), dict(self.stats))

    def _restore(self, saved: tuple[dict[Any, Any], ...]) -> None:
        (self._snapshots, self._snapshot_ids, self._items, self._pages, self._attachments, self._links,
         self._links_read, self.stats) = saved

    def _bump(self, key: str, n: int = 1) -> None:
        self.stats[key] = self.stats.get(key, 0) + n

    def _write_snapshots(self, s: Session) -> None:
        for key, columns in self._snapshots.items():
            row = ListSnapshot(run_id=self.run_id, site_id=self.site_id, **columns)
            s.add(row)
            s.flush()
            self._snapshot_ids[key] = row.id
        self._snapshots.clear()

    def _write_items(self, s: Session) -> None:
        rows = self._items
        self._items = {}
        if not rows:
            return
        existing: dict[tuple[str, str], Item] = {}
        for batch in _chunks({url for _, url in rows}):
            for item in s.scalars(select(Item).where(Item.site_id == self.site_id, Item.url.in_(batch))):
                existing[(item.section_id, item.url)] = item
        pages = self._pages_by_url(s, {url for _, url in rows})
        for key, row in rows.items():
            snap_id = self._snapshot_ids.get(row.snapshot_key)
            item = existing.get(key)
            if item is None:
                item = Item(
                    site_id=self.site_id,
                    section_id=row.section_id,
                    url=row.url,
                    title=row.title,
                    first_seen=row.seen_at,
                    first_snapshot_id=snap_id,
                    date_source="none",
                )
                s.add(item)
                self._bump("items_new")
            item.title = row.title or item.title
            item.last_seen = row.seen_at
            item.last_snapshot_id = snap_id
            item.gone_at = None
            item.list_date = row.list_date if row.date_source == "list" else item.list_date
            if row.list_date and DATE_RANK.get(row.date_source, 4) <= DATE_RANK.get(item.date_source, 4):
                item.published = row.list_date
                item.date_source = row.date_source
            page = pages.get(row.url)
            if page is not None:
                _refine_from_page(item, page)

    def _pages_by_url(self, s: Session, urls: set[str]) -> dict[str, Page]:
        out: dict[str, Page] = {}
        for batch in _chunks(urls):
            for page in s.scalars(select(Page).where(Page.url.in_(batch))):
                out[page.url] = page
        return out

    def _write_pages(self, s: Session) -> None:
        rows = self._pages
        self._pages = {}
        if not rows:
            return
        pages = self._pages_by_url(s, set(rows))
        for url, columns in rows.items():
            columns = dict(columns)
            unchanged = columns.pop("unchanged", False)
            keep_if_ok = columns.pop("keep_if_ok", False)
            page = pages.get(url)
            if page is None:
                if unchanged:
                    continue
                page = Page(url=url, site_id=self.site_id)
                s.add(page)
                pages[url] = page
                self._bump("pages_new")
            elif keep_if_ok and page.outcome == "ok":
                continue  # a transient failure does not erase what was read before
            if not unchanged:
                for name, value in columns.items():
                    setattr(page, name, value)
        s.flush()
        # Link items of this site to their page and refine their dates.
        for batch in _chunks(list(rows)):
            for item in s.scalars(select(Item).where(Item.site_id == self.site_id, Item.url.in_(batch))):
                page = pages.get(item.url)
                if page is not None:
                    _refine_from_page(item, page)

    def _write_attachments(self, s: Session) -> None:
        rows = self._attachments
        self._attachments = {}
        if not rows:
            return
        pages = self._pages_by_url(s, {p for p, _ in rows})
        for (page_url, url), columns in rows.items():
            page = pages.get(page_url)
            if page is None:
                continue
            att = s.scalar(select(Attachment).where(Attachment.page_id == page.id, Attachment.url == url))
            if att is None:
                att = Attachment(page_id=page.id, url=url)
                s.add(att)
            elif columns.get("outcome") != "ok" and att.outcome == "ok" and columns.get("keep_if_ok"):
                continue
            columns = {k: v for k, v in columns.items() if k != "keep_if_ok"}
            for name, value in columns.items():
                setattr(att, name, value)

    def _write_links(self, s: Session) -> None:
        rows = self._links
        self._links = {}
        if not rows:
            return
        now = utcnow()
        urls = {url for _, url in rows}
        links: dict[str, Link] = {}
        for batch in _chunks(urls):
            for link in s.scalars(select(Link).where(Link.url.in_(batch))):
                links[link.url] = link
        for url in urls - set(links):
            link = Link(url=url, host=(urlsplit(url).hostname or "").lower(), first_seen=now)
            s.add(link)
            links[url] = link
        s.flush()
        # Only the refs of this batch's source pages: by link id it loaded every page's ref to a shared link
        # (a section's list URL is linked from each of its articles).
        refs: dict[tuple[int, str], LinkRef] = {}
        for batch in _chunks({source for source, _ in rows}):
            for ref in s.scalars(select(LinkRef).where(LinkRef.source_url.in_(batch))):
                refs[(ref.link_id, ref.source_url)] = ref
        for (source, url), info in rows.items():
            link = links[url]
            ref = refs.get((link.id, source))
            if ref is None:
                ref = LinkRef(
                    link_id=link.id,
                    source_url=source,
                    site_id=self.site_id,
                    first_seen=now,
                )
                s.add(ref)
                refs[(link.id, source)] = ref
                self._bump("link_refs_new")
            ref.section_id = info["section_id"]
            ref.on_home_page = bool(info["on_home"]) or bool(ref.on_home_page)
            ref.kind = info["kind"]
            ref.anchor_text = (info["text"] or None) and info["text"][:500]
            ref.last_seen = now

    def _drop_stale_refs(self, s: Session) -> None:
        """References not seen on the latest read of their page (see ``links_read``)."""
        done = self._links_read
        self._links_read = {}
        if not done:
            return
        s.flush()  # this batch's refs carry their new last_seen before the comparison
        dropped = 0
        for source, since in done.items():
            result = s.execute(
                delete(LinkRef)
                .where(LinkRef.source_url == source, LinkRef.site_id == self.site_id, LinkRef.last_seen < since)
                .execution_options(synchronize_session=False)
            )
            dropped += result.rowcount or 0
        if dropped:
            self._bump("link_refs_dropped", dropped)

    # ------------------------------------------------------------------ end of run

    def touch_section(self, section_id: str, at: dt.datetime) -> int:
        """An unchanged list (304): its current items count as seen now."""
        self.flush()
        with self.db.session() as s:
            result = s.execute(
                update(Item)
                .where(Item.site_id == self.site_id, Item.section_id == section_id, Item.gone_at.is_(None))
                .values(last_seen=at)
            )
            return result.rowcount or 0

    def mark_gone(self, section_id: str, seen_urls: set[str], at: dt.datetime) -> int:
        """A fully read list no longer shows these items: set gone_at."""
        self.flush()
        gone = 0
        with self.db.session() as s:
            for item in s.scalars(
                select(Item).where(
                    Item.site_id == self.site_id, Item.section_id == section_id, Item.gone_at.is_(None)
                )
            ):
                if item.url not in seen_urls:
                    item.gone_at = at
                    gone += 1
        return gone

    def count_current(self, section_id: str) -> int:
        with self.db.session() as s:
            return len(
                s.scalars(
                    select(Item.id).where(
                        Item.site_id == self.site_id, Item.section_id == section_id, Item.gone_at.is_(None)
                    )
                ).all()
            )

    def write_section_crawls(self, rows: list[dict[str, Any]]) -> None:
        self.flush()
        with self.db.session() as s:
            for columns in rows:
                s.add(SectionCrawl(run_id=self.run_id, site_id=self.site_id, **columns))


def _refine_from_page(item: Item, page: Page) -> None:
    """Attach the page and prefer its date (meta > page/xxgk > list > url); list_date is kept."""
    if page.id is not None:
        item.page_id = page.id
    if page.written_date:
        item.written_date = page.written_date
    source = page.pubdate_source or "none"
    if page.outcome != "ok" or page.pubdate is None or source not in DATE_RANK:
        return
    if DATE_RANK[source] <= DATE_RANK.get(item.date_source, 4):
        item.published = page.pubdate.date()
        item.published_at = page.pubdate
        item.date_source = source
