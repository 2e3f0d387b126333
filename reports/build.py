"""Render reports, write them under reports_dir/YYYY-MM-DD/, and queue their delivery in the outbox.

Order of work: render → write files → commit outbox rows (one transaction with the
weekly ScoreRecords) → a later ``flush_outbox`` sends and marks them sent. A crash
after the commit loses nothing; a rerun finds the idempotency keys and queues nothing twice.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from pathlib import Path

from sqlalchemy.orm import Session

from reports import queries, scorecards
from reports.mail import build_message, safe_subject
from reports.render import render
from reports.scorecards import Report
from reports.xlsx import workbook_bytes
from store.db import Database
from store.models import OutboxMessage, utcnow
from zwgk.config import Config

KINDS = ("daily", "weekly", "department")


def build_and_queue(
    config: Config, db: Database, kind: str, as_of: dt.date, *, department_id: str | None = None
) -> list[Path]:
    """Build one report kind for ``as_of``; ``department`` without an id builds every department's."""
    if kind not in KINDS:
        raise ValueError(f"未知的报告类型 `{kind}`（可选：{'、'.join(KINDS)}）")
    if department_id is not None and department_id not in {d.id for d in config.departments}:
        raise ValueError(f"未知部门 `{department_id}`")
    out_dir = config.reports_dir / as_of.isoformat()
    paths: list[Path] = []
    with db.session() as session:
        for report in _reports(config, session, kind, as_of, department_id):
            html, text = render(report.kind, report.context)
            xlsx = workbook_bytes(report.sheets)
            for ext, data in (("html", html.encode("utf-8")), ("txt", text.encode("utf-8")), ("xlsx", xlsx)):
                path = out_dir / f"{report.stem}.{ext}"
                write_atomic(path, data)
                paths.append(path)
            enqueue(session, config, report, html, text, xlsx)
    return paths


def _reports(
    config: Config, session: Session, kind: str, as_of: dt.date, department_id: str | None
) -> list[Report]:
    if kind == "daily":
        return [scorecards.daily(config, session, as_of)]
    if kind == "weekly":
        return [scorecards.weekly(config, session, as_of)]
    ids = [department_id] if department_id else [d.id for d in config.departments]
    snap = scorecards.snapshot(config, session, as_of)  # read once for every department
    return [scorecards.department(config, session, as_of, dep, snap=snap) for dep in ids]


def write_atomic(path: Path, data: bytes) -> None:
    """Write via a temporary file and rename, so a reader never sees half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def recipients(config: Config, report: Report) -> list[str]:
    """Departments receive only their own report; the office (+ extras) receives the scorecards."""
    if report.kind == "department":
        emails = list(config.department(report.department_id or "").emails)
    else:
        office = config.office
        emails = list(office.emails if office else ()) + list(config.mail.office_recipients_extra)
    seen: set[str] = set()
    return [e for e in emails if not (e.lower() in seen or seen.add(e.lower()))]


def subject(report: Report) -> str:
    c = report.context
    if report.kind == "daily":
        fails = sum(1 for r in c["open"] if r.status == "fail")
        text = f"【政务公开日报】{report.as_of} {c['overall']}：未通过{fails}项，新增{len(c['new'])}项，逾期{len(c['overdue'])}项"
    elif report.kind == "weekly":
        bad = sum(1 for r in c["ranking"] if r["score"].verdict != "合格")
        text = f"【政务公开周报】{report.period} 部门得分与排名：不合格{bad}个"
    else:
        text = f"【政务公开问题清单】{c['department'].name} {report.as_of}：待整改{len(c['open'])}项"
        if c["open"]:
            text += f"，最紧急：{c['open'][0].message[:40]}"
    return safe_subject(text)


def idem_key(report: Report, recipient: str) -> str:
    kind = report.kind if report.department_id is None else f"department:{report.department_id}"
    return f"{kind}|{report.period}|{recipient}"


def enqueue(session: Session, config: Config, report: Report, html: str, text: str, xlsx: bytes) -> int:
    """Add one outbox row per recipient and webhook unless its key is already queued; returns rows added."""
    added = 0
    if report.kind == "department" and not (report.context["open"] or report.context["resolved"]):
        return 0  # nothing to do and nothing fixed: the files are written, nobody is mailed
    title = subject(report)
    now = utcnow()
    for recipient in recipients(config, report):
        key = idem_key(report, recipient)
        if queries.outbox_by_key(session, key) is not None:
            continue
        payload = build_message(
            sender=config.mail.sender,
            recipient=recipient,
            subject=title,
            text=text,
            html=html,
            attachment=(f"{report.stem}-{report.period}.xlsx", xlsx),
            idem_key=key,
            date=now,
        )
        session.add(_row(key, "smtp", report, recipient, title, payload))
        added += 1
    for hook in config.webhooks:
        if report.kind == "department":
            wanted = report.department_id in hook.departments
        else:
            wanted = not hook.departments
        if not wanted:
            continue
        recipient = f"webhook:{hook.id}"
        key = idem_key(report, recipient)
        if queries.outbox_by_key(session, key) is not None:
            continue
        body = webhook_body(report, hook.report_base_url)
        payload = json.dumps({"title": title, "body": body}, ensure_ascii=False).encode("utf-8")
        session.add(_row(key, "webhook", report, recipient, title, payload))
        added += 1
    session.flush()
    return added


def webhook_body(report: Report, base_url: str) -> str:
    """A short Chinese summary with a link to the written report (no crawled text in robot messages)."""
    body = report.summary
    if base_url:
        body += f"\n详情：{base_url.rstrip('/')}/{report.as_of.isoformat()}/{report.stem}.html"
    return body


def _row(key: str, channel: str, report: Report, recipient: str, title: str, payload: bytes) -> OutboxMessage:
    return OutboxMessage(
        idem_key=key,
        channel=channel,
        kind=report.kind,
        period=report.period,
        recipient=recipient,
        subject=title,
        payload=payload,
        status="pending",
        attempts=0,
    )
