"""A department sees only its own findings; crawled or configured text cannot inject markup or headers."""

from __future__ import annotations

import email
import io
import re
from email.policy import default
from pathlib import Path

import pytest
from openpyxl import load_workbook
from reports_dataset import AS_OF, FINDINGS, populate, utc, write_settings
from sqlalchemy import select

from reports.build import build_and_queue
from store.models import OutboxMessage

# Strings that belong to 区财政局 or 区政府办公室 only.
FOREIGN = ("区财政局", "财政动态", "政策解读", "czdt", "zcjd", "瑞数", "区政府办公室", "工作动态本周", "gzdt", "现已补发")


def _parts(payload: bytes) -> tuple[email.message.EmailMessage, dict[str, object]]:
    msg = email.message_from_bytes(payload, policy=default)
    parts: dict[str, object] = {}
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype in ("text/plain", "text/html"):
            parts[ctype] = part.get_content()
        elif ctype.endswith("spreadsheetml.sheet"):
            parts["xlsx"] = part.get_content()
            parts["filename"] = part.get_filename()
    return msg, parts


def _xlsx_text(data: bytes) -> str:
    wb = load_workbook(io.BytesIO(data))
    cells = [ws.title for ws in wb.worksheets]
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            cells += [str(v) for v in row if v is not None]
    return "\n".join(cells)


def test_department_report_mail_and_xlsx_hold_only_that_department(tmp_path: Path) -> None:
    config = write_settings(tmp_path)
    db = populate(config)
    build_and_queue(config, db, "department", AS_OF)  # every department
    out = config.reports_dir / "2026-11-20"
    html = (out / "department-mzj.html").read_text(encoding="utf-8")
    text = (out / "department-mzj.txt").read_text(encoding="utf-8")
    xlsx = (out / "department-mzj.xlsx").read_bytes()
    wb = load_workbook(io.BytesIO(xlsx))
    assert wb.sheetnames == ["区民政局"]
    ws = wb["区民政局"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:M4"
    assert [c.value for c in ws[1]][:3] == ["状态", "性质", "指标"]
    for content in (html, text, _xlsx_text(xlsx)):
        assert "民政动态" in content and "城乡低保" in content and "特困供养" in content
        for foreign in FOREIGN:
            assert foreign not in content, foreign
    # the other departments' own reports do show their findings
    assert "财政动态" in (out / "department-czj.txt").read_text(encoding="utf-8")

    with db.session() as s:
        rows = list(s.scalars(select(OutboxMessage)))
    by_recipient: dict[str, list[OutboxMessage]] = {}
    for row in rows:
        by_recipient.setdefault(row.recipient, []).append(row)
    assert sorted(by_recipient) == ["czj@example.gov.cn", "mzj-2@example.gov.cn", "mzj@example.gov.cn", "office@example.gov.cn"]
    for recipient in ("mzj@example.gov.cn", "mzj-2@example.gov.cn"):
        (row,) = by_recipient[recipient]
        assert row.idem_key == f"department:mzj|2026-11-20|{recipient}"
        msg, parts = _parts(row.payload)
        assert msg["To"] == recipient
        for content in (msg["Subject"], parts["text/plain"], parts["text/html"], _xlsx_text(parts["xlsx"])):
            for foreign in FOREIGN:
                assert foreign not in content, (recipient, foreign)
    # scorecards go to the office (+ extra recipients), never to a department
    build_and_queue(config, db, "daily", AS_OF)
    with db.session() as s:
        daily = sorted(m.recipient for m in s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "daily")))
    assert daily == ["leader@example.gov.cn", "office@example.gov.cn"]
    db.dispose()


EVIL = "<script>alert('x')</script>\r\nBcc: victim@evil.example"


def test_script_and_newline_are_harmless_in_html_text_xlsx_and_subject(tmp_path: Path) -> None:
    config = write_settings(tmp_path, mzj_name="区民政局<script>alert(1)</script>\nBcc: boss@evil.example")
    findings = [dict(FINDINGS[1])]
    findings[0].update(
        message=f"《{EVIL}》未按时公开",
        evidence=[{"url": "javascript:alert(document.cookie)", "captured_at": "2026-11-20T06:00:00+08:00"}],
    )
    findings.append(
        dict(FINDINGS[2], message='=HYPERLINK("http://evil.example","点我")', first_detected=utc(19, 1))
    )
    db = populate(config, findings)
    paths = build_and_queue(config, db, "department", AS_OF, department_id="mzj")
    assert [p.name for p in paths] == ["department-mzj.html", "department-mzj.txt", "department-mzj.xlsx"]
    html = paths[0].read_text(encoding="utf-8")
    assert not re.search(r"<script", html, re.I)
    assert "&lt;script&gt;alert(" in html
    assert "javascript:" not in re.findall(r'href="([^"]*)"', html).__str__()
    assert 'href="javascript' not in html

    ws = load_workbook(paths[2]).active
    cells = [c for row in ws.iter_rows(min_row=2) for c in row if isinstance(c.value, str) and c.value.startswith("=")]
    assert cells and all(c.data_type == "s" for c in cells)  # stored as text, not as a formula

    with db.session() as s:
        row = s.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "mzj@example.gov.cn")).one()
    msg, parts = _parts(row.payload)
    subject = msg["Subject"]
    assert "\n" not in subject and "\r" not in subject
    assert "<script>alert(1)</script>" in subject  # shown as text in a plain header, not interpreted
    assert msg.get_all("Bcc") is None
    assert msg.get_all("To") == ["mzj@example.gov.cn"]
    raw_headers = row.payload.split(b"\r\n\r\n", 1)[0]
    assert not re.search(rb"^Bcc:", raw_headers, re.M | re.I)
    assert not re.search(r"<script", str(parts["text/html"]), re.I)
    db.dispose()


@pytest.mark.parametrize("name", ["区民政局", "a" * 40, "x[1]:y*z?/\\w"])
def test_sheet_titles_are_legal(name: str) -> None:
    from reports.xlsx import sheet_title

    taken: set[str] = set()
    first, second = sheet_title(name, taken), sheet_title(name, taken)
    for title in (first, second):
        assert len(title) <= 31 and not set(title) & set("[]:*?/\\")
    assert first != second
