"""HTML tables as records, with merged cells (rowspan/colspan) repeated into every row they cover.

Tables pasted from Word (``mso-*`` styles, ``<o:p>``) merge cells across the rows of one decision
(行政处罚信息公开表): each record gets the merged value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import lxml.html

from .html import clean_text, parse_html

T = TypeVar("T", bound=Any)


def _span(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 1000))
    except ValueError:
        return 1


def table_grid(
    table: lxml.html.HtmlElement,
    make_cell: Callable[[lxml.html.HtmlElement], T] | None = None,
) -> list[list[T]]:
    """Rows of cells with merged cells expanded (nested tables are not descended into).

    ``make_cell`` turns a ``<td>``/``<th>`` into the cell value (default: its clean text);
    a merged cell repeats the same value object in every position it covers.
    """
    make = make_cell or (lambda cell: clean_text(cell.text_content()))
    grid: list[list[T]] = []
    pending: dict[tuple[int, int], T] = {}  # (row, col) -> value carried down by a rowspan
    rows = [tr for tr in table.iter("tr") if _owner(tr) is table]
    for r, tr in enumerate(rows):
        row: list[T] = []
        col = 0
        for cell in tr:
            if cell.tag not in ("td", "th"):
                continue
            while (r, col) in pending:
                row.append(pending.pop((r, col)))
                col += 1
            value = make(cell)
            rs, cs = _span(cell.get("rowspan")), _span(cell.get("colspan"))
            for c in range(cs):
                row.append(value)
                for extra in range(1, rs):
                    pending[(r + extra, col + c)] = value
            col += cs
        while (r, col) in pending:
            row.append(pending.pop((r, col)))
            col += 1
        grid.append(row)
    return grid


def _owner(tr: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    node = tr.getparent()
    while node is not None and node.tag != "table":
        node = node.getparent()
    return node


def table_records(table: lxml.html.HtmlElement) -> list[dict[str, str]]:
    """Records keyed by the first row's texts; rows without any value are skipped."""
    grid = [row for row in table_grid(table) if any(row)]
    if len(grid) < 2:
        return []
    header = grid[0]
    out = []
    for row in grid[1:]:
        record = {h: (row[i] if i < len(row) else "") for i, h in enumerate(header) if h}
        if any(record.values()):
            out.append(record)
    return out


def extract_tables(text: str, must_have: str | None = None) -> list[list[dict[str, str]]]:
    """Record lists of every table on the page (only tables whose header holds ``must_have``)."""
    doc = parse_html(text)
    result = []
    for table in doc.iter("table"):
        records = table_records(table)
        if records and (must_have is None or must_have in records[0]):
            result.append(records)
    return result
