"""XLSX attachments: one sheet per audience, header row, autofilter, frozen header."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from reports.model import DepartmentRow, FindingRow
from reports.ooxml import SharedRows, Table, write_xlsx

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


@dataclass
class Sheet:
    title: str
    headers: Sequence[str]
    rows: list[Sequence[Any]]
    widths: Sequence[int] = ()
    # Set for a sheet written into several workbooks: its rows' XML is built once (reports.ooxml.SharedRows).
    shared: SharedRows | None = field(default=None, compare=False, repr=False)


FINDING_HEADERS = ("状态", "性质", "指标", "指标名称", "网站/栏目", "问题", "应完成日期", "逾期天数", "考核周期", "首次发现", "证据链接", "采集时间", "依据")


def _finding_values(r: FindingRow) -> list[Any]:
    return [
        r.status_label, r.severity_label, r.rule, r.rule_name, r.place, r.message, r.due, r.overdue_days,
        r.period, r.first_detected, r.evidence_url or "", r.captured_at, r.basis,
    ]


def findings_sheet(
    title: str, rows: Iterable[FindingRow], *, with_department: bool = False, shared: bool = False
) -> Sheet:
    """``shared``: the sheet goes into several workbooks (its rows' XML is built once)."""
    headers = (("部门",) if with_department else ()) + FINDING_HEADERS
    data = [([r.department_name] if with_department else []) + _finding_values(r) for r in rows]
    widths = ((14,) if with_department else ()) + (8, 8, 14, 24, 24, 50, 12, 8, 10, 12, 40, 20, 50)
    return Sheet(title, headers, data, widths, SharedRows() if shared else None)


def department_sheet(name: str, rows: Iterable[FindingRow], *, shared: bool = False) -> Sheet:
    return findings_sheet(name, rows, shared=shared)


def summary_sheet(deps: Iterable[DepartmentRow]) -> Sheet:
    headers = ("部门", "状态", "未通过", "逾期", "单项否决", "无法判断", "预警", "通过")
    data = [
        [d.name, d.status_label, d.counts["fail"], d.overdue, d.veto, d.counts["unknown"], d.counts["warn"], d.counts["pass"]]
        for d in deps
    ]
    return Sheet("部门汇总", headers, data, (16, 18, 8, 8, 10, 10, 8, 8))


def scores_sheet(ranking: Iterable[dict[str, Any]]) -> Sheet:
    headers = ("排名", "部门", "得分", "结论", "较上周", "单项否决指标", "扣分明细", "逾期项数")
    data = []
    for r in ranking:
        score = r["score"]
        detail = "；".join(f"{d.rule} 扣 {d.deducted:g} 分（{d.failures} 项，上限 {d.cap:g}）" for d in score.deductions)
        data.append([r["rank"], r["name"], score.score, score.verdict, r["change"], "、".join(score.vetoes), detail, len(r["overdue"])])
    return Sheet("部门得分", headers, data, (6, 16, 8, 18, 8, 20, 60, 8))


def sheet_title(name: str, taken: set[str]) -> str:
    """A legal, unique sheet title (31 characters, no []:*?/\\)."""
    base = _BAD_SHEET_CHARS.sub("_", name).strip("'") or "Sheet"
    base = base[:31]
    title, n = base, 2
    while title.lower() in taken:
        suffix = f"({n})"
        title = base[: 31 - len(suffix)] + suffix
        n += 1
    taken.add(title.lower())
    return title


def workbook_bytes(sheets: Iterable[Sheet]) -> bytes:
    """Write the sheets into one XLSX file; text is always stored as text, never as a formula.

    Streams rows through ``reports.ooxml`` (a province's daily report has 100,000+ rows):
    header row bold and shaded, dates as yyyy-mm-dd, column widths, frozen header, autofilter.
    """
    taken: set[str] = set()
    tables = [Table(sheet_title(s.title, taken), s.headers, s.rows, s.widths, s.shared) for s in sheets]
    return write_xlsx(tables or [Table("空", (), [])])
