"""One scheduler per database: the Lock lease, its heartbeat, takeover of a stale lease."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from apscheduler.triggers.interval import IntervalTrigger
from scheduler_support import local_site, seed_success, wait_for, write_settings
from sqlalchemy import update

import scheduler
from store import jobs as jobstore
from store.db import Database
from store.models import Lock, utcnow
from zwgk.app import open_app
from zwgk.config import load_config

ROOT = Path(__file__).resolve().parent.parent
STALE = dt.timedelta(seconds=90)
HOURLY = {kind: IntervalTrigger(hours=1) for kind in ("crawl", "availability", "report_daily", "report_weekly", "outbox")}
ALL_JOBS = ["crawl:local", "availability", "report_daily", "report_weekly", "outbox"]


@pytest.fixture
def settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    with local_site() as (base, list_url, indicator):
        yield write_settings(tmp_path, base, list_url, indicator)


def _age_heartbeat(db: Database, seconds: float) -> None:
    with db.session() as s:
        s.execute(update(Lock).values(heartbeat_at=utcnow() - dt.timedelta(seconds=seconds)))


def test_lease_is_exclusive_until_stale(db_url: str) -> None:
    db = Database(db_url)
    assert jobstore.acquire_lock(db, "scheduler", "hostA:1", stale_after=STALE)
    assert jobstore.acquire_lock(db, "scheduler", "hostA:1", stale_after=STALE)  # re-entrant for the holder
    assert not jobstore.acquire_lock(db, "scheduler", "hostB:2", stale_after=STALE)
    assert jobstore.heartbeat(db, "scheduler", "hostA:1")
    assert not jobstore.heartbeat(db, "scheduler", "hostB:2")
    assert not jobstore.release_lock(db, "scheduler", "hostB:2")  # only the holder releases

    _age_heartbeat(db, 60)  # late, but not stale yet
    assert not jobstore.acquire_lock(db, "scheduler", "hostB:2", stale_after=STALE)
    _age_heartbeat(db, 91)
    assert jobstore.acquire_lock(db, "scheduler", "hostB:2", stale_after=STALE)
    assert jobstore.lock_info(db, "scheduler").holder == "hostB:2"
    assert not jobstore.heartbeat(db, "scheduler", "hostA:1")  # the old holder learns it lost the lease
    assert jobstore.release_lock(db, "scheduler", "hostB:2")
    assert jobstore.lock_info(db, "scheduler") is None
    db.dispose()


def test_lease_of_a_dead_process_on_this_host_is_taken_at_once(db_url: str) -> None:
    db = Database(db_url)
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # a pid that no longer exists
    dead = f"{jobstore.default_holder().rpartition(':')[0]}:{child.pid}"
    assert jobstore.acquire_lock(db, "scheduler", dead, stale_after=STALE)
    assert jobstore.acquire_lock(db, "scheduler", "me:1", stale_after=STALE)
    # A live process on this host keeps its lease.
    assert jobstore.acquire_lock(db, "other", jobstore.default_holder(), stale_after=STALE)
    assert not jobstore.acquire_lock(db, "other", "me:1", stale_after=STALE)
    db.dispose()


def test_second_scheduler_is_refused_with_status_2(settings: Path) -> None:
    config = load_config(settings)
    app = open_app(settings, config=config)
    seed_success(app.db, ALL_JOBS)
    first = scheduler.Daemon(app, scheduler.build_specs(config, HOURLY), heartbeat_seconds=0.5)
    codes: list[int] = []
    thread = threading.Thread(target=lambda: codes.append(first.serve()), daemon=True)
    thread.start()
    try:
        wait_for(lambda: jobstore.lock_info(app.db, scheduler.LOCK_NAME), 20, "the first scheduler's lease")
        second = subprocess.run(
            [sys.executable, "-m", "zwgk", "schedule", "--config", str(settings), "--max-runtime", "20"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 2, second.stderr
        assert "调度器未启动" in second.stderr and first.holder in second.stderr
        assert jobstore.lock_info(app.db, scheduler.LOCK_NAME).holder == first.holder
    finally:
        first.stop("test")
        thread.join(30)
    assert codes == [0]
    assert jobstore.lock_info(app.db, scheduler.LOCK_NAME) is None
    app.close()


def test_stale_lease_is_taken_over_and_a_lost_lease_stops_the_scheduler(settings: Path) -> None:
    config = load_config(settings)
    app = open_app(settings, config=config)
    seed_success(app.db, ALL_JOBS)
    with app.db.session() as s:
        old = utcnow() - dt.timedelta(hours=1)
        s.add(Lock(name=scheduler.LOCK_NAME, holder="gone-host:4242", acquired_at=old, heartbeat_at=old))

    daemon = scheduler.Daemon(app, scheduler.build_specs(config, HOURLY), heartbeat_seconds=0.2)
    codes: list[int] = []
    thread = threading.Thread(target=lambda: codes.append(daemon.serve()), daemon=True)
    thread.start()
    try:
        wait_for(
            lambda: (info := jobstore.lock_info(app.db, scheduler.LOCK_NAME)) and info.holder == daemon.holder,
            20,
            "takeover of the stale lease",
        )
        before = jobstore.lock_info(app.db, scheduler.LOCK_NAME).heartbeat_at
        wait_for(
            lambda: jobstore.lock_info(app.db, scheduler.LOCK_NAME).heartbeat_at > before, 20, "a heartbeat"
        )
        # Another scheduler takes the lease (as after a long stall here): this one must stop.
        with app.db.session() as s:
            s.execute(update(Lock).values(holder="thief:1"))
        thread.join(30)
    finally:
        daemon.stop("test")
        thread.join(30)
    assert codes == [scheduler.EXIT_LOCKED]
    assert jobstore.lock_info(app.db, scheduler.LOCK_NAME).holder == "thief:1"  # not released by the loser
    app.close()


def test_pid_in_holder_is_this_process() -> None:
    assert jobstore.default_holder().endswith(f":{os.getpid()}")
