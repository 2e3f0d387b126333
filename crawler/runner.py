"""Crawl sites in a few worker processes (``python -m crawler --worker``), one per core, each with a timeout.

The Twisted reactor cannot restart inside a long-lived parent (scheduler, CLI), and a child keeps
memory and failures away from it. A worker pays the start-up (imports, reactor, database) once and
crawls many sites in one reactor, each with its own Scrapy settings and time budget
(crawler/worker.py). A site that is down or hangs is recorded in its CrawlRun; it never crashes the
caller. A worker that dies takes only its unfinished sites with it: they are ``failed`` with the
reason, the sites it finished stay as they are, and the rest go to a fresh worker. Two sites that
share a host (host:port) never run at the same time, so a host sees one site's politeness limit.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import selectors
import subprocess
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from crawler.child import create_run
from crawler.idle import IDLE, settings_stamp
from crawler.workerproc import WorkerProc
from store.db import Database
from store.models import HOME_SECTION, CrawlRun, SectionCrawl, utcnow
from zwgk.config import Config, SiteConfig

log = logging.getLogger(__name__)
# After a site's own deadline, how long its worker may take to close it before the worker is killed
# (covers the worker's start-up too: the budget counts from when the site was sent).
KILL_GRACE_SECONDS = 30.0
# Worker deaths tolerated in one call beyond one per worker; then the sites left are failed.
EXTRA_RESTARTS = 3
# A worker is replaced by a fresh one after this many sites (memory a long crawl may leave behind).
SITES_PER_WORKER = 100


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
        done = _Pool(config, db, limit).run(sites)
        return [done[site_id] for site_id in sites]
    finally:
        db.dispose()


def site_hosts(site: SiteConfig) -> frozenset[str]:
    """The servers (host:port) a site's crawl starts on."""
    urls = [site.home, *(sec.list_url for sec in site.sections)]
    return frozenset(urlsplit(u).netloc.lower() for u in urls if u)


def pool_shape(parallel_sites: int, sites: int, cores: int | None = None) -> tuple[int, int]:
    """(workers, sites at a time per worker): one worker per core, ``parallel_sites`` sites in all."""
    parallel = max(1, parallel_sites)
    workers = max(1, min(parallel, cores or os.cpu_count() or 1, sites))
    return workers, math.ceil(parallel / workers)


class _Pool:
    """Hands sites to workers, reads their events, enforces the hard deadline, replaces dead workers."""

    def __init__(self, config: Config, db: Database, limit: float) -> None:
        self.config = config
        self.db = db
        self.limit = limit
        self.workers: list[WorkerProc] = []
        self.selector = selectors.DefaultSelector()
        self.done: dict[str, CrawlOutcome] = {}
        self.deaths = 0
        self.hosts: dict[str, frozenset[str]] = {}
        self.stamp = settings_stamp(config.path)

    def run(self, sites: list[str]) -> dict[str, CrawlOutcome]:
        pending = deque(dict.fromkeys(sites))
        self.hosts = {site_id: site_hosts(self.config.site(site_id)) for site_id in pending}
        n_workers, per_worker = pool_shape(self.config.crawl.parallel_sites, len(pending))
        budget = n_workers + EXTRA_RESTARTS
        try:
            while pending or any(w.inflight for w in self.workers):
                open_workers = [w for w in self.workers if not w.closed_input]
                free = sum(per_worker - len(w.inflight) for w in open_workers)
                while len(open_workers) < n_workers and len(pending) > free and self.deaths < budget:
                    open_workers.append(self._start_worker())
                    free += per_worker
                if not self.workers:  # every restart used up
                    for site_id in pending:
                        self._fail_unstarted(site_id, "抓取进程多次异常退出，本网站未能开始抓取")
                    break
                self._assign(pending, per_worker)
                self._wait()
                self._enforce_deadlines()
            for worker in list(self.workers):
                self._release(worker)
        finally:  # normally no worker is left; after an exception (KeyboardInterrupt) none may go on
            for worker in list(self.workers):
                if worker.proc.poll() is None:
                    worker.kill()
                for assigned in worker.inflight.values():
                    _mark_unfinished(self.db, assigned.run_id, assigned.site_id, self.config, "failed",
                                     "抓取被中断（调用方退出），本网站抓取未完成")
                self._drop(worker)
        return self.done

    # ------------------------------------------------------------------ workers

    def _start_worker(self) -> WorkerProc:
        """A worker kept idle by an earlier crawl with the same settings (crawler/idle.py), else a new one."""
        worker = IDLE.take(self.stamp) or WorkerProc.start(self.config.path)
        self.workers.append(worker)
        self.selector.register(worker.fileno(), selectors.EVENT_READ, worker)
        return worker

    def _forget(self, worker: WorkerProc) -> bool:
        """Stop reading the worker; False when it was already forgotten."""
        if worker not in self.workers:
            return False
        self.workers.remove(worker)
        self.selector.unregister(worker.fileno())
        return True

    def _drop(self, worker: WorkerProc) -> None:
        if self._forget(worker):
            worker.close()

    def _release(self, worker: WorkerProc) -> None:
        """The crawl is over: keep the worker for the next crawl when this process keeps workers, else retire it."""
        self._forget(worker)
        if not (worker.sent < SITES_PER_WORKER and IDLE.park(self.stamp, worker)):
            worker.retire(KILL_GRACE_SECONDS)

    def _assign(self, pending: deque[str], per_worker: int) -> None:
        busy = {h for w in self.workers for a in w.inflight.values() for h in a.hosts}
        for worker in self.workers:
            if worker.closed_input:
                continue
            if worker.sent >= SITES_PER_WORKER:
                worker.close_input()  # it finishes its sites and exits; a fresh worker takes over
                continue
            while len(worker.inflight) < per_worker and pending and worker.sent < SITES_PER_WORKER:
                site_id = next((s for s in pending if not self.hosts[s] & busy), None)
                if site_id is None:
                    return  # every waiting site shares a host with one being crawled
                pending.remove(site_id)
                hosts = self.hosts[site_id]
                busy |= hosts
                worker.send(site_id, create_run(self.db, site_id), self.limit, hosts)
            if not pending and not worker.inflight and not IDLE.keeping:
                worker.close_input()

    def _wait(self) -> None:
        deadlines = [a.sent_at + self.limit + KILL_GRACE_SECONDS for w in self.workers for a in w.inflight.values()]
        timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else 0.5
        for key, _ in self.selector.select(timeout=min(timeout, 5.0)):
            worker: WorkerProc = key.data
            events, ended = worker.read_events()
            for event in events:
                self._event(worker, event)
            if ended:
                self._worker_died(worker, set())

    def _event(self, worker: WorkerProc, event: dict[str, Any]) -> None:
        assigned = worker.inflight.get(int(event.get("run_id", -1)))
        if assigned is None:
            return
        if event.get("event") == "started":
            assigned.started_at = time.monotonic()
        elif event.get("event") == "done":
            del worker.inflight[assigned.run_id]
            elapsed = time.monotonic() - (assigned.started_at or assigned.sent_at)
            self.done[assigned.site_id] = _outcome(self.db, assigned.site_id, assigned.run_id, elapsed, 0)

    def _enforce_deadlines(self) -> None:
        """A worker that does not close a site in time is stuck: kill it (its other sites fail)."""
        now = time.monotonic()
        for worker in list(self.workers):
            late = {a.run_id for a in worker.inflight.values() if now > a.sent_at + self.limit + KILL_GRACE_SECONDS}
            if late:
                log.warning("抓取进程 %s 未在时限内结束网站，终止该进程", worker.pid)
                worker.kill()
                self._worker_died(worker, late)

    def _worker_died(self, worker: WorkerProc, timed_out: set[int]) -> None:
        """Its unfinished sites: ``timeout`` for those past their deadline, ``failed`` for the others.

        A worker's output ends before its process has exited (it closes its pipe, then shuts down):
        unless it is past a deadline, give it time to exit by itself, so that a worker retired after
        its share of sites is neither killed nor counted as a death.
        """
        if worker.proc.poll() is None and not timed_out:
            grace = KILL_GRACE_SECONDS if worker.closed_input and not worker.inflight else 5.0
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.proc.wait(timeout=grace)
        if worker.proc.poll() is None:
            worker.kill()
        code = worker.proc.wait()
        how = worker.exit_text()
        if not (worker.closed_input and code == 0 and not worker.inflight):
            self.deaths += 1
            log.warning("%s", how)
        for assigned in list(worker.inflight.values()):
            elapsed = time.monotonic() - (assigned.started_at or assigned.sent_at)
            if assigned.run_id in timed_out:
                reason = f"抓取超时（超过 {self.limit:g} 秒），已终止抓取进程"
                _mark_unfinished(self.db, assigned.run_id, assigned.site_id, self.config, "timeout", reason)
            else:
                reason = f"{how}，本网站抓取未完成"
                _mark_unfinished(self.db, assigned.run_id, assigned.site_id, self.config, "failed", reason)
            self.done[assigned.site_id] = _outcome(self.db, assigned.site_id, assigned.run_id, elapsed, code)
        worker.inflight.clear()
        self._drop(worker)

    def _fail_unstarted(self, site_id: str, reason: str) -> None:
        run_id = create_run(self.db, site_id)
        _mark_unfinished(self.db, run_id, site_id, self.config, "failed", reason)
        self.done[site_id] = _outcome(self.db, site_id, run_id, 0.0, None)


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
