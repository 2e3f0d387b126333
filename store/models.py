"""SQLAlchemy 2 models: the single schema shared by crawler, checks, reports and scheduler.

All timestamps are stored as naive UTC datetimes (``utcnow()``); calendar dates
(publication dates, due dates) are plain ``date`` values in the site's timezone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

HOME_SECTION = "_home"  # section id under which a site's home page is stored (items, SectionCrawl)


def utcnow() -> dt.datetime:
    """Current time as naive UTC (the storage convention of this schema)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


# --------------------------------------------------------------------------- configuration mirror


class Department(Base):
    """A department from settings.toml (mirrored so reports survive config edits)."""

    __tablename__ = "departments"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    is_office: Mapped[bool] = mapped_column(Boolean, default=False)


class Site(Base):
    __tablename__ = "sites"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    base_url: Mapped[str] = mapped_column(String(2000))
    department_id: Mapped[str] = mapped_column(String(64))


class Section(Base):
    __tablename__ = "sections"
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    list_url: Mapped[str] = mapped_column(String(2000))
    department_id: Mapped[str] = mapped_column(String(64))
    indicator: Mapped[str | None] = mapped_column(String(64))


# --------------------------------------------------------------------------- crawling


class CrawlRun(Base):
    """One crawl of one site (one child process)."""

    __tablename__ = "crawl_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[str] = mapped_column(String(64), index=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # running | ok | partial | failed | timeout
    status: Mapped[str] = mapped_column(String(16), default="running")
    reason: Mapped[str | None] = mapped_column(Text)
    stats: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class SectionCrawl(Base):
    """What one run saw of one section: readable or not, and why."""

    __tablename__ = "section_crawls"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id"), index=True)
    site_id: Mapped[str] = mapped_column(String(64))
    section_id: Mapped[str] = mapped_column(String(64))
    captured_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # ok | blocked | timeout | http_error | parse_error | connection | unchanged
    outcome: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str | None] = mapped_column(Text)
    adapter: Mapped[str | None] = mapped_column(String(32))
    pagination_method: Mapped[str | None] = mapped_column(String(32))
    declared_total: Mapped[int | None] = mapped_column(Integer)
    items_found: Mapped[int] = mapped_column(Integer, default=0)
    pages_fetched: Mapped[int] = mapped_column(Integer, default=0)
    reached_horizon: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index("ix_section_crawls_sec", "site_id", "section_id", "captured_at"),)


class ListSnapshot(Base):
    """One fetched list page of a section, with a pointer to its WARC record."""

    __tablename__ = "list_snapshots"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id"), index=True)
    site_id: Mapped[str] = mapped_column(String(64))
    section_id: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(String(2000))
    page_no: Mapped[int] = mapped_column(Integer, default=0)
    captured_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    http_status: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str | None] = mapped_column(Text)
    encoding: Mapped[str | None] = mapped_column(String(32))
    etag: Mapped[str | None] = mapped_column(String(300))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    items_found: Mapped[int] = mapped_column(Integer, default=0)
    warc_file: Mapped[str | None] = mapped_column(String(500))
    warc_offset: Mapped[int | None] = mapped_column(BigInteger)  # run WARC files may pass 2 GiB (INTEGER on PG)
    warc_length: Mapped[int | None] = mapped_column(Integer)
    warc_record_id: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (Index("ix_list_snapshots_sec", "site_id", "section_id", "captured_at"),)


class Item(Base):
    """An entry listed in a section (one row per section and URL)."""

    __tablename__ = "items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[str] = mapped_column(String(64))
    section_id: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(String(2000))
    title: Mapped[str] = mapped_column(Text)
    published: Mapped[dt.date | None] = mapped_column(Date)
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # local time when known
    # meta | page | list | xxgk | url | none
    date_source: Mapped[str] = mapped_column(String(16), default="none")
    list_date: Mapped[dt.date | None] = mapped_column(Date)
    written_date: Mapped[dt.date | None] = mapped_column(Date)  # 成文日期
    first_seen: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_seen: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    gone_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    first_snapshot_id: Mapped[int | None] = mapped_column(Integer)
    last_snapshot_id: Mapped[int | None] = mapped_column(Integer)
    page_id: Mapped[int | None] = mapped_column(ForeignKey("pages.id"))

    __table_args__ = (
        UniqueConstraint("site_id", "section_id", "url", name="uq_items_section_url"),
        Index("ix_items_sec_pub", "site_id", "section_id", "published"),
    )


class Page(Base):
    """An article page, fetched once and again only when it changed."""

    __tablename__ = "pages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    site_id: Mapped[str] = mapped_column(String(64), index=True)
    fetched_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    http_status: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(24), default="ok")
    reason: Mapped[str | None] = mapped_column(Text)
    encoding: Mapped[str | None] = mapped_column(String(32))
    etag: Mapped[str | None] = mapped_column(String(300))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)
    meta: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # lower-cased meta names -> values
    xxgk: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # 索引号/文号/成文日期/... table
    pubdate: Mapped[dt.datetime | None] = mapped_column(DateTime)
    pubdate_source: Mapped[str | None] = mapped_column(String(16))
    written_date: Mapped[dt.date | None] = mapped_column(Date)
    doc_number: Mapped[str | None] = mapped_column(String(200))
    validity: Mapped[str | None] = mapped_column(String(50))
    warc_file: Mapped[str | None] = mapped_column(String(500))
    warc_offset: Mapped[int | None] = mapped_column(BigInteger)  # run WARC files may pass 2 GiB (INTEGER on PG)
    warc_length: Mapped[int | None] = mapped_column(Integer)
    warc_record_id: Mapped[str | None] = mapped_column(String(100))

    attachments: Mapped[list[Attachment]] = relationship(back_populates="page")


class Attachment(Base):
    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    name: Mapped[str | None] = mapped_column(Text)
    ext: Mapped[str | None] = mapped_column(String(10))
    fetched_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    http_status: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(24), default="pending")
    reason: Mapped[str | None] = mapped_column(Text)
    size: Mapped[int | None] = mapped_column(Integer)
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str | None] = mapped_column(Text)
    warc_file: Mapped[str | None] = mapped_column(String(500))
    warc_offset: Mapped[int | None] = mapped_column(BigInteger)  # run WARC files may pass 2 GiB (INTEGER on PG)
    warc_length: Mapped[int | None] = mapped_column(Integer)
    warc_record_id: Mapped[str | None] = mapped_column(String(100))

    page: Mapped[Page] = relationship(back_populates="attachments")
    __table_args__ = (UniqueConstraint("page_id", "url", name="uq_attachments_page_url"),)


# --------------------------------------------------------------------------- links and availability


class Link(Base):
    """A unique link target and its current verdict."""

    __tablename__ = "links"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    host: Mapped[str] = mapped_column(String(300), index=True)
    first_seen: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_checked: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # ok | suspect | broken | blocked | unknown
    verdict: Mapped[str] = mapped_column(String(16), default="unknown")
    reason: Mapped[str | None] = mapped_column(String(32))
    http_status: Mapped[int | None] = mapped_column(Integer)
    final_url: Mapped[str | None] = mapped_column(String(2000))
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)


class LinkRef(Base):
    """Where a link was found: the page that carried it."""

    __tablename__ = "link_refs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("links.id"), index=True)
    source_url: Mapped[str] = mapped_column(String(2000))
    site_id: Mapped[str] = mapped_column(String(64), index=True)
    section_id: Mapped[str | None] = mapped_column(String(64))
    on_home_page: Mapped[bool] = mapped_column(Boolean, default=False)
    kind: Mapped[str] = mapped_column(String(16), default="a")  # a | img | attachment | script | css
    anchor_text: Mapped[str | None] = mapped_column(Text)
    first_seen: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_seen: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # ix_link_refs_source: the checks read the links of many pages by their URL at once.
    __table_args__ = (UniqueConstraint("link_id", "source_url", name="uq_link_refs"),
                      Index("ix_link_refs_source", "source_url"))


class LinkCheck(Base):
    """One attempt at one link."""

    __tablename__ = "link_checks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("links.id"), index=True)
    run_id: Mapped[int | None] = mapped_column(Integer)
    checked_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    method: Mapped[str] = mapped_column(String(8))
    http_status: Mapped[int | None] = mapped_column(Integer)
    final_url: Mapped[str | None] = mapped_column(String(2000))
    elapsed_ms: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text)


class AvailabilityProbe(Base):
    __tablename__ = "availability_probes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(String(2000))
    probed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    ok: Mapped[bool] = mapped_column(Boolean)
    http_status: Mapped[int | None] = mapped_column(Integer)
    elapsed_ms: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(32))
    ipv6: Mapped[str | None] = mapped_column(String(16))  # none | reachable | unreachable
    __table_args__ = (Index("ix_probes_site_time", "site_id", "probed_at"),)


# --------------------------------------------------------------------------- findings


class Finding(Base):
    """A verdict of one rule on one section (or site) for one period, with a lifecycle."""

    __tablename__ = "findings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(600), unique=True)  # rule|site|section|period
    rule: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    site_id: Mapped[str | None] = mapped_column(String(64))
    section_id: Mapped[str | None] = mapped_column(String(64))
    department_id: Mapped[str | None] = mapped_column(String(64), index=True)
    period: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(8))  # pass | fail | warn | unknown
    severity: Mapped[str | None] = mapped_column(String(16))  # veto | deduct | info
    due: Mapped[dt.date | None] = mapped_column(Date)
    message: Mapped[str] = mapped_column(Text)
    uncertain: Mapped[bool] = mapped_column(Boolean, default=False)
    evidence: Mapped[list[Any] | None] = mapped_column(JSON)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    first_detected: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_confirmed: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    reopened_count: Mapped[int] = mapped_column(Integer, default=0)
    last_as_of: Mapped[dt.date | None] = mapped_column(Date)


class FindingEvent(Base):
    """History of a finding's status changes."""

    __tablename__ = "finding_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    old_status: Mapped[str | None] = mapped_column(String(8))
    new_status: Mapped[str] = mapped_column(String(8))
    message: Mapped[str | None] = mapped_column(Text)


class ScoreRecord(Base):
    """A department's weekly score, kept for trends and week-over-week change."""

    __tablename__ = "scores"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(20))  # e.g. 2026-W47
    department_id: Mapped[str] = mapped_column(String(64))
    score: Mapped[float] = mapped_column(Float)
    vetoed: Mapped[bool] = mapped_column(Boolean, default=False)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    __table_args__ = (UniqueConstraint("period", "department_id", name="uq_scores"),)


# --------------------------------------------------------------------------- delivery and operations


class OutboxMessage(Base):
    """A rendered message waiting for (or done with) delivery; idempotent by key."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idem_key: Mapped[str] = mapped_column(String(300), unique=True)  # kind|period|recipient
    channel: Mapped[str] = mapped_column(String(16), default="smtp")  # smtp | webhook | file
    kind: Mapped[str] = mapped_column(String(32))
    period: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(Text)
    payload: Mapped[bytes] = mapped_column(LargeBinary)  # the full RFC 5322 message or webhook body
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class JobRun(Base):
    """Outcome of one scheduled (or manual) job, shown by ``zwgk status``."""

    __tablename__ = "job_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # crawl | check | report_daily | ...
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16), default="running")  # running | ok | failed
    message: Mapped[str | None] = mapped_column(Text)


class Lock(Base):
    """A named lease (e.g. the scheduler lock) with a heartbeat."""

    __tablename__ = "locks"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    heartbeat_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
