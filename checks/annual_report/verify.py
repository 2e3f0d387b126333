"""Verification of a parsed 年报: parts, tables, arithmetic (R1–R4), carry-over, deadline.

``verify(report, ...)`` returns ``Problem``s (one per inconsistency, each naming table, row,
column and both numbers in Chinese). ``findings(...)`` turns them into FindingResult-shaped
results for output; ``outcome(...)`` folds them into one ``checks.model.Outcome`` for the
engine (one stored finding per report and period).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from checks.annual_report.layout import (
    PARTS,
    T2_ROWS,
    T3_COLUMNS,
    T3_OUTCOME_ROWS,
    T3_PARTS,
    T3_ROW,
    T3_ROWS,
    T4_COLUMNS,
    T4_GROUPS,
    T4_NAMES,
)
from checks.annual_report.parse import ParsedReport, Table3, Value

PART_TITLE = {num: title for num, title, _k in PARTS}


@dataclass
class Problem:
    check: str  # part_missing | part_order | table_missing | row_missing | columns | R1 | R2 | R3 | R4 | carry | t4_sum | deadline
    message: str  # Chinese, names table/row/column and the numbers
    status: str = "fail"  # fail | warn | unknown
    table: str | None = None
    row: str | None = None
    column: str | None = None
    expected: Any = None
    actual: Any = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class Verification:
    year: int | None
    due: dt.date | None
    published: dt.date | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def status(self) -> str:
        statuses = {p.status for p in self.problems}
        for s in ("fail", "unknown", "warn"):
            if s in statuses:
                return s
        return "pass"


def _row_label(key: str) -> str:
    return T3_ROW[key].label


def _is_int(v: Value) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _fmt(v: Value) -> str:
    return "空白" if v is None else str(v)


# --------------------------------------------------------------------------- structure


def check_parts(report: ParsedReport) -> list[Problem]:
    problems = []
    for num, title, _k in PARTS:
        if num not in report.parts:
            problems.append(Problem("part_missing", f"缺少第{num}部分“{title}”", table=None, row=title))
    present = [num for num, _t, _k in PARTS if num in report.parts]
    if report.part_order != present:
        shown = "、".join(PART_TITLE[n].split("、", 1)[0] for n in report.part_order)
        problems.append(
            Problem(
                "part_order",
                f"六个部分的顺序与规定格式不一致：实际顺序为 {shown}",
                expected=present,
                actual=report.part_order,
            )
        )
    return problems


def check_table2(report: ParsedReport) -> list[Problem]:
    if report.t2 is None:
        if "二" not in report.parts:
            return []  # reported as a missing part already
        return [Problem("table_missing", "第二部分缺少“主动公开政府信息情况”表格（表二）", table="表二")]
    problems = []
    for name, n in T2_ROWS:
        if name not in report.t2.rows:
            problems.append(Problem("row_missing", f"表二 缺少“{name}”行", table="表二", row=name))
            continue
        values = report.t2.rows[name][:n]
        for i, v in enumerate(values):
            if (
                isinstance(v, str)
                and v not in {"/", "—", "-", "－", "无"}
                or isinstance(v, int | float)
                and v < 0
            ):
                col = _t2_column(name, i)
                problems.append(
                    Problem(
                        "R4",
                        f"表二 “{name}”行 “{col}”列：应为非负数，实际为“{v}”",
                        table="表二",
                        row=name,
                        column=col,
                        actual=v,
                    )
                )
    return problems


def _t2_column(name: str, i: int) -> str:
    if name in ("规章", "行政规范性文件"):
        return ("本年制发件数", "本年废止件数", "现行有效件数")[i]
    if name == "行政事业性收费":
        return "本年收费金额（万元）"
    return "本年处理决定数量"


# --------------------------------------------------------------------------- 表三


def check_table3(report: ParsedReport, previous: ParsedReport | None = None) -> list[Problem]:
    t3 = report.t3
    if t3 is None or not t3.rows:
        if "三" not in report.parts:
            return []
        return [
            Problem("table_missing", "第三部分缺少“收到和处理政府信息公开申请情况”表格（表三）", table="表三")
        ]
    problems: list[Problem] = []
    problems += _t3_columns(t3)
    for key, found in t3.width_errors:
        problems.append(
            Problem(
                "columns",
                f"表三 “{_row_label(key)}”行：应有 7 个数，实际读到 {found} 个",
                table="表三",
                row=_row_label(key),
                expected=7,
                actual=found,
            )
        )
    bad_width = {key for key, _n in t3.width_errors}
    for row in T3_ROWS:
        if row.key not in t3.rows and row.key not in bad_width:
            problems.append(Problem("row_missing", f"表三 缺少“{row.label}”行", table="表三", row=row.label))
    # R4: every cell an integer >= 0; cells that fail are left out of the sums below.
    cells: dict[tuple[str, str], int] = {}
    for key, values in t3.rows.items():
        for col in T3_COLUMNS:
            v = values.get(col)
            if _is_int(v):
                cells[(key, col)] = v  # type: ignore[assignment]
            elif col in values:
                problems.append(
                    Problem(
                        "R4",
                        f"表三 “{_row_label(key)}”行 “{col}”列：应为非负整数，实际为“{_fmt(v)}”",
                        table="表三",
                        row=_row_label(key),
                        column=col,
                        actual=v,
                    )
                )

    def total(keys: tuple[str, ...], col: str) -> int | None:
        if any((k, col) not in cells for k in keys):
            return None
        return sum(cells[(k, col)] for k in keys)

    # R3: each row's 总计 = the six applicant columns.
    for row in T3_ROWS:
        parts = [cells.get((row.key, c)) for c in T3_PARTS]
        stated = cells.get((row.key, "总计"))
        if stated is None or any(p is None for p in parts):
            continue
        computed = sum(parts)  # type: ignore[arg-type]
        if stated != computed:
            problems.append(
                Problem(
                    "R3",
                    f"表三 “{row.label}”行 “总计”列：填报 {stated}，各申请人列之和为 {computed}",
                    table="表三",
                    row=row.label,
                    column="总计",
                    expected=computed,
                    actual=stated,
                )
            )
    for col in T3_COLUMNS:
        # R2: （七）总计 = the sum of all outcome rows.
        stated = cells.get(("三.七", col))
        computed = total(T3_OUTCOME_ROWS, col)
        if stated is not None and computed is not None and stated != computed:
            problems.append(
                Problem(
                    "R2",
                    f"表三 “三（七）总计”行 “{col}”列：填报 {stated}，（一）至（六）各项之和为 {computed}",
                    table="表三",
                    row="三（七）总计",
                    column=col,
                    expected=computed,
                    actual=stated,
                )
            )
        # R1: 一 + 二 = 三（七）总计 + 四 (printed on the form).
        left, right = total(("一", "二"), col), total(("三.七", "四"), col)
        if left is not None and right is not None and left != right:
            problems.append(
                Problem(
                    "R1",
                    f"表三 “{col}”列：第一项加第二项之和为 {left}，第三项（七）总计加第四项之和为 {right}，二者应相等",
                    table="表三",
                    column=col,
                    expected=left,
                    actual=right,
                )
            )
    if previous is not None and previous.t3 is not None:
        problems += _carry_over(cells, previous.t3, previous.year)
    return problems


def _t3_columns(t3: Table3) -> list[Problem]:
    if not t3.header_found or list(t3.columns) == list(T3_COLUMNS):
        return []
    if sorted(t3.columns) == sorted(T3_COLUMNS):
        moved = [
            f"第{i + 1}列应为“{want}”，实际为“{got}”"
            for i, (want, got) in enumerate(zip(T3_COLUMNS, t3.columns, strict=True))
            if want != got
        ]
        return [
            Problem(
                "columns",
                "表三 申请人列顺序与规定格式不一致：" + "；".join(moved),
                status="warn",
                table="表三",
                expected=list(T3_COLUMNS),
                actual=list(t3.columns),
            )
        ]
    missing = [c for c in T3_COLUMNS if c not in t3.columns]
    return [
        Problem(
            "columns",
            f"表三 申请人列与规定格式不一致：缺少“{'、'.join(missing) or '—'}”，实际为“{'、'.join(t3.columns)}”",
            table="表三",
            expected=list(T3_COLUMNS),
            actual=list(t3.columns),
        )
    ]


def _carry_over(cells: dict[tuple[str, str], int], prev: Table3, prev_year: int | None) -> list[Problem]:
    problems = []
    last = f"{prev_year}年" if prev_year else "上年"
    for col in T3_COLUMNS:
        this = cells.get(("二", col))
        before = prev.rows.get("四", {}).get(col)
        if this is None or not _is_int(before):
            continue
        if this != before:
            problems.append(
                Problem(
                    "carry",
                    f"表三 “二、上年结转”行 “{col}”列：填报 {this}，{last}年报“四、结转下年度继续办理”为 {before}，二者应相等",
                    table="表三",
                    row="二、上年结转政府信息公开申请数量",
                    column=col,
                    expected=before,
                    actual=this,
                )
            )
    return problems


# --------------------------------------------------------------------------- 表四


def check_table4(report: ParsedReport) -> list[Problem]:
    t4 = report.t4
    if t4 is None:
        if "四" not in report.parts:
            return []
        return [Problem("table_missing", "第四部分缺少“行政复议、行政诉讼情况”表格（表四）", table="表四")]
    if len(t4.values) != len(T4_COLUMNS):
        return [
            Problem(
                "columns",
                f"表四 应有 15 列数字（行政复议、未经复议直接起诉、复议后起诉各 5 列），实际读到 {t4.found_count} 个",
                table="表四",
                expected=15,
                actual=t4.found_count,
            )
        ]
    problems = []
    for col, v in t4.values.items():
        if not _is_int(v):
            problems.append(
                Problem(
                    "R4",
                    f"表四 “{col}”列：应为非负整数，实际为“{_fmt(v)}”",
                    table="表四",
                    column=col,
                    actual=v,
                )
            )
    for group in T4_GROUPS:
        parts = [t4.values[f"{group}·{n}"] for n in T4_NAMES[:-1]]
        stated = t4.values[f"{group}·总计"]
        if all(_is_int(p) for p in parts) and _is_int(stated):
            computed = sum(parts)  # type: ignore[arg-type]
            if computed != stated:
                problems.append(
                    Problem(
                        "t4_sum",
                        f"表四 “{group}·总计”列：填报 {stated}，结果维持、结果纠正、其他结果、尚未审结之和为 {computed}",
                        table="表四",
                        column=f"{group}·总计",
                        expected=computed,
                        actual=stated,
                    )
                )
    return problems


# --------------------------------------------------------------------------- deadline


def due_date(year: int, government: bool) -> dt.date:
    """D6: departments by 1月31日, the district government's own report by 3月31日 of the next year."""
    return dt.date(year + 1, 3, 31) if government else dt.date(year + 1, 1, 31)


def check_deadline(year: int | None, published: dt.date | None, government: bool) -> list[Problem]:
    if year is None:
        return [Problem("deadline", "未能从标题确定年报所属年度，无法判断是否按时发布", status="unknown")]
    due = due_date(year, government)
    if published is None:
        return [
            Problem(
                "deadline",
                f"未能确定发布日期，无法判断是否在 {due:%Y年%m月%d日} 前发布",
                status="unknown",
                expected=due.isoformat(),
            )
        ]
    if published > due:
        who = "本级政府" if government else "部门"
        return [
            Problem(
                "deadline",
                f"{year}年度年报于 {published:%Y年%m月%d日} 发布，晚于{who}年报截止日期 {due:%Y年%m月%d日}",
                expected=due.isoformat(),
                actual=published.isoformat(),
            )
        ]
    return []


# --------------------------------------------------------------------------- entry points


def verify(
    report: ParsedReport,
    *,
    year: int | None = None,
    government: bool = False,
    published: dt.date | None = None,
    previous: ParsedReport | None = None,
    check_date: bool = True,
) -> Verification:
    """All checks of one report; ``year``/``published`` override what the report itself says."""
    year = year or report.year
    published = published or report.published
    result = Verification(year=year, due=due_date(year, government) if year else None, published=published)
    result.problems += check_parts(report)
    result.problems += check_table2(report)
    result.problems += check_table3(report, previous)
    result.problems += check_table4(report)
    if check_date:
        result.problems += check_deadline(year, published, government)
    return result
