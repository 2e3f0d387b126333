"""Job-run recording and the database lease (scheduler lock).

Small functions over ``JobRun`` and ``Lock``; the scheduler and ``zwgk status``
call these instead of writing queries themselves.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from dataclasses import dataclass

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from store.db import Database
from store.models import CrawlRun, JobRun, Lock, OutboxMessage, utcnow

# --------------------------------------------------------------------------- job runs


def start_job(db: Database, job_id: str, kind: str) -> int:
    """Record the start of a job; returns the JobRun id."""
    with db.session() as s:
        run = JobRun(job_id=job_id, kind=kind, started_at=utcnow(), status="running")
        s.add(run)
        s.flush()
        return run.id


def finish_job(db: Database, run_id: int, status: str, message: str | None = None) -> None:
    """Record the outcome (``ok`` | ``failed``) of a job still ``running`` (an abandoned run stays failed)."""
    with db.session() as s:
        s.execute(
            update(JobRun)
            .where(JobRun.id == run_id, JobRun.status == "running")
            .values(status=status, message=message, finished_at=utcnow())
        )


def fail_running_jobs(
    db: Database, message: str, *, run_ids: list[int] | None = None, job_ids: list[str] | None = None
) -> int:
    """Mark jobs still ``running`` as failed (only ``run_ids`` / ``job_ids`` when given); returns how many."""
    stmt = update(JobRun).where(JobRun.status == "running")
    if run_ids is not None:
        stmt = stmt.where(JobRun.id.in_(run_ids))
    if job_ids is not None:
        stmt = stmt.where(JobRun.job_id.in_(job_ids))
    with db.session() as s:
        result = s.execute(stmt.values(status="failed", message=message, finished_at=utcnow()))
        return int(result.rowcount or 0)


def last_success(db: Database, job_id: str) -> dt.datetime | None:
    """Start time (naive UTC) of the last successful run of a job, or None."""
    with db.session() as s:
        return s.scalar(
            select(func.max(JobRun.started_at)).where(JobRun.job_id == job_id, JobRun.status == "ok")
        )


def job_runs(db: Database, job_id: str | None = None) -> list[JobRun]:
    """All runs (of one job), oldest first."""
    stmt = select(JobRun).order_by(JobRun.started_at, JobRun.id)
    if job_id is not None:
        stmt = stmt.where(JobRun.job_id == job_id)
    with db.session() as s:
        return list(s.scalars(stmt))


def last_runs(db: Database) -> dict[str, JobRun]:
    """The most recent run of every job id."""
    latest = (
        select(JobRun.job_id, func.max(JobRun.id).label("max_id")).group_by(JobRun.job_id).subquery()
    )
    stmt = select(JobRun).join(latest, JobRun.id == latest.c.max_id)
    with db.session() as s:
        return {run.job_id: run for run in s.scalars(stmt)}


# --------------------------------------------------------------------------- the lease


def default_holder() -> str:
    """``host:pid`` of this process."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class LeaseInfo:
    name: str
    holder: str
    acquired_at: dt.datetime
    heartbeat_at: dt.datetime


def _holder_dead_here(holder: str) -> bool:
    """True when the holder is a process on this host that no longer exists."""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def acquire_lock(db: Database, name: str, holder: str, *, stale_after: dt.timedelta) -> bool:
    """Take the lease ``name`` for ``holder``.

    Succeeds when the lease is free, already ours, stale (no heartbeat for
    ``stale_after``) or held by a dead process on this host. The update is a
    single conditional statement, so two contenders cannot both win.
    """
    now = utcnow()
    with db.session() as s:
        try:
            with s.begin_nested():
                s.execute(insert(Lock).values(name=name, holder=holder, acquired_at=now, heartbeat_at=now))
            return True
        except IntegrityError:
            pass
        current = s.get(Lock, name)
        if current is None:  # released in between: try again from the start
            return False
        if current.holder == holder:
            takeable = Lock.holder == holder
        elif _holder_dead_here(current.holder):
            takeable = Lock.holder == current.holder
        else:
            takeable = and_(Lock.holder == current.holder, Lock.heartbeat_at < now - stale_after)
        result = s.execute(
            update(Lock)
            .where(Lock.name == name, takeable)
            .values(holder=holder, acquired_at=now, heartbeat_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)


def heartbeat(db: Database, name: str, holder: str) -> bool:
    """Renew our lease; False when it is no longer ours (taken over or released)."""
    with db.session() as s:
        result = s.execute(
            update(Lock)
            .where(Lock.name == name, Lock.holder == holder)
            .values(heartbeat_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)


def release_lock(db: Database, name: str, holder: str) -> bool:
    """Give the lease back (only if we still hold it)."""
    with db.session() as s:
        result = s.execute(delete(Lock).where(Lock.name == name, Lock.holder == holder))
        return bool(result.rowcount)


def lock_info(db: Database, name: str) -> LeaseInfo | None:
    with db.session() as s:
        row = s.get(Lock, name)
        if row is None:
            return None
        return LeaseInfo(row.name, row.holder, row.acquired_at, row.heartbeat_at)


# --------------------------------------------------------------------------- for `zwgk status`


def recent_crawl_runs(db: Database, per_site: int = 3) -> dict[str, list[CrawlRun]]:
    """The latest crawl runs of each site, newest first."""
    ranked = select(
        CrawlRun.id,
        func.row_number()
        .over(partition_by=CrawlRun.site_id, order_by=(CrawlRun.started_at.desc(), CrawlRun.id.desc()))
        .label("rank"),
    ).subquery()
    stmt = (
        select(CrawlRun)
        .join(ranked, CrawlRun.id == ranked.c.id)
        .where(ranked.c.rank <= per_site)
        .order_by(CrawlRun.site_id, CrawlRun.started_at.desc(), CrawlRun.id.desc())
    )
    out: dict[str, list[CrawlRun]] = {}
    with db.session() as s:
        for run in s.scalars(stmt):
            out.setdefault(run.site_id, []).append(run)
    return out


def outbox_counts(db: Database) -> dict[str, int]:
    """Number of outbox messages per status."""
    with db.session() as s:
        rows = s.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
        return {status: int(count) for status, count in rows}
