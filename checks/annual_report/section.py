"""Verify the year's report of a section from the engine's views (for a rule kind).

``verify_section(section, year, evidence_dir=...)`` finds the item whose title names the
year and 年度报告/年报, reads the page or attachment bytes kept in the WARC evidence, and
returns one ``checks.model.Outcome`` (or None when the section lists no report for that
year: whether it is late is the cadence rule's business).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from checks.annual_report import UnreadableReport, Verification, parse_bytes, unreadable, verify
from checks.annual_report.queries import REPORT_WORDS
from checks.annual_report.result import outcome
from checks.model import ItemView, SectionData


def find_item(section: SectionData, year: int) -> ItemView | None:
    """The newest listed item whose title names ``year`` and 年度报告/年报."""
    matches = [
        i
        for i in section.items
        if re.search(rf"{year}\s*年", i.title or "") and any(w in (i.title or "") for w in REPORT_WORDS)
    ]
    matches.sort(key=lambda i: (i.published is not None, i.published), reverse=True)
    return matches[0] if matches else None


def _stored(evidence: dict[str, Any], evidence_dir: Path) -> bytes | None:
    if evidence.get("warc_file") is None:
        return None
    from store.warc import read_payload

    try:
        return read_payload(
            evidence_dir, evidence["warc_file"], evidence["warc_offset"], evidence["warc_length"]
        )
    except (OSError, ValueError):
        return None


def _candidates(item: ItemView) -> list[dict[str, Any]]:
    """Evidence entries of the page, then of its document attachments (report-named first)."""
    if item.page is None:
        return []
    out = [item.page.evidence]
    files = [
        a for a in item.page.attachments if (a.ext or "").lower() in ("pdf", "docx", "doc", "wps", "ofd")
    ]
    files.sort(key=lambda a: not any(w in (a.name or "") for w in REPORT_WORDS))
    out += [a.evidence for a in files]
    return out


# Parsed reports by WARC pointer: a record never changes once written, and a PDF takes
# ~0.4 s to parse, so each report is parsed once per process (also as next year's "previous").
_PARSED: OrderedDict[tuple[str, str, int, int], Any] = OrderedDict()
_PARSED_MAX = 128
_PARSED_LOCK = threading.Lock()


def _parse_stored(ev: dict[str, Any], evidence_dir: Path) -> Any | None:
    """The ParsedReport in one stored record; None when not stored (not cached) or unreadable."""
    key = (str(evidence_dir), ev.get("warc_file") or "", ev.get("warc_offset") or 0, ev.get("warc_length") or 0)
    with _PARSED_LOCK:
        if key in _PARSED:
            _PARSED.move_to_end(key)
            return _PARSED[key]
    data = _stored(ev, evidence_dir)
    if data is None:
        return None
    try:
        report = parse_bytes(data, url=ev.get("url") or "")
    except UnreadableReport:
        report = None
    with _PARSED_LOCK:
        _PARSED[key] = report
        if len(_PARSED) > _PARSED_MAX:
            _PARSED.popitem(last=False)
    return report


def read_report(item: ItemView, evidence_dir: Path) -> tuple[Any, dict[str, Any]] | None:
    """(ParsedReport, evidence) of the first stored file that holds the report, else None."""
    for ev in _candidates(item):
        report = _parse_stored(ev, evidence_dir)
        if report is not None and (report.t3 is not None or len(report.parts) >= 3):
            return report, ev
    return None


def verify_section(
    section: SectionData, year: int, *, evidence_dir: Path, government: bool = False, check_date: bool = True
) -> Any | None:
    """One Outcome for the section's report of ``year``; None when no such report is listed.

    ``check_date=False`` leaves the deadline out (when the cadence rule judges it already).
    """
    item = find_item(section, year)
    if item is None:
        return None
    found = read_report(item, evidence_dir)
    if found is None:
        result: Verification = unreadable(
            f"“{item.title}”的页面或附件未保存或无法解析出年报内容", year=year, government=government
        )
        ev = [item.page.evidence] if item.page else []
        return outcome(result, evidence=ev)
    report, ev = found
    previous = None
    prev_item = find_item(section, year - 1)
    if prev_item is not None:
        prev = read_report(prev_item, evidence_dir)
        previous = prev[0] if prev else None
    result = verify(report, year=year, government=government, published=item.published, previous=previous,
                    check_date=check_date)
    return outcome(result, evidence=[ev])
