"""Finding a year's report among the stored items of a section, and its stored bytes (WARC)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import Attachment, Item, Page

REPORT_WORDS = ("年度报告", "年报")
_FILE_EXTS = ("pdf", "docx", "doc", "wps", "ofd")


@dataclass
class ReportSource:
    """One candidate file of a report: where it is and how to get its bytes."""

    url: str
    title: str
    published: dt.date | None
    captured_at: dt.datetime | None = None
    warc: dict[str, Any] | None = None  # warc_file / warc_offset / warc_length when stored
    alternatives: list[ReportSource] = field(default_factory=list)  # attachments to try next

    def evidence(self) -> dict[str, Any]:
        ev: dict[str, Any] = {
            "url": self.url,
            "captured_at": self.captured_at.isoformat(timespec="seconds") if self.captured_at else None,
        }
        ev.update(self.warc or {"warc_file": None, "warc_offset": None, "warc_length": None})
        return ev

    def stored_bytes(self, evidence_dir: Path) -> bytes | None:
        """The response body kept in the WARC evidence, or None when it was not stored."""
        if not self.warc or self.warc.get("warc_file") is None:
            return None
        from store.warc import read_payload

        try:
            return read_payload(
                evidence_dir, self.warc["warc_file"], self.warc["warc_offset"], self.warc["warc_length"]
            )
        except (OSError, ValueError):
            return None


def _pointer(row: Any) -> dict[str, Any] | None:
    if getattr(row, "warc_file", None) is None:
        return None
    return {"warc_file": row.warc_file, "warc_offset": row.warc_offset, "warc_length": row.warc_length}


def _mentions_year(title: str, year: int) -> bool:
    return bool(re.search(rf"{year}\s*年", title)) and any(w in title for w in REPORT_WORDS)


def find_report(session: Session, site_id: str, section_id: str, year: int) -> ReportSource | None:
    """The newest item of the section whose title names ``year`` and 年度报告/年报, with its files."""
    items = session.scalars(
        select(Item)
        .where(Item.site_id == site_id, Item.section_id == section_id)
        .order_by(Item.published.is_(None), Item.published.desc(), Item.id.desc())  # undated last on every engine
    ).all()
    item = next((i for i in items if _mentions_year(i.title or "", year)), None)
    if item is None:
        return None
    page = session.get(Page, item.page_id) if item.page_id else None
    source = ReportSource(
        url=item.url,
        title=item.title,
        published=item.published,
        captured_at=page.fetched_at if page else item.last_seen,
        warc=_pointer(page) if page else None,
    )
    if page is not None:
        files = session.scalars(
            select(Attachment).where(Attachment.page_id == page.id).order_by(Attachment.id)
        ).all()
        files = [a for a in files if (a.ext or "").lower() in _FILE_EXTS]
        files.sort(key=lambda a: (not any(w in (a.name or "") for w in REPORT_WORDS), a.id))
        source.alternatives = [
            ReportSource(a.url, a.name or a.url, item.published, a.fetched_at, _pointer(a)) for a in files
        ]
    return source
