"""A workbook too large to mail stays in the reports directory; the mail and the report say where."""

from __future__ import annotations

import email
import io
from email.policy import default
from pathlib import Path

import pytest
from openpyxl import load_workbook
from reports_dataset import AS_OF, populate, write_settings
from sqlalchemy import select

from reports import build
from store.models import OutboxMessage


def _mails(db, kind: str) -> list[email.message.EmailMessage]:  # type: ignore[no-untyped-def]
    with db.session() as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind, OutboxMessage.channel == "smtp"))
        return [email.message_from_bytes(m.payload, policy=default) for m in rows]


def test_large_workbook_is_not_attached_but_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_settings(tmp_path)
    db = populate(config)
    out = config.reports_dir / AS_OF.isoformat()
    build.build_and_queue(config, db, "department", AS_OF, department_id="mzj")  # small: attached as before
    small = (out / "department-mzj.xlsx").stat().st_size
    monkeypatch.setattr(build, "ATTACH_MAX_BYTES", small + 1)
    build.build_and_queue(config, db, "daily", AS_OF)  # the district workbook is larger than the department's
    daily_xlsx = out / "daily.xlsx"
    assert daily_xlsx.stat().st_size > small + 1
    mails = _mails(db, "daily")
    assert len(mails) == 2  # office + the extra recipient
    for msg in mails:
        assert [p.get_content_type() for p in msg.walk() if not p.is_multipart()] == ["text/plain", "text/html"]
        for part in msg.walk():
            if not part.is_multipart():
                content = part.get_content()
                assert "超过邮件附件上限" in content and "未随邮件附上" in content
                assert str(daily_xlsx) in content
    for ext in ("html", "txt"):  # the written report says the same
        assert str(daily_xlsx) in (out / f"daily.{ext}").read_text(encoding="utf-8")
    assert load_workbook(io.BytesIO(daily_xlsx.read_bytes())).sheetnames[0] == "部门汇总"  # written whole
    deps = _mails(db, "department")
    assert deps
    for dep in deps:
        kinds = [p.get_content_type() for p in dep.walk() if not p.is_multipart()]
        assert kinds[-1].endswith("spreadsheetml.sheet")  # under the limit: attached as before
    assert "超过邮件附件上限" not in (out / "department-mzj.txt").read_text(encoding="utf-8")
    db.dispose()


def test_note_names_size_and_limit() -> None:
    note = build.workbook_note(Path("/srv/reports/2026-11-20/daily.xlsx"), 12 * 2**20 + 300_000)
    assert note == (
        "本期完整明细工作簿 daily.xlsx（12.3 MB）超过邮件附件上限 5 MB，未随邮件附上，"
        "请到报告目录取用：/srv/reports/2026-11-20/daily.xlsx"
    )
