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
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import TypeVar

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
# A district report (daily, weekly) built beside the department shares, per open finding of the
# district, in the department reports' findings (balanced_shares' ``head``). 2,000 sites, after the
# department reports got cheaper (wall timeline of both processes, one lock hold): 0.35 -> the second
# process done 4.2 s before the main one, build 25.2 s; 0.42 -> the main one waits ≈ 1.1 s, 24.2 / 24.1 s.
DISTRICT_COST = 0.42

T = TypeVar("T")


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
    if department_id is None:
        return build_and_queue_kinds(config, db, [kind], as_of, workers=workers)[kind]
    now = utcnow()
    with db.session() as session:
        snap = scorecards.snapshot(config, session, as_of, [department_id])
        with frozen_heap():
            out = make(config, scorecards.department(config, session, as_of, department_id, snap=snap), now)
        enqueue(session, config, out, now)
    return out.paths


def build_and_queue_kinds(
    config: Config, db: Database, kinds: Sequence[str], as_of: dt.date, *, workers: int | None = None
) -> dict[str, list[Path]]:
    """``build_kinds``, raising the first kind's error (after every other kind is built and queued)."""
    outcomes = build_kinds(config, db, kinds, as_of, workers=workers)
    for outcome in outcomes.values():
        if isinstance(outcome, Exception):
            raise outcome
    return {kind: outcome for kind, outcome in outcomes.items() if not isinstance(outcome, Exception)}


def build_kinds(
    config: Config, db: Database, kinds: Sequence[str], as_of: dt.date, *, workers: int | None = None
) -> dict[str, list[Path] | Exception]:
    """Several report kinds of one day (``department``: every department's), from one read of the findings.

    Each kind gives what ``build_and_queue`` gives for it: the same files, outbox rows and
    idempotency keys, its own transaction (the weekly's ScoreRecords with its outbox rows).
    What is shared: the district reports (daily, weekly) and the main process's share of the
    department reports are built from one snapshot, and with ``workers`` > 1 the other
    processes build their department shares while the main process builds the district
    reports (``balanced_shares`` counts those as the main process's work). A kind that fails
    is returned as its exception; the other kinds are still built and queued.

    Department shares: the other processes are spawned (the scheduler is multi-threaded, no
    fork); each reads its own snapshot of its departments, writes their files and queues their
    outbox rows in its own transaction, so messages never cross a pipe. Each department's report
    comes from one snapshot; a crash after a share is committed leaves it queued, and the rerun
    queues only the rest (idempotency keys). Returns each kind's paths (departments in config order).
    """
    wanted = list(dict.fromkeys(kinds))
    for kind in wanted:
        if kind not in KINDS:
            raise ValueError(f"未知的报告类型 `{kind}`（可选：{'、'.join(KINDS)}）")
    # The weekly first: its ScoreRecords hold the write lock while it is rendered, and the other
    # processes' department shares, which queue their rows at the end of their work, are still rendering then.
    district = sorted((k for k in wanted if k != "department"), key=("weekly", "daily").index)
    ids = [d.id for d in config.departments] if "department" in wanted else []
    now = utcnow()
    results: dict[str, list[Path] | Exception] = {}
    with db.session() as session, ExitStack() as stack:
        mine: list[str] = ids
        futures: list[Future[dict[str, list[Path]]]] = []
        n = _workers(workers, len(ids)) if ids else 1
        if n > 1:
            weights = queries.open_findings_per_department(session, local_day_end_utc(as_of, config.general.tz))
            head = round(DISTRICT_COST * len(district) * sum(weights.values()))
            shares = balanced_shares(ids, weights, n, head=head)
            pool = stack.enter_context(ProcessPoolExecutor(max_workers=n - 1, mp_context=get_context("spawn")))
            futures = [pool.submit(_departments_child, config, as_of, share, now) for share in shares[1:]]
            mine = shares[0]
        built: dict[str, list[Path]] = {}
        try:
            only = None if district or len(mine) == len(config.departments) else mine
            snap = scorecards.snapshot(config, session, as_of, only) if district or mine else None
        except Exception as exc:  # every kind of this process needed it
            results.update(dict.fromkeys(district, exc))
            department_error: Exception | None = exc if mine else None
        else:
            for kind in district:
                results[kind] = _committed(session, lambda kind=kind: _district_report(config, session, kind, snap, now))
            department_error = None
            if mine:
                outcome = _committed(session, lambda: _build_share(config, session, as_of, mine, now, snap=snap))
                if isinstance(outcome, Exception):
                    department_error = outcome
                else:
                    built.update(outcome)
        for future in futures:  # the main process's transactions are committed: no one waits for its write lock
            try:
                built.update(future.result())
            except Exception as exc:
                department_error = department_error or exc
        if "department" in wanted:
            results["department"] = department_error or [p for dep in ids for p in built[dep]]
    return {kind: results[kind] for kind in wanted}


def _committed(session: Session, work: Callable[[], T]) -> T | Exception:
    """``work``'s result after committing what it added, or its exception after rolling that back."""
    try:
        result = work()
        session.commit()
    except Exception as exc:
        session.rollback()
        return exc
    return result


def _district_report(
    config: Config, session: Session, kind: str, snap: scorecards.Snapshot, now: dt.datetime
) -> list[Path]:
    """The daily or weekly report from ``snap``: files written, outbox rows added to ``session``."""
    build = scorecards.daily if kind == "daily" else scorecards.weekly
    report = build(config, session, snap.as_of, snap=snap)
    with frozen_heap():
        out = make(config, report, now)
    enqueue(session, config, out, now)
    return out.paths


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
    html_bytes, text_bytes = html.encode("utf-8"), text.encode("utf-8")  # encoded once: files and messages
    paths = []
    for ext, data in (("html", html_bytes), ("txt", text_bytes), ("xlsx", xlsx)):
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
                text=text_bytes,
                html=html_bytes,
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


def balanced_shares(ids: list[str], weights: dict[str, int], n: int, *, head: int = 0) -> list[list[str]]:
    """Split ``ids`` into ``n`` shares of about equal work, each share in ``ids`` order.

    A department's work is its open findings (what its report lists) plus DEPARTMENT_COST for
    the files and the message. Largest first, each to the share with the least work so far.
    Splitting by position instead (ids[k::n]) gave the first process 78 % of a province's
    findings (2,000-site bench: departments d002, d012, … own about 2,000 each).
    ``head``: work the first share's process has besides (the district reports), in findings.
    """
    order = {dep: i for i, dep in enumerate(ids)}
    shares: list[list[str]] = [[] for _ in range(n)]
    loads = [head] + [0] * (n - 1)
    for dep in sorted(ids, key=lambda d: (-weights.get(d, 0), order[d])):
        k = min(range(n), key=lambda i: (loads[i], i))
        shares[k].append(dep)
        loads[k] += weights.get(dep, 0) + DEPARTMENT_COST
    return [sorted(share, key=order.__getitem__) for share in shares]


def _build_share(
    config: Config, session: Session, as_of: dt.date, ids: list[str], now: dt.datetime,
    *, snap: scorecards.Snapshot | None = None,
) -> dict[str, list[Path]]:
    """One snapshot (or ``snap``, already read), then each given department's report: files written,
    outbox rows added to ``session``.

    Rows are added after every report is built, so that a write transaction (SQLite: the database's
    one write lock, which another process's share waits for) lasts only as long as the inserts.
    Returns each department's written paths.
    """
    if snap is None:
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
