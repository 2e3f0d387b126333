"""Batched writes of one crawl run into the store (one transaction per batch, not per item).

The spider hands over plain dicts keyed by URL; ids (snapshot, page, link) are resolved
at flush time, so an article can arrive in a later batch than the list that named it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Table, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from store.db import Database
from store.models import Attachment, Item, Link, LinkRef, ListSnapshot, Page, SectionCrawl, utcnow

# Lower is better: meta > page/xxgk > list > url > none.
DATE_RANK = {"meta": 0, "page": 1, "xxgk": 1, "list": 2, "url": 3, "none": 4}
CHUNK = 400
FLUSH_ATTEMPTS = 4  # a batch that lost a race on a unique key to another writer is written again
# Core tables: the rows of a batch go in through executemany, not one ORM object (and event chain) each.
LINKS, LINK_REFS = Link.__table__, LinkRef.__table__
ATTACHMENTS, SNAPSHOTS = Attachment.__table__, ListSnapshot.__table__
ITEMS, PAGES = Item.__table__, Page.__table__
SECTION_CRAWLS = SectionCrawl.__table__
PAGE_STATE = (PAGES.c.id, PAGES.c.url, PAGES.c.written_date, PAGES.c.pubdate_source, PAGES.c.outcome, PAGES.c.pubdate)
ITEM_REFINE_NAMES = ("page_id", "written_date", "published", "published_at", "date_source")
ITEM_REFINE = (ITEMS.c.id, ITEMS.c.url, *(ITEMS.c[name] for name in ITEM_REFINE_NAMES))
ITEM_WRITE = ("title", "last_seen", "last_snapshot_id", "gone_at", "list_date", *ITEM_REFINE_NAMES)
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


def _insert_rows(s: Session, table: Table, rows: Iterable[dict[str, Any]]) -> None:
    """INSERT executemany; rows grouped by the columns they carry (one column set per statement)."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for values in rows:
        groups.setdefault(tuple(sorted(values)), []).append(values)
    for group in groups.values():
        s.execute(insert(table), group)


def _update_by_id(s: Session, table: Table, rows: Iterable[tuple[int, dict[str, Any]]]) -> None:
    """UPDATE … WHERE id = :id executemany of (row id, new values); grouped by the columns they set."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row_id, values in rows:
        groups.setdefault(tuple(sorted(values)), []).append(
            {"b_id": row_id, **{f"b_{name}": value for name, value in values.items()}})
    for names, group in groups.items():
        stmt = update(table).where(table.c.id == bindparam("b_id")).values(
            {name: bindparam(f"b_{name}") for name in names})
        s.execute(stmt, group)


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
    # Redis workers: a request redone after its worker died between writing its rows and committing its
    # claim must not store its list page twice; the first row (and its WARC record) is kept.
    reuse_snapshots: bool = False
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
        """INSERT … RETURNING id executemany (rows grouped by the columns they carry), ids in row order."""
        groups: dict[tuple[str, ...], list[tuple[Any, dict[str, Any]]]] = {}
        stored = self._stored_snapshots(s) if self.reuse_snapshots else {}
        for key, columns in self._snapshots.items():
            found = stored.get((columns.get("section_id"), columns.get("url"), columns.get("page_no", 0)))
            if found is not None:
                self._snapshot_ids[key] = found
                self._bump("snapshots_reused")
                continue
            groups.setdefault(tuple(sorted(columns)), []).append((key, columns))
        for group in groups.values():
            rows = [{"run_id": self.run_id, "site_id": self.site_id, **columns} for _, columns in group]
            ids = s.execute(insert(SNAPSHOTS).returning(SNAPSHOTS.c.id, sort_by_parameter_order=True), rows)
            for (key, _), snapshot_id in zip(group, ids.scalars(), strict=True):
                self._snapshot_ids[key] = snapshot_id
        self._snapshots.clear()

    def _stored_snapshots(self, s: Session) -> dict[tuple[Any, Any, Any], int]:
        """(section, url, page number) -> id of this run's list snapshots already stored for the queued URLs."""
        urls = list({columns.get("url") for columns in self._snapshots.values()})
        c = SNAPSHOTS.c
        found: dict[tuple[Any, Any, Any], int] = {}
        for start in range(0, len(urls), 500):
            rows = s.execute(select(c.section_id, c.url, c.page_no, c.id)
                             .where(c.run_id == self.run_id, c.url.in_(urls[start:start + 500]))
                             .order_by(c.id))
            for section_id, url, page_no, snapshot_id in rows:
                found.setdefault((section_id, url, page_no), snapshot_id)
        return found

    def _write_items(self, s: Session) -> None:
        rows = self._items
        self._items = {}
        if not rows:
            return
        existing: dict[tuple[str, str], dict[str, Any]] = {}
        for batch in _chunks({url for _, url in rows}):
            for item in s.execute(select(ITEMS).where(ITEMS.c.site_id == self.site_id, ITEMS.c.url.in_(batch))):
                existing[(item.section_id, item.url)] = dict(item._mapping)
        pages = self._page_states(s, {url for _, url in rows})
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for key, row in rows.items():
            snap_id = self._snapshot_ids.get(row.snapshot_key)
            item = existing.get(key)
            if item is None:
                item = {"site_id": self.site_id, "section_id": row.section_id, "url": row.url, "title": row.title,
                        "first_seen": row.seen_at, "first_snapshot_id": snap_id, "date_source": "none",
                        "list_date": None, "published": None, "published_at": None, "written_date": None,
                        "page_id": None}
                inserts.append(item)
                self._bump("items_new")
            else:
                updates.append(item)
            item["title"] = row.title or item["title"]
            item["last_seen"] = row.seen_at
            item["last_snapshot_id"] = snap_id
            item["gone_at"] = None
            item["list_date"] = row.list_date if row.date_source == "list" else item["list_date"]
            if row.list_date and DATE_RANK.get(row.date_source, 4) <= DATE_RANK.get(item["date_source"], 4):
                item["published"] = row.list_date
                item["date_source"] = row.date_source
            page = pages.get(row.url)
            if page is not None:
                item.update(_page_refinement(page, item["date_source"]))
        if inserts:
            s.execute(insert(ITEMS), inserts)
        if updates:
            self._update_items(s, updates, ITEM_WRITE)

    def _update_items(self, s: Session, rows: list[dict[str, Any]], names: tuple[str, ...]) -> None:
        _update_by_id(s, ITEMS, ((row["id"], {name: row[name] for name in names}) for row in rows))

    def _page_states(self, s: Session, urls: set[str]) -> dict[str, Any]:
        """What items take from their stored pages, by URL."""
        out: dict[str, Any] = {}
        for batch in _chunks(urls):
            for page in s.execute(select(*PAGE_STATE).where(PAGES.c.url.in_(batch))):
                out[page.url] = page
        return out

    def _write_pages(self, s: Session) -> None:
        rows = self._pages
        self._pages = {}
        if not rows:
            return
        existing: dict[str, tuple[int, str]] = {}  # url -> (page id, outcome)
        for batch in _chunks(set(rows)):
            for page_id, url, outcome in s.execute(
                    select(PAGES.c.id, PAGES.c.url, PAGES.c.outcome).where(PAGES.c.url.in_(batch))):
                existing[url] = (page_id, outcome)
        inserts: list[dict[str, Any]] = []
        updates: list[tuple[int, dict[str, Any]]] = []
        for url, columns in rows.items():
            values = dict(columns)
            unchanged = values.pop("unchanged", False)
            keep_if_ok = values.pop("keep_if_ok", False)
            found = existing.get(url)
            if found is None:
                if unchanged:
                    continue
                values.update(url=url, site_id=self.site_id)
                inserts.append(values)
                self._bump("pages_new")
            elif keep_if_ok and found[1] == "ok":
                continue  # a transient failure does not erase what was read before
            elif not unchanged and values:
                updates.append((found[0], values))
        _insert_rows(s, PAGES, inserts)
        _update_by_id(s, PAGES, updates)
        # Link items of this site to their page and refine their dates.
        pages = self._page_states(s, set(rows))
        changed: list[dict[str, Any]] = []
        for batch in _chunks(list(rows)):
            for row in s.execute(select(*ITEM_REFINE).where(ITEMS.c.site_id == self.site_id, ITEMS.c.url.in_(batch))):
                page = pages.get(row.url)
                if page is None:
                    continue
                item = dict(row._mapping)
                refined = _page_refinement(page, item["date_source"])
                if any(item[name] != value for name, value in refined.items()):
                    item.update(refined)
                    changed.append(item)
        if changed:
            self._update_items(s, changed, ITEM_REFINE_NAMES)

    def _write_attachments(self, s: Session) -> None:
        rows = self._attachments
        self._attachments = {}
        if not rows:
            return
        s.flush()  # the batch's pages have their ids
        page_ids = {url: page_id for url, page_id in self._page_ids(s, {p for p, _ in rows})}
        existing: dict[tuple[int, str], tuple[int, str]] = {}  # (page id, url) -> (attachment id, outcome)
        for batch in _chunks(set(page_ids.values())):
            query = select(ATTACHMENTS.c.id, ATTACHMENTS.c.page_id, ATTACHMENTS.c.url, ATTACHMENTS.c.outcome)
            for att_id, page_id, url, outcome in s.execute(query.where(ATTACHMENTS.c.page_id.in_(batch))):
                existing[(page_id, url)] = (att_id, outcome)
        inserts: list[dict[str, Any]] = []
        updates: list[tuple[int, dict[str, Any]]] = []
        for (page_url, url), columns in rows.items():
            page_id = page_ids.get(page_url)
            if page_id is None:
                continue
            found = existing.get((page_id, url))
            if found is not None and columns.get("outcome") != "ok" and found[1] == "ok" and columns.get("keep_if_ok"):
                continue
            values = {k: v for k, v in columns.items() if k != "keep_if_ok"}
            if found is None:
                values.update(page_id=page_id, url=url)
                inserts.append(values)
            else:
                updates.append((found[0], values))
        _insert_rows(s, ATTACHMENTS, inserts)
        _update_by_id(s, ATTACHMENTS, updates)

    def _page_ids(self, s: Session, urls: set[str]) -> list[tuple[str, int]]:
        out: list[tuple[str, int]] = []
        for batch in _chunks(urls):
            out += s.execute(select(Page.url, Page.id).where(Page.url.in_(batch))).tuples().all()
        return out

    def _write_links(self, s: Session) -> None:
        rows = self._links
        self._links = {}
        if not rows:
            return
        now = utcnow()
        urls = {url for _, url in rows}
        link_ids = self._link_ids(s, urls)
        new = [{"url": url, "host": (urlsplit(url).hostname or "").lower(), "first_seen": now}
               for url in urls - set(link_ids)]
        if new:
            s.execute(insert(LINKS), new)
            link_ids.update(self._link_ids(s, {row["url"] for row in new}))
        # Only the refs of this batch's source pages: by link id it loaded every page's ref to a shared link
        # (a section's list URL is linked from each of its articles).
        refs: dict[tuple[int, str], tuple[int, bool]] = {}  # (link id, source) -> (ref id, on home page)
        for batch in _chunks({source for source, _ in rows}):
            query = select(LINK_REFS.c.id, LINK_REFS.c.link_id, LINK_REFS.c.source_url, LINK_REFS.c.on_home_page)
            for ref_id, link_id, source, on_home in s.execute(query.where(LINK_REFS.c.source_url.in_(batch))):
                refs[(link_id, source)] = (ref_id, bool(on_home))
        inserts: list[dict[str, Any]] = []
        updates: list[tuple[int, dict[str, Any]]] = []
        for (source, url), info in rows.items():
            link_id = link_ids[url]
            text = (info["text"] or None) and info["text"][:500]
            found = refs.get((link_id, source))
            if found is None:
                inserts.append({"link_id": link_id, "source_url": source, "site_id": self.site_id,
                                "section_id": info["section_id"], "on_home_page": bool(info["on_home"]),
                                "kind": info["kind"], "anchor_text": text, "first_seen": now, "last_seen": now})
            else:
                updates.append((found[0], {"section_id": info["section_id"],
                                           "on_home_page": bool(info["on_home"]) or found[1], "kind": info["kind"],
                                           "anchor_text": text, "last_seen": now}))
        if inserts:
            s.execute(insert(LINK_REFS), inserts)
            self._bump("link_refs_new", len(inserts))
        _update_by_id(s, LINK_REFS, updates)

    def _link_ids(self, s: Session, urls: set[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for batch in _chunks(urls):
            out.update((url, link_id) for url, link_id in s.execute(
                select(LINKS.c.url, LINKS.c.id).where(LINKS.c.url.in_(batch))))
        return out

    def _drop_stale_refs(self, s: Session) -> None:
        """References not seen on the latest read of their page (see ``links_read``)."""
        done = self._links_read
        self._links_read = {}
        if not done:
            return
        s.flush()  # this batch's refs carry their new last_seen before the comparison
        # One read per chunk of pages and a delete by id, not one DELETE statement per page.
        stale: list[int] = []
        for batch in _chunks(done):
            query = select(LINK_REFS.c.id, LINK_REFS.c.source_url, LINK_REFS.c.last_seen).where(
                LINK_REFS.c.source_url.in_(batch), LINK_REFS.c.site_id == self.site_id)
            for ref_id, source, last_seen in s.execute(query):
                if last_seen is not None and last_seen < done[source]:
                    stale.append(ref_id)
        for batch in _chunks(stale):
            s.execute(delete(LINK_REFS).where(LINK_REFS.c.id.in_(batch)))
        if stale:
            self._bump("link_refs_dropped", len(stale))

    # ------------------------------------------------------------------ end of run

    def end_sections(
        self,
        at: dt.datetime,
        unchanged: Iterable[str],
        complete: dict[str, set[str]],
        rows_for: Callable[[dict[str, int], dict[str, int]], list[dict[str, Any]]],
    ) -> list[dict[str, Any]]:
        """The run's end in one transaction after the last flush: the current items of unchanged lists (304)
        count as seen now, items missing from a fully read list get ``gone_at``, and the section crawl rows
        that ``rows_for(current counts of the unchanged sections, gone counts)`` returns are written."""
        self.flush()
        unchanged = list(unchanged)
        with self.db.session() as s:
            counts: dict[str, int] = dict.fromkeys(unchanged, 0)
            if unchanged:
                where = (ITEMS.c.site_id == self.site_id, ITEMS.c.section_id.in_(unchanged), ITEMS.c.gone_at.is_(None))
                s.execute(update(ITEMS).where(*where).values(last_seen=at))
                for section_id, n in s.execute(select(ITEMS.c.section_id, func.count()).where(*where)
                                               .group_by(ITEMS.c.section_id)):
                    counts[section_id] = n
            gone: dict[str, int] = {}
            if complete:
                query = select(ITEMS.c.id, ITEMS.c.section_id, ITEMS.c.url).where(
                    ITEMS.c.site_id == self.site_id, ITEMS.c.section_id.in_(list(complete)),
                    ITEMS.c.gone_at.is_(None))
                gone_ids = []
                for item_id, section_id, url in s.execute(query):
                    if url not in complete[section_id]:
                        gone_ids.append(item_id)
                        gone[section_id] = gone.get(section_id, 0) + 1
                for batch in _chunks(gone_ids):
                    s.execute(update(ITEMS).where(ITEMS.c.id.in_(batch)).values(gone_at=at))
            rows = rows_for(counts, gone)
            if rows:
                s.execute(insert(SECTION_CRAWLS), [{"run_id": self.run_id, "site_id": self.site_id, **row}
                                                   for row in rows])
        return rows


def _page_refinement(page: Any, date_source: str) -> dict[str, Any]:
    """What an item takes from its page (a Page or a row of PAGE_STATE): the page link, the written date, and
    the page's date when it ranks at least as high as the item's (meta > page/xxgk > list > url); list_date is
    kept."""
    out: dict[str, Any] = {}
    if page.id is not None:
        out["page_id"] = page.id
    if page.written_date:
        out["written_date"] = page.written_date
    source = page.pubdate_source or "none"
    if page.outcome != "ok" or page.pubdate is None or source not in DATE_RANK:
        return out
    if DATE_RANK[source] <= DATE_RANK.get(date_source, 4):
        out.update(published=page.pubdate.date(), published_at=page.pubdate, date_source=source)
    return out


def _refine_from_page(item: Item, page: Page) -> None:
    """Attach the page and prefer its date (see ``_page_refinement``)."""
    for name, value in _page_refinement(page, item.date_source).items():
        setattr(item, name, value)
