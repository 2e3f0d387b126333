"""Exports of findings (and any row list) as table | json | csv | xlsx with stable column names.

Shared by ``zwgk check``, ``zwgk audit`` and ``zwgk findings``. Machine formats (CSV, XLSX,
JSON) use the stable English keys of ``FINDING_COLUMNS``; the terminal table and the
XLSX "说明" sheet use the Chinese labels. Typical use in a command::

    from zwgk.exports import FORMATS, write_findings
    parser.add_argument("--format", choices=FORMATS, default="table")
    parser.add_argument("--out", type=Path)            # needed for xlsx unless stdout is redirected
    write_findings(results, args.format, out=args.out, as_of=as_of)

``results`` may hold ``checks.engine.FindingResult`` objects, ``store.models.Finding`` rows
or plain dicts; ``finding_record`` normalises them.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from zwgk.textcols import display_width as _width
from zwgk.textcols import pad as _pad

FORMATS = ("table", "json", "csv", "xlsx")


@dataclass(frozen=True)
class Column:
    key: str  # stable machine name (CSV/XLSX header, JSON key)
    label: str  # Chinese label for people


FINDING_COLUMNS: tuple[Column, ...] = (
    Column("id", "编号"),
    Column("rule", "指标"),
    Column("kind", "类型"),
    Column("site", "网站"),
    Column("section", "栏目"),
    Column("department", "部门"),
    Column("status", "结论"),
    Column("severity", "严重程度"),
    Column("period", "考核周期"),
    Column("due", "截止日期"),
    Column("message", "说明"),
    Column("uncertain", "日历不确定"),
    Column("evidence_urls", "证据网址"),
    Column("captured_at", "抓取时间（带时区）"),  # values carry their offset (capture_time)
)

STATUS_LABELS = {"pass": "合格", "fail": "不合格", "warn": "预警", "unknown": "无法判断"}
SEVERITY_LABELS = {"veto": "单项否决", "deduct": "扣分", "info": "提示"}

# Model attribute names differ from the result names for these fields.
_MODEL_ALIASES = {"site": "site_id", "section": "section_id", "department": "department_id"}


def _get(obj: Any, name: str) -> Any:
    if isinstance(obj, Mapping):
        if name in obj:
            return obj[name]
        alias = _MODEL_ALIASES.get(name)
        return obj.get(alias) if alias else None
    if hasattr(obj, name):
        return getattr(obj, name)
    alias = _MODEL_ALIASES.get(name)
    return getattr(obj, alias, None) if alias else None


def _plain(value: Any) -> Any:
    """JSON-friendly value: dates as ISO strings, dataclasses as dicts."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(dataclasses.asdict(value))
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def capture_time(value: Any, tz: dt.tzinfo | None = None) -> str | None:
    """An evidence capture time with its UTC offset: stored naive times are UTC (ARCHITECTURE.md).

    With ``tz`` the time is shown in that zone (e.g. 2026-12-01T15:02:56+08:00), else in UTC
    (2026-12-01T07:02:56+00:00); a reader never has to guess which clock it was.
    """
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(value, dt.datetime):
        return str(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(tz or dt.UTC).isoformat(timespec="seconds")


def finding_record(finding: Any, tz: dt.tzinfo | None = None) -> dict[str, Any]:
    """One finding (FindingResult, store Finding or dict) as a JSON-ready dict.

    Keys: id, rule, kind, site, section, department, status, severity, period, due, message,
    uncertain, evidence (list of {url, captured_at, warc_file, warc_offset, warc_length}), details.
    ``captured_at`` carries its offset (see ``capture_time``).
    """
    evidence = []
    for ev in _get(finding, "evidence") or []:
        ev = _plain(ev)
        if isinstance(ev, Mapping):
            record = {k: ev.get(k) for k in ("url", "captured_at", "warc_file", "warc_offset", "warc_length")}
            record["captured_at"] = capture_time(record["captured_at"], tz)
            evidence.append(record)
    return {
        "id": _get(finding, "id"),
        "rule": _get(finding, "rule"),
        "kind": _get(finding, "kind"),
        "site": _get(finding, "site"),
        "section": _get(finding, "section"),
        "department": _get(finding, "department"),
        "status": _get(finding, "status"),
        "severity": _get(finding, "severity"),
        "period": _get(finding, "period"),
        "due": _plain(_get(finding, "due")),
        "message": _get(finding, "message"),
        "uncertain": bool(_get(finding, "uncertain")),
        "evidence": evidence,
        "details": _plain(_get(finding, "details") or {}),
    }


def finding_row(finding: Any, tz: dt.tzinfo | None = None) -> dict[str, Any]:
    """A flat row for CSV/XLSX/table (evidence joined with newlines)."""
    rec = finding if isinstance(finding, Mapping) and "evidence_urls" in finding else finding_record(finding, tz)
    if "evidence_urls" in rec:
        return dict(rec)
    row = {c.key: rec.get(c.key) for c in FINDING_COLUMNS}
    row["evidence_urls"] = "\n".join(str(e.get("url") or "") for e in rec["evidence"])
    row["captured_at"] = "\n".join(str(e.get("captured_at") or "") for e in rec["evidence"])
    return row


def findings_document(
    findings: Iterable[Any], as_of: dt.date | str | None = None, *, tz: dt.tzinfo | None = None, **extra: Any
) -> dict[str, Any]:
    """The JSON document of ARCHITECTURE.md: {"as_of", "findings": [...]} plus any extra keys."""
    doc: dict[str, Any] = {"as_of": _plain(as_of)}
    doc.update({k: _plain(v) for k, v in extra.items()})
    doc["findings"] = [finding_record(f, tz) for f in findings]
    return doc


def binary_to_terminal(fmt: str, out: Path | None) -> str | None:
    """The usage error for an XLSX workbook that would be printed onto a terminal, else None."""
    if fmt == "xlsx" and out is None and sys.stdout.isatty():
        return "XLSX 是二进制文件，请用 --out 文件名 保存（或把标准输出重定向到文件）"
    return None


def exit_code(findings: Iterable[Any]) -> int:
    """The exit status convention of `zwgk check`/`audit`: 1 when any finding fails, else 0."""
    return 1 if any(_get(f, "status") == "fail" for f in findings) else 0


# --------------------------------------------------------------------------- writers


def _cell(value: Any) -> Any:
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def write_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[Column], out: TextIO) -> None:
    """CSV with the stable keys as header (booleans as 是/否, lists as JSON)."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.key for c in columns])
    for row in rows:
        writer.writerow([_cell(row.get(c.key)) for c in columns])


def write_xlsx(
    rows: Iterable[Mapping[str, Any]], columns: Sequence[Column], out: BinaryIO, *, title: str = "结果"
) -> None:
    """XLSX: sheet 1 with the stable keys as header, sheet "说明" mapping keys to Chinese labels."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append([c.key for c in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        values = []
        for c in columns:
            v = _cell(row.get(c.key))
            if isinstance(v, str) and v[:1] in "=+-@":
                v = "'" + v  # crawled text is untrusted: never let it become a formula
            values.append(v)
        ws.append(values)
    for line in ws.iter_rows(min_row=2):
        for cell in line:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    legend = wb.create_sheet("说明")
    legend.append(["key", "含义"])
    for c in columns:
        legend.append([c.key, c.label])
    wb.save(out)




def write_table(
    rows: Iterable[Mapping[str, Any]], columns: Sequence[Column], out: TextIO, *, max_width: int = 60
) -> None:
    """A plain aligned text table with Chinese headers (CJK counted as double width)."""
    cells: list[list[str]] = [[c.label for c in columns]]
    for row in rows:
        line = []
        for c in columns:
            v = row.get(c.key)
            if c.key == "status" and v in STATUS_LABELS:
                v = STATUS_LABELS[v]
            elif c.key == "severity" and v in SEVERITY_LABELS:
                v = SEVERITY_LABELS[v]
            text = str(_cell(v)).replace("\n", " ")
            if _width(text) > max_width:
                while _width(text) > max_width - 1:
                    text = text[:-1]
                text += "…"
            line.append(text)
        cells.append(line)
    widths = [max(_width(r[i]) for r in cells) for i in range(len(columns))]
    for n, r in enumerate(cells):
        out.write("  ".join(_pad(t, w) for t, w in zip(r, widths, strict=True)).rstrip() + "\n")
        if n == 0:
            out.write("  ".join("-" * w for w in widths) + "\n")


def write_rows(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[Column],
    fmt: str,
    out: Path | TextIO | BinaryIO | None = None,
    *,
    document: Mapping[str, Any] | None = None,
    title: str = "结果",
) -> None:
    """Write rows in one of FORMATS to a path, a stream, or stdout (``out=None``).

    ``document`` is what the json format prints (default: ``{"rows": rows}``).
    CSV files written to a path get a UTF-8 BOM so that Excel shows Chinese correctly.
    """
    if fmt not in FORMATS:
        raise ValueError(f"未知的输出格式 `{fmt}`（可用：{'、'.join(FORMATS)}）")
    if fmt == "xlsx":
        if isinstance(out, Path):
            out.parent.mkdir(parents=True, exist_ok=True)
            with out.open("wb") as fh:
                write_xlsx(rows, columns, fh, title=title)
            return
        buffer = io.BytesIO()
        write_xlsx(rows, columns, buffer, title=title)
        stream = out if out is not None else sys.stdout.buffer
        stream.write(buffer.getvalue())  # type: ignore[arg-type]
        return
    text = io.StringIO()
    if fmt == "json":
        payload = document if document is not None else {"rows": [_plain(dict(r)) for r in rows]}
        json.dump(_plain(payload), text, ensure_ascii=False, indent=2)
        text.write("\n")
    elif fmt == "csv":
        write_csv(rows, columns, text)
    else:
        write_table(rows, columns, text)
    if isinstance(out, Path):
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text.getvalue(), encoding="utf-8-sig" if fmt == "csv" else "utf-8")
    else:
        (out or sys.stdout).write(text.getvalue())  # type: ignore[arg-type]


def write_findings(
    findings: Iterable[Any],
    fmt: str,
    out: Path | TextIO | BinaryIO | None = None,
    *,
    as_of: dt.date | str | None = None,
    columns: Sequence[Column] = FINDING_COLUMNS,
    tz: dt.tzinfo | None = None,
    **extra: Any,
) -> None:
    """Write findings: json is ``findings_document``; csv/xlsx/table use ``FINDING_COLUMNS``.

    Capture times are shown in ``tz`` (the configured timezone) with their offset, else in UTC.
    """
    findings = list(findings)
    rows = [finding_row(f, tz) for f in findings]
    document = findings_document(findings, as_of, tz=tz, **extra) if fmt == "json" else None
    write_rows(rows, columns, fmt, out, document=document, title="检查结果")
