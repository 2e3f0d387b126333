"""Start one child process per site (``python -m crawler``), a few at a time, each with a timeout.

The Twisted reactor cannot restart inside a long-lived parent (scheduler, CLI), and a
child keeps a site's memory and failures to itself. A site that is down or hangs is
recorded in its CrawlRun; it never crashes the caller.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from crawler.child import create_run
from crawler.spider import HOME_SECTION
from store.db import Database
from store.models import CrawlRun, SectionCrawl, utcnow
from zwgk.config import Config

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class CrawlOutcome:
    """What happened to one site's crawl."""

    site_id: str
    run_id: int
    status: str  # ok | partial | failed | timeout
    reason: str | None
    elapsed_seconds: float
    returncode: int | None
    stats: dict[str, Any] = field(default_factory=dict)
    sections: list[dict[str, Any]] = field(default_factory=list)  # section_id, outcome, reason, items_found, ...


def crawl_sites(
    config: Config, site_ids: Sequence[str] | None = None, *, timeout: float | None = None
) -> list[CrawlOutcome]:
    """Crawl the given (default: all) sites, ``crawl.parallel_sites`` at a time; one outcome per site."""
    sites = [s.id for s in config.sites] if not site_ids else list(site_ids)
    for site_id in sites:
        config.site(site_id)  # KeyError for an unknown site, before anything starts
    limit = float(timeout if timeout is not None else config.crawl.site_timeout_seconds)
    from crawler.distributed import redis_url

    if redis_url(config):  # [scale] redis_url / ZWGK_REDIS_URL: the zwgk crawl-worker processes crawl
        from crawler.distributed.coordinator import crawl_sites_redis

        return crawl_sites_redis(config, sites, limit)
    db = Database(config.database_url)
    try:
        with ThreadPoolExecutor(max_workers=max(1, config.crawl.parallel_sites)) as pool:
            futures = [pool.submit(_crawl_one, config, db, site_id, limit) for site_id in sites]
            return [f.result() for f in futures]
    finally:
        db.dispose()


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def _crawl_one(config: Config, db: Database, site_id: str, limit: float) -> CrawlOutcome:
    run_id = create_run(db, site_id)
    cmd = [
        sys.executable, "-m", "crawler",
        "--config", str(config.path),
        "--site", site_id,
        "--run-id", str(run_id),
    ]
    started = time.monotonic()
    # The child's log goes to a temporary file (a pipe would fill up or grow without bound).
    with tempfile.TemporaryFile() as log_file:
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
            env=_child_env(),
            start_new_session=True,  # its own process group, so a kill takes its children too
        )
        timed_out = False
        try:
            proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_group(proc)
            proc.wait()
        elapsed = time.monotonic() - started
        log_file.seek(0, os.SEEK_END)
        log_file.seek(max(0, log_file.tell() - 4000))
        stderr_tail = log_file.read().decode("utf-8", "replace")
    if timed_out:
        reason = f"抓取超时（超过 {limit:g} 秒），已终止子进程"
        _mark_unfinished(db, run_id, site_id, config, "timeout", reason)
    elif proc.returncode != 0:
        reason = f"抓取子进程退出码 {proc.returncode}：{stderr_tail.strip()[-500:]}"
        _mark_unfinished(db, run_id, site_id, config, "failed", reason)
    return _outcome(db, site_id, run_id, elapsed, proc.returncode)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=5)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


def _mark_unfinished(db: Database, run_id: int, site_id: str, config: Config, status: str, reason: str) -> None:
    """The child did not finish: the run gets the status, and every section without a result is unknown."""
    with db.session() as s:
        run = s.get(CrawlRun, run_id)
        if run is not None and (status == "timeout" or run.status == "running"):
            run.status = status
            run.reason = reason
            run.finished_at = utcnow()
        done = set(s.scalars(select(SectionCrawl.section_id).where(SectionCrawl.run_id == run_id)))
        outcome = "timeout" if status == "timeout" else "connection"
        for section_id in [HOME_SECTION, *(sec.id for sec in config.site(site_id).sections)]:
            if section_id not in done:
                s.add(SectionCrawl(run_id=run_id, site_id=site_id, section_id=section_id,
                                   outcome=outcome, reason=reason))


def _outcome(db: Database, site_id: str, run_id: int, elapsed: float, returncode: int | None) -> CrawlOutcome:
    with db.session() as s:
        run = s.get(CrawlRun, run_id)
        rows = s.scalars(select(SectionCrawl).where(SectionCrawl.run_id == run_id).order_by(SectionCrawl.id)).all()
        sections = [
            {
                "section_id": r.section_id,
                "outcome": r.outcome,
                "reason": r.reason,
                "items_found": r.items_found,
                "pages_fetched": r.pages_fetched,
                "declared_total": r.declared_total,
                "adapter": r.adapter,
            }
            for r in rows
        ]
        status = run.status if run is not None else "failed"
        if run is not None and status == "running":  # the child exited 0 without finishing its row
            status = run.status = "failed"
            run.reason = "抓取子进程未写入结果"
            run.finished_at = utcnow()
        return CrawlOutcome(
            site_id=site_id,
            run_id=run_id,
            status=status,
            reason=run.reason if run is not None else None,
            elapsed_seconds=round(elapsed, 2),
            returncode=returncode,
            stats=dict(run.stats or {}) if run is not None else {},
            sections=sections,
        )
