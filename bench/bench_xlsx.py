"""XLSX writers on the reports' real rows: openpyxl write-only (the previous writer), XlsxWriter
``constant_memory`` (if installed: ``pip install xlsxwriter==3.3.1``) and reports.ooxml (the current one).

    .venv/bin/python bench/bench_xlsx.py --sites 2000 --runs 3

Rows: the daily scorecard's district sheet (every open finding, 部门 column + 13) of the
bench_reports store as of 2026-11-20. Each writer produces the same layout (header style, widths,
frozen header, autofilter, yyyy-mm-dd dates, text never a formula); CPU seconds per workbook, median.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_reports  # noqa: E402
from bench_checks import AS_OF  # noqa: E402


def openpyxl_write_only(sheet: Any) -> bytes:
    """The writer the reports used before reports.ooxml (openpyxl write-only mode)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet.title)
    for i, width in enumerate(sheet.widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.auto_filter.ref = f"A1:{get_column_letter(len(sheet.headers))}{1 + len(sheet.rows)}"
    ws.freeze_panes = "A2"
    header = []
    for value in sheet.headers:
        cell = WriteOnlyCell(ws, value=value)
        cell.font, cell.fill = Font(bold=True), PatternFill("solid", fgColor="DDE6F0")
        cell.alignment = Alignment(vertical="center")
        header.append(cell)
    ws.append(header)
    for row in sheet.rows:
        out = []
        for value in row:
            if isinstance(value, str) and value.startswith("="):
                cell = WriteOnlyCell(ws, value=value)
                cell.data_type = "s"
                value = cell
            elif hasattr(value, "year"):
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = "yyyy-mm-dd"
                value = cell
            out.append(value)
        ws.append(out)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def xlsxwriter_constant_memory(sheet: Any) -> bytes:
    import datetime as dt

    import xlsxwriter

    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"constant_memory": True, "strings_to_urls": False,
                                      "strings_to_formulas": False, "strings_to_numbers": False})
    ws = wb.add_worksheet(sheet.title)
    head = wb.add_format({"bold": True, "bg_color": "#DDE6F0", "valign": "vcenter"})
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    for i, width in enumerate(sheet.widths):
        ws.set_column(i, i, width)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, len(sheet.rows), len(sheet.headers) - 1)
    ws.write_row(0, 0, sheet.headers, head)
    for r, row in enumerate(sheet.rows, start=1):
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, str):
                ws.write_string(r, c, value)
            elif isinstance(value, dt.date):
                ws.write_datetime(r, c, value, date)
            else:
                ws.write_number(r, c, value)
    wb.close()
    return buffer.getvalue()


def ooxml(sheet: Any) -> bytes:
    from reports.xlsx import workbook_bytes

    return workbook_bytes([sheet])


def district_sheet(sites: int) -> Any:
    from reports import scorecards
    from reports.xlsx import findings_sheet
    from store.db import Database
    from zwgk.config import load_config

    settings = bench_reports.fresh_copy(sites, "xlsx")
    config = load_config(settings)
    db = Database(config.database_url)
    with db.session() as session:
        snap = scorecards.snapshot(config, session, AS_OF)
    db.dispose()
    bench_reports.drop_copy(settings)
    return findings_sheet("区", [r for r in snap.rows if r.is_open], with_department=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sheet = district_sheet(args.sites)
    cells = len(sheet.rows) * len(sheet.headers)
    writers = [("openpyxl write-only", openpyxl_write_only), ("reports.ooxml", ooxml)]
    try:
        import xlsxwriter

        writers.insert(1, (f"XlsxWriter {xlsxwriter.__version__} constant_memory", xlsxwriter_constant_memory))
    except ImportError:
        print("XlsxWriter not installed: skipped", file=sys.stderr)
    out = {"sites": args.sites, "rows": len(sheet.rows), "cells": cells}
    for name, write in writers:
        samples, size = [], 0
        for _ in range(args.runs):
            started = time.process_time()
            size = len(write(sheet))
            samples.append(time.process_time() - started)
        cpu = statistics.median(samples)
        out[name] = {"cpu_s": round(cpu, 2), "cells_per_s": round(cells / cpu), "mb": round(size / 2**20, 1)}
        print(json.dumps({name: out[name]}), file=sys.stderr)
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
