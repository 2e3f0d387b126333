"""zwgk/exports.py: stable columns in every format, JSON shape of ARCHITECTURE.md."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from zwgk.exports import FINDING_COLUMNS, exit_code, write_findings

FINDINGS = [
    {
        "rule": "ogi.annual_report_department",
        "kind": "annual_report",
        "site": "mz",
        "section": "nb",
        "department": "mzj",
        "status": "fail",
        "severity": "deduct",
        "period": "2025",
        "due": dt.date(2026, 1, 31),
        "message": "表三 第一项 总计 列：一+二=12，三（七）+四=11",
        "uncertain": False,
        "evidence": [{"url": "http://127.0.0.1/nb.html", "captured_at": dt.datetime(2026, 2, 1, 3, 0)}],
        "details": {"table": "表三"},
    },
    {"rule": "x", "kind": "cadence", "site_id": "s", "status": "pass", "message": '=HYPERLINK("evil")'},
]
KEYS = [c.key for c in FINDING_COLUMNS]


def test_json_document_shape() -> None:
    out = io.StringIO()
    write_findings(FINDINGS, "json", out, as_of=dt.date(2026, 2, 1))
    doc = json.loads(out.getvalue())
    assert doc["as_of"] == "2026-02-01"
    first = doc["findings"][0]
    assert first["due"] == "2026-01-31"
    assert first["evidence"][0]["url"] == "http://127.0.0.1/nb.html"
    assert first["evidence"][0]["captured_at"] == "2026-02-01T03:00:00+00:00"  # stored naive = UTC, now explicit
    assert doc["findings"][1]["site"] == "s"  # model attribute alias site_id -> site


def test_csv_header_is_stable_and_file_has_bom(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    write_findings(FINDINGS, "csv", path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == KEYS
    assert rows[1][KEYS.index("status")] == "fail"
    assert rows[1][KEYS.index("evidence_urls")] == "http://127.0.0.1/nb.html"
    assert rows[1][KEYS.index("uncertain")] == "否"


def test_xlsx_header_legend_and_no_formula(tmp_path: Path) -> None:
    path = tmp_path / "f.xlsx"
    write_findings(FINDINGS, "xlsx", path)
    wb = load_workbook(path)
    ws = wb.worksheets[0]
    assert [c.value for c in ws[1]] == KEYS
    assert ws.cell(row=2, column=KEYS.index("message") + 1).value.startswith("表三")
    assert ws.cell(row=3, column=KEYS.index("message") + 1).value.startswith("'=")
    legend = {r[0]: r[1] for r in wb["说明"].iter_rows(min_row=2, values_only=True)}
    assert legend["status"] == "结论"
    assert legend["captured_at"] == "抓取时间（带时区）"  # values carry their UTC offset


def test_table_uses_chinese_labels() -> None:
    out = io.StringIO()
    write_findings(FINDINGS, "table", out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("编号") and "结论" in lines[0] and lines[0].rstrip().endswith("抓取时间（带时区）")
    assert "不合格" in lines[2] and "合格" in lines[3]


def test_exit_code_and_bad_format() -> None:
    assert exit_code(FINDINGS) == 1
    assert exit_code(FINDINGS[1:]) == 0
    with pytest.raises(ValueError):
        write_findings(FINDINGS, "yaml", io.StringIO())
