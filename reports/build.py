"""Render reports, write them under reports_dir/YYYY-MM-DD/, and queue their delivery in the outbox.

Order of work: render → write files → commit outbox rows (one transaction with the
weekly ScoreRecords) → a later ``flush_outbox`` sends and marks them sent. A crash
after the commit loses nothing; a rerun finds the idempotency keys and queues nothing twice.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import tempfile
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from sqlalchemy.orm import Session

from reports import queries, scorecards
from reports.mail import build_message, safe_subject
from reports.model import local_day_end_utc
from reports.render import render
from reports.scorecards import Report
from reports.xlsx import workbook_bytes
from store.db import Database
from store.models import OutboxMessage, utcnow
from zwgk.config import Config

KINDS = ("daily", "weekly", "department")
PARALLEL_MIN = 50  # departments: from this many on, department reports are built in several processes
# A workbook above this is not attached (base64 makes it a third larger; many mail systems refuse
# messages over 10 MB): the mail says where the written workbook is instead. A district's stays far below.
ATTACH_MAX_BYTES = 5 * 2**20
# The work of one department's report beyond its findings (files, workbook, message), in findings.
DEPARTMENT_COST = 20


@dataclass
class Outgoing:
    """A built report as its delivery needs it: written files, subject, summary and one MIME message per recipient."""

    kind: str
    period: str
    as_of: dt.date
    stem: str
    department_id: str | None
    subject: str
    summary: str
    paths: list[Path]
    mails: list[tuple[str, bytes]]  # (recipient, RFC 5322 message)
    quiet: bool = False  # a department with nothing open and nothing fixed: files written, nobody mailed


def build_and_queue(
    config: Config,
    db: Database,
    kind: str,
    as_of: dt.date,
    *,
    department_id: str | None = None,
    workers: int | None = None,
) -> list[Path]:
    """Build one report kind for ``as_of``; ``department`` without an id builds every department's.

    ``workers``: processes for every department's reports (default: one per core, up to 2,
    once there are PARALLEL_MIN departments; each extra process reads its own snapshot).
    """
    if kind not in KINDS:
        raise ValueError(f"未知的报告类型 `{kind}`（可选：{'、'.join(KINDS)}）")
    if department_id is not None and department_id not in {d.id for d in config.departments}:
        raise ValueError(f"未知部门 `{department_id}`")
    now = utcnow()
    paths: list[Path] = []
    with db.session() as session:
        if kind == "department" and department_id is None:
            ids = [d.id for d in config.departments]
            return _departments(config, session, as_of, ids, now, _workers(workers, len(ids)))
        reports = _reports(config, session, kind, as_of, department_id)
        with frozen_heap():
            built = [make(config, r, now) for r in reports]
        for out in built:
            paths.extend(out.paths)
            enqueue(session, config, out, now)
    return paths


def _workers(requested: int | None, departments: int) -> int:
    if requested is not None:
        return max(1, requested)
    return min(2, os.cpu_count() or 1) if departments >= PARALLEL_MIN else 1


def make(config: Config, report: Report, now: dt.datetime) -> Outgoing:
    """Render, write the files under reports_dir/<date>/ and build each recipient's message (no database).

    A workbook over ATTACH_MAX_BYTES stays in the reports directory; the report says so and where.
    """
    xlsx = workbook_bytes(report.sheets)
    out_dir = config.reports_dir / report.as_of.isoformat()
    attach = len(xlsx) <= ATTACH_MAX_BYTES
    context = report.context
    if not attach:
        context = {**context, "workbook_note": workbook_note(out_dir / f"{report.stem}.xlsx", len(xlsx))}
    html, text = render(report.kind, context)
    paths = []
    for ext, data in (("html", html.encode("utf-8")), ("txt", text.encode("utf-8")), ("xlsx", xlsx)):
        path = out_dir / f"{report.stem}.{ext}"
        write_atomic(path, data)
        paths.append(path)
    title = subject(report)
    quiet = report.kind == "department" and not (report.context["open"] or report.context["resolved"])
    mails = []
    if not quiet:
        for recipient in recipients(config, report):
            payload = build_message(
                sender=config.mail.sender,
                recipient=recipient,
                subject=title,
                text=text,
                html=html,
                attachment=(f"{report.stem}-{report.period}.xlsx", xlsx) if attach else None,
                idem_key=idem_key(report.kind, report.department_id, report.period, recipient),
                date=now,
            )
            mails.append((recipient, payload))
    return Outgoing(report.kind, report.period, report.as_of, report.stem, report.department_id, title,
                    report.summary, paths, mails, quiet)


def workbook_note(path: Path, size: int) -> str:
    """The sentence a report carries instead of an attachment that is too large to mail."""
    return (
        f"本期完整明细工作簿 {path.name}（{size / 2**20:.1f} MB）超过邮件附件上限 {ATTACH_MAX_BYTES / 2**20:g} MB，"
        f"未随邮件附上，请到报告目录取用：{path}"
    )


def _reports(
    config: Config, session: Session, kind: str, as_of: dt.date, department_id: str | None
) -> list[Report]:
    if kind == "daily":
        return [scorecards.daily(config, session, as_of)]
    if kind == "weekly":
        return [scorecards.weekly(config, session, as_of)]
    ids = [department_id] if department_id else [d.id for d in config.departments]
    snap = scorecards.snapshot(config, session, as_of, ids)  # read once for every department
    return [scorecards.department(config, session, as_of, dep, snap=snap) for dep in ids]


def _departments(
    config: Config, session: Session, as_of: dt.date, ids: list[str], now: dt.datetime, workers: int
) -> list[Path]:
    """Every department's report, files written and outbox rows committed; returns the paths in ``ids`` order.

    With ``workers`` > 1, shares of about equal work (``balanced_shares``) go to other processes
    (spawned: the scheduler is multi-threaded, no fork). Each process reads its own snapshot,
    writes its departments' files and queues their outbox rows in its own transaction: the
    messages never cross a pipe and one process does not insert every department's payloads.
    Each department's report comes from one snapshot, as before; a crash after one share is
    committed leaves that share queued, and the rerun queues only the rest (idempotency keys).
    """
    if workers <= 1:
        return [p for paths in _build_share(config, session, as_of, ids, now).values() for p in paths]
    weights = queries.open_findings_per_department(session, local_day_end_utc(as_of, config.general.tz))
    shares = balanced_shares(ids, weights, workers)
    with ProcessPoolExecutor(max_workers=workers - 1, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(_departments_child, config, as_of, share, now) for share in shares[1:]]
        built = _build_share(config, session, as_of, shares[0], now)
        # Committed before waiting: a writer waiting for another process must not hold the write lock.
        session.commit()
        for future in futures:
            built.update(future.result())
    return [p for dep in ids for p in built[dep]]


def balanced_shares(ids: list[str], weights: dict[str, int], n: int) -> list[list[str]]:
    """Split ``ids`` into ``n`` shares of about equal work, each share in ``ids`` order.

    A department's work is its open findings (what its report lists) plus DEPARTMENT_COST for
    the files and the message. Largest first, each to the share with the least work so far.
    Splitting by position instead (ids[k::n]) gave the first process 78 % of a province's
    findings (2,000-site bench: departments d002, d012, … own about 2,000 each).
    """
    order = {dep: i for i, dep in enumerate(ids)}
    shares: list[list[str]] = [[] for _ in range(n)]
    loads = [0] * n
    for dep in sorted(ids, key=lambda d: (-weights.get(d, 0), order[d])):
        k = min(range(n), key=lambda i: (loads[i], i))
        shares[k].append(dep)
        loads[k] += weights.get(dep, 0) + DEPARTMENT_COST
    return [sorted(share, key=order.__getitem__) for share in shares]


def _build_share(
    config: Config, session: Session, as_of: dt.date, ids: list[str], now: dt.datetime
) -> dict[str, list[Path]]:
    """One snapshot, then each given department's report: files written, outbox rows added to ``session``.

    Rows are added after every report is built, so that a write transaction (SQLite: the database's
    one write lock, which another process's share waits for) lasts only as long as the inserts.
    Returns each department's written paths.
    """
    share = ids if len(ids) < len(config.departments) else None  # a share: only its departments' findings
    snap = scorecards.snapshot(config, session, as_of, share)
    with frozen_heap():
        built = [make(config, scorecards.department(config, session, as_of, dep, snap=snap), now) for dep in ids]
    for out in built:
        enqueue(session, config, out, now)
    return {out.department_id or "": out.paths for out in built}


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Leave the objects alive now (the snapshot's rows) out of garbage collection while reports are built.

    Rendering allocates enough to trigger full collections, each walking every finding row
    again: 2,000 sites, every department's report in one process, 37.3 -> 22.3 s CPU with
    the collector off. ``gc.unfreeze`` hands the objects back to the collector afterwards.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _departments_child(config: Config, as_of: dt.date, ids: list[str], now: dt.datetime) -> dict[str, list[Path]]:
    """In another process: its own read of the database, the given departments' reports and outbox rows."""
    db = Database(config.database_url)
    try:
        with db.session() as session:
            return _build_share(config, session, as_of, ids, now)
    finally:
        db.dispose()


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
        text = f"【政务公开日报】{report.as_of} {c['overall']}：未通过{c['fails']}项，新增{len(c['new'])}项，逾期{len(c['overdue'])}项"
    elif report.kind == "weekly":
        bad = sum(1 for r in c["ranking"] if r["score"].verdict != "合格")
        text = f"【政务公开周报】{report.period} 部门得分与排名：不合格{bad}个"
    else:
        text = f"【政务公开问题清单】{c['department'].name} {report.as_of}：待整改{len(c['open'])}项"
        if c["open"]:
            text += f"，最紧急：{c['open'][0].message[:40]}"
    return safe_subject(text)


def idem_key(kind: str, department_id: str | None, period: str, recipient: str) -> str:
    kind = kind if department_id is None else f"department:{department_id}"
    return f"{kind}|{period}|{recipient}"


def enqueue(session: Session, config: Config, out: Outgoing, now: dt.datetime) -> int:
    """Add one outbox row per recipient and webhook unless its key is already queued; returns rows added."""
    if out.quiet:
        return 0  # nothing to do and nothing fixed: the files are written, nobody is mailed
    added = 0
    for recipient, payload in out.mails:
        key = idem_key(out.kind, out.department_id, out.period, recipient)
        if queries.outbox_by_key(session, key) is not None:
            continue
        session.add(_row(key, "smtp", out, recipient, payload))
        added += 1
    for hook in config.webhooks:
        if out.kind == "department":
            wanted = out.department_id in hook.departments
        else:
            wanted = not hook.departments
        if not wanted:
            continue
        recipient = f"webhook:{hook.id}"
        key = idem_key(out.kind, out.department_id, out.period, recipient)
        if queries.outbox_by_key(session, key) is not None:
            continue
        body = webhook_body(out, hook.report_base_url)
        payload = json.dumps({"title": out.subject, "body": body}, ensure_ascii=False).encode("utf-8")
        session.add(_row(key, "webhook", out, recipient, payload))
        added += 1
    session.flush()
    return added


def webhook_body(out: Outgoing, base_url: str) -> str:
    """A short Chinese summary with a link to the written report (no crawled text in robot messages)."""
    body = out.summary
    if base_url:
        body += f"\n详情：{base_url.rstrip('/')}/{out.as_of.isoformat()}/{out.stem}.html"
    return body


def _row(key: str, channel: str, out: Outgoing, recipient: str, payload: bytes) -> OutboxMessage:
    return OutboxMessage(
        idem_key=key,
        channel=channel,
        kind=out.kind,
        period=out.period,
        recipient=recipient,
        subject=out.subject,
        payload=payload,
        status="pending",
        attempts=0,
    )
