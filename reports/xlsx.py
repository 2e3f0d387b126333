"""XLSX attachments: one sheet per audience, header row, autofilter, frozen header."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from reports.model import DepartmentRow, FindingRow

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # not allowed in XML cells


@dataclass
class Sheet:
    title: str
    headers: Sequence[str]
    rows: list[Sequence[Any]]
    widths: Sequence[int] = ()


FINDING_HEADERS = ("状态", "性质", "指标", "指标名称", "网站/栏目", "问题", "应完成日期", "逾期天数", "考核周期", "首次发现", "证据链接", "采集时间", "依据")


def _finding_values(r: FindingRow) -> list[Any]:
    return [
        r.status_label, r.severity_label, r.rule, r.rule_name, r.place, r.message, r.due, r.overdue_days,
        r.period, r.first_detected, r.evidence_url or "", r.captured_at, r.basis,
    ]


def findings_sheet(title: str, rows: Iterable[FindingRow], *, with_department: bool = False) -> Sheet:
    headers = (("部门",) if with_department else ()) + FINDING_HEADERS
    data = [([r.department_name] if with_department else []) + _finding_values(r) for r in rows]
    widths = ((14,) if with_department else ()) + (8, 8, 14, 24, 24, 50, 12, 8, 10, 12, 40, 20, 50)
    return Sheet(title, headers, data, widths)


def department_sheet(name: str, rows: Iterable[FindingRow]) -> Sheet:
    return findings_sheet(name, rows)


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


def _cell_value(value: Any) -> Any:
    if isinstance(value, str):
        return _ILLEGAL.sub("", value)
    return value


def workbook_bytes(sheets: Iterable[Sheet]) -> bytes:
    """Write the sheets into one XLSX file; text is always stored as text, never as a formula.

    Write-only mode: rows are streamed to the file (a province's daily report has 100,000+
    rows; the normal mode kept a Cell object per value). Only header cells, dates and text
    that openpyxl would read as a formula get a styled cell; other values go in as they are.
    """
    wb = Workbook(write_only=True)
    taken: set[str] = set()
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDE6F0")
    middle = Alignment(vertical="center")
    count = 0
    for sheet in sheets:
        ws = wb.create_sheet(sheet_title(sheet.title, taken))
        count += 1
        for i, width in enumerate(sheet.widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        last = get_column_letter(max(1, len(sheet.headers)))
        ws.auto_filter.ref = f"A1:{last}{1 + len(sheet.rows)}"
        ws.freeze_panes = "A2"
        header = []
        for value in sheet.headers:
            cell = WriteOnlyCell(ws, value=value)
            cell.font, cell.fill, cell.alignment = bold, fill, middle
            header.append(cell)
        ws.append(header)
        for row in sheet.rows:
            ws.append([_out(ws, value) for value in row])
    if not count:
        wb.create_sheet("空")
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _out(ws: Any, value: Any) -> Any:
    """A value as written: text cleaned and kept as text, dates formatted yyyy-mm-dd."""
    if isinstance(value, str):
        value = _ILLEGAL.sub("", value)
        if value.startswith("="):  # "=HYPERLINK(...)" from a crawled page stays text
            cell = WriteOnlyCell(ws, value=value)
            cell.data_type = "s"
            return cell
        return value
    if hasattr(value, "year"):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    return value
