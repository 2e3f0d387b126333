"""政府信息公开工作年度报告: extraction, parsing and verification (rules.md §D6, §D7, §E).

Main entry: ``verify_document(data, url=..., year=..., government=..., previous=...)``
returns a ``Verification``; ``checks.annual_report.result.findings`` turns it into
FindingResult-shaped findings and ``result.outcome`` into one rule-kind Outcome.
"""

from __future__ import annotations

import datetime as dt

from checks.annual_report.extract import Document, UnreadableReport, extract
from checks.annual_report.parse import ParsedReport, parse_report
from checks.annual_report.verify import Problem, Verification, due_date, verify

__all__ = [
    "Document",
    "ParsedReport",
    "Problem",
    "UnreadableReport",
    "Verification",
    "due_date",
    "parse_bytes",
    "unreadable",
    "verify",
    "verify_document",
]


def parse_bytes(data: bytes, *, url: str = "", content_type: str | None = None) -> ParsedReport:
    """Extract and parse a report file (raises UnreadableReport)."""
    return parse_report(extract(data, url=url, content_type=content_type))


def unreadable(reason: str, *, year: int | None = None, government: bool = False) -> Verification:
    """A verification that could not be made: ``unknown`` with the reason, never a fail."""
    result = Verification(year=year, due=due_date(year, government) if year else None, published=None)
    result.problems.append(Problem("unreadable", f"年报无法读取：{reason}", status="unknown"))
    return result


def verify_document(
    data: bytes,
    *,
    url: str = "",
    content_type: str | None = None,
    year: int | None = None,
    government: bool = False,
    published: dt.date | None = None,
    previous: bytes | None = None,
    previous_url: str = "",
) -> Verification:
    """Verify one report file; an unreadable file (or unreadable previous report) gives ``unknown``."""
    try:
        report = parse_bytes(data, url=url, content_type=content_type)
    except UnreadableReport as exc:
        return unreadable(str(exc), year=year, government=government)
    prev = None
    result_extra: list[Problem] = []
    if previous is not None:
        try:
            prev = parse_bytes(previous, url=previous_url)
        except UnreadableReport as exc:
            result_extra.append(
                Problem("carry", f"上年年报无法读取，未核对上年结转：{exc}", status="unknown")
            )
    result = verify(report, year=year, government=government, published=published, previous=prev)
    result.problems += result_extra
    return result
