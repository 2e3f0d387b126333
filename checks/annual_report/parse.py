"""From an extracted ``Document`` to the report's parts and tables (表二, 表三, 表四).

Tables come from cell grids (HTML/DOCX) when a grid matches, else from text lines within
the part that holds the table (PDF, or HTML pasted as text): each line is read as a row
label followed by its numbers.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

from checks.annual_report.extract import Cell, Document, Grid
from checks.annual_report.layout import (
    PARTS,
    T2_ROWS,
    T3_COLUMNS,
    T4_COLUMNS,
    match_t3_row,
    strip_numbering,
    sub_group,
)

Value = int | float | str | None  # str: a cell that is not a number (kept to report it)

_INT = re.compile(r"^\d+$")
_NUM = re.compile(r"^-?\d+(?:\.\d+)?$")
_BLANKS = {"", "/", "—", "-", "－", "——", "无", "－－"}


def parse_value(text: str | None) -> Value:
    """'12' -> 12, '3.5' -> 3.5, '' -> None, anything else stays a string."""
    if text is None:
        return None
    t = re.sub(r"[\s,，]", "", unicodedata.normalize("NFKC", text))
    if t == "":
        return None
    if _INT.match(t):
        return int(t)
    if _NUM.match(t):
        return float(t) if "." in t else int(t)
    return t


def _is_number_token(token: str) -> bool:
    return bool(_NUM.match(unicodedata.normalize("NFKC", token).replace(",", "")))


@dataclass
class Table3:
    columns: list[str]  # header names in the order printed (canonical names when recognised)
    rows: dict[str, dict[str, Value]] = field(default_factory=dict)  # row key -> column -> value
    width_errors: list[tuple[str, int]] = field(default_factory=list)  # (row key, numbers found)
    header_found: bool = False


@dataclass
class Table4:
    values: dict[str, Value] = field(default_factory=dict)  # T4_COLUMNS -> value
    found_count: int = 0


@dataclass
class Table2:
    rows: dict[str, list[Value]] = field(default_factory=dict)


@dataclass
class ParsedReport:
    kind: str
    title: str | None
    year: int | None
    published: dt.date | None
    parts: dict[str, int]  # part number -> line index of its heading
    part_order: list[str]  # part numbers in the order they appear
    t2: Table2 | None
    t3: Table3 | None
    t4: Table4 | None


# --------------------------------------------------------------------------- parts


def find_parts(lines: list[str]) -> dict[str, int]:
    """Line index of each of the six part headings ('一、总体情况' …), first occurrence."""
    found: dict[str, int] = {}
    for i, line in enumerate(lines):
        compact = re.sub(r"\s+", "", line)
        if len(compact) > 60:
            continue  # a heading is short; long lines are body text that mentions a phrase
        for num, _title, keywords in PARTS:
            if num in found:
                continue
            if re.match(rf"^{num}[、.．]", compact) and all(k in compact for k in keywords):
                found[num] = i
                break
    return found


def _part_range(parts: dict[str, int], num: str, n_lines: int) -> tuple[int, int] | None:
    if num not in parts:
        return None
    start = parts[num]
    later = [i for i in parts.values() if i > start]
    return start, min(later, default=n_lines)


# --------------------------------------------------------------------------- grids


def _dedup(cells: list[Cell | None]) -> list[Cell]:
    out: list[Cell] = []
    for c in cells:
        if c is not None and (not out or out[-1] is not c):
            out.append(c)
    return out


def classify_grid(grid: Grid) -> str | None:
    text = re.sub(r"\s+", "", grid.all_text())
    if "本年新收" in text or ("予以公开" in text and "不予公开" in text):
        return "t3"
    if "结果维持" in text or "结果纠正" in text or ("行政复议" in text and "尚未审结" in text):
        return "t4"
    if ("规章" in text and "规范性文件" in text) or "行政许可" in text or "行政事业性收费" in text:
        return "t2"
    return None


def _canonical_t3_column(text: str) -> str:
    compact = re.sub(r"\s+", "", text)
    for name in T3_COLUMNS:
        if compact == name:
            return name
    for name in T3_COLUMNS:
        if name != "其他" and name in compact:
            return name
    return compact


def _used_width(grid: Grid) -> int:
    """Columns up to the last one holding any text (ragged rows leave empty padding on the right)."""
    width = 0
    for row in grid.rows:
        for i, cell in enumerate(row):
            if cell is not None and cell.text.strip():
                width = max(width, i + 1)
    return width


def table3_from_grid(grid: Grid) -> Table3:
    width = _used_width(grid)
    ncols = len(T3_COLUMNS)
    table = Table3(columns=list(T3_COLUMNS))
    data_started = False
    header_leaf: list[str] | None = None
    context: str | None = None
    for row in grid.rows:
        if width < ncols + 1:
            break
        value_cells = row[width - ncols : width]
        values = [parse_value(c.text if c else None) for c in value_cells]
        labels = [c.text for c in _dedup(row[: width - ncols]) if c.text]
        has_number = any(isinstance(v, int | float) for v in values)
        if not data_started and not has_number:
            texts = [c.text if c else "" for c in value_cells]
            if any(t in T3_COLUMNS for t in (re.sub(r"\s+", "", t) for t in texts)):
                header_leaf = texts
            continue
        data_started = True
        context = sub_group(labels) or context
        key = match_t3_row(labels, context)
        if key is None or key in table.rows:
            continue
        table.rows[key] = dict(zip(table.columns, values, strict=True))
    if header_leaf:
        table.header_found = True
        names = [_canonical_t3_column(t) for t in header_leaf]
        table.columns = names
        table.rows = {k: dict(zip(names, v.values(), strict=True)) for k, v in table.rows.items()}
    return table


def table4_from_grid(grid: Grid) -> Table4:
    table = Table4()
    for row in grid.rows:
        cells = _dedup(row) if len(row) > len(T4_COLUMNS) else [c for c in row if c is not None]
        values = [parse_value(c.text) for c in cells]
        numbers = [v for v in values if isinstance(v, int | float)]
        if not numbers:
            continue
        tail = values[-len(T4_COLUMNS) :] if len(values) >= len(T4_COLUMNS) else values
        table.found_count = len(tail)
        if len(tail) == len(T4_COLUMNS):
            table.values = dict(zip(T4_COLUMNS, tail, strict=True))
        break
    return table


def table2_from_grid(grid: Grid) -> Table2:
    table = Table2()
    for row in grid.rows:
        cells = _dedup(row)
        if not cells:
            continue
        label = strip_numbering(re.sub(r"\s+", "", cells[0].text))
        for name, _n in T2_ROWS:
            if label == name and name not in table.rows:
                table.rows[name] = [parse_value(c.text) for c in cells[1:]]
    return table


# --------------------------------------------------------------------------- text lines


def _split_line(line: str) -> tuple[list[str], list[str]]:
    """Label tokens and the trailing number tokens of one text line."""
    tokens = line.split()
    i = len(tokens)
    while i > 0 and _is_number_token(tokens[i - 1]):
        i -= 1
    return tokens[:i], tokens[i:]


def table3_from_lines(lines: list[str]) -> Table3 | None:
    table = Table3(columns=list(T3_COLUMNS))
    context: str | None = None
    pending: list[str] = []
    for line in lines:
        labels, numbers = _split_line(line)
        names = [t for t in labels if t in T3_COLUMNS]
        if not numbers and len(names) >= 5 and not table.rows:
            table.columns = names
            table.header_found = True
            continue
        if not numbers:
            pending.append(" ".join(labels))
            context = sub_group(labels) or context
            continue
        label = " ".join(labels)
        context = sub_group([label]) or context
        key = match_t3_row([label], context) if label else None
        if key is None and pending:
            key = match_t3_row([*pending, label], context)
        pending = []
        if key is None or key in table.rows:
            continue
        values = [parse_value(t) for t in numbers]
        if len(values) != len(table.columns):
            table.width_errors.append((key, len(values)))
            continue
        table.rows[key] = dict(zip(table.columns, values, strict=True))
    return table if table.rows or table.width_errors else None


def table4_from_lines(lines: list[str]) -> Table4 | None:
    best: list[str] = []
    for line in lines:
        _labels, numbers = _split_line(line)
        if len(numbers) > len(best):
            best = numbers
    if len(best) < 5:
        return None
    table = Table4(found_count=len(best))
    if len(best) == len(T4_COLUMNS):
        table.values = dict(zip(T4_COLUMNS, (parse_value(t) for t in best), strict=True))
    return table


def table2_from_lines(lines: list[str]) -> Table2 | None:
    table = Table2()
    for line in lines:
        labels, numbers = _split_line(line)
        if not labels or not numbers:
            continue
        label = strip_numbering("".join(labels))
        for name, _n in T2_ROWS:
            if label == name and name not in table.rows:
                table.rows[name] = [parse_value(t) for t in numbers]
    return table if table.rows else None


# --------------------------------------------------------------------------- report

_YEAR_TITLE = re.compile(r"(20\d\d)\s*年(?:度)?.{0,40}?(?:政府)?信息公开(?:工作)?年度报告")
_DATE = re.compile(r"(20\d\d)[-年/.](\d{1,2})[-月/.](\d{1,2})")


def report_year(doc: Document) -> int | None:
    for text in [doc.title or "", *doc.lines[:15]]:
        m = _YEAR_TITLE.search(re.sub(r"\s+", "", text))
        if m:
            return int(m.group(1))
    return None


def published_date(doc: Document) -> dt.date | None:
    """PubDate meta first, then a '发布日期/发布时间' in the text (HTML only)."""
    for name in ("pubdate", "publishdate", "firstpublishedtime"):
        m = _DATE.search(doc.meta.get(name, ""))
        if m:
            return _mkdate(m)
    for line in doc.lines[:40]:
        if "发布" in line or "日期" in line:
            m = re.search(r"(?:发布日期|发布时间|发文日期)[:：]?\s*" + _DATE.pattern, line)
            if m:
                return _mkdate(m, 1)
    return None


def _mkdate(m: re.Match[str], first: int = 1) -> dt.date | None:
    try:
        return dt.date(int(m.group(first)), int(m.group(first + 1)), int(m.group(first + 2)))
    except ValueError:
        return None


def parse_report(doc: Document) -> ParsedReport:
    """Parts, tables, year and publication date of one extracted report."""
    parts = find_parts(doc.lines)
    order = sorted(parts, key=parts.__getitem__)
    t2 = t3 = t4 = None
    for grid in doc.grids:
        kind = classify_grid(grid)
        if kind == "t3" and t3 is None:
            t3 = table3_from_grid(grid)
        elif kind == "t4" and t4 is None:
            t4 = table4_from_grid(grid)
        elif kind == "t2" and t2 is None:
            t2 = table2_from_grid(grid)

    def section_lines(num: str) -> list[str]:
        rng = _part_range(parts, num, len(doc.lines))
        if rng is None:
            return []
        return [line for line in doc.lines[rng[0] + 1 : rng[1]] if doc.table_index(line) is None]

    if t2 is None:
        t2 = table2_from_lines(section_lines("二"))
    if t3 is None:
        t3 = table3_from_lines(section_lines("三"))
    if t4 is None:
        t4 = table4_from_lines(section_lines("四"))
    return ParsedReport(
        kind=doc.kind,
        title=doc.title,
        year=report_year(doc),
        published=published_date(doc),
        parts=parts,
        part_order=order,
        t2=t2,
        t3=t3,
        t4=t4,
    )
