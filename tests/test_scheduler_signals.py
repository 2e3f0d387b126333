"""SIGTERM stops a scheduler subprocess cleanly: exit 0, running work finished or abandoned, lease released."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from scheduler_support import local_site, seed_success, wait_for, write_settings

import scheduler
from store import jobs as jobstore
from store.db import Database
from zwgk.config import load_config

ROOT = Path(__file__).resolve().parent.parent
ALL_JOBS = ["crawl:local", "availability", "report_daily", "report_weekly", "outbox"]

# A scheduler process with one extra job whose stage starts a child process and waits for it
# (like a crawl): caught up at start because it never ran.
SLOW_SCHEDULER = """
import subprocess, sys
from pathlib import Path
from apscheduler.triggers.interval import IntervalTrigger
import scheduler

config, seconds, grace, pid_file = sys.argv[1], sys.argv[2], float(sys.argv[3]), Path(sys.argv[4])

def slow(app):
    child = subprocess.Popen(["sleep", seconds])
    pid_file.write_text(str(child.pid))
    child.wait()

hourly = {k: IntervalTrigger(hours=1) for k in ("crawl", "availability", "report_daily", "report_weekly", "outbox")}
spec = scheduler.JobSpec("slow", IntervalTrigger(hours=1), (scheduler.Stage("slow", "test", slow),))
sys.exit(scheduler.main(config, triggers_override=hourly, extra_jobs=[spec], shutdown_grace=grace))
"""


@pytest.fixture
def settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    with local_site() as (base, list_url, indicator):
        path = write_settings(tmp_path, base, list_url, indicator)
        db = Database(load_config(path).database_url)
        seed_success(db, ALL_JOBS)  # nothing due: the process idles until signalled
        db.dispose()
        yield path


def _db(settings: Path) -> Database:
    return Database(load_config(settings).database_url)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in ("Z", "X")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_idle_scheduler_and_releases_the_lease(settings: Path, signum: int) -> None:
    db = _db(settings)
    proc = subprocess.Popen(
        [sys.executable, "-m", "zwgk", "schedule", "--config", str(settings)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(
            lambda: (info := jobstore.lock_info(db, scheduler.LOCK_NAME)) and info.holder.endswith(f":{proc.pid}"),
            30,
            "the scheduler's lease",
        )
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "调度器已停止" in err
    assert jobstore.lock_info(db, scheduler.LOCK_NAME) is None
    assert not [r for r in jobstore.job_runs(db) if r.status == "running"]
    db.dispose()


@pytest.mark.parametrize(
    ("sleep", "grace", "status", "message"),
    [("2", 30.0, "ok", ""), ("120", 1.0, "failed", "已放弃")],
    ids=["finishes-within-grace", "abandoned-after-grace"],
)
def test_sigterm_during_a_running_job(
    settings: Path, tmp_path: Path, sleep: str, grace: float, status: str, message: str
) -> None:
    db = _db(settings)
    pid_file = tmp_path / "child.pid"
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_SCHEDULER, str(settings), sleep, str(grace), str(pid_file)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: pid_file.exists() and pid_file.read_text(), 30, "the slow job's child process")
        assert [r.status for r in jobstore.job_runs(db, "slow")] == ["running"]
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)  # far less than the 120 s child when abandoned
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    runs = jobstore.job_runs(db, "slow")
    assert [r.status for r in runs] == [status], [(r.status, r.message) for r in runs]
    assert message in (runs[0].message or "")
    assert runs[0].finished_at is not None
    assert jobstore.lock_info(db, scheduler.LOCK_NAME) is None
    child = int(pid_file.read_text())
    wait_for(lambda: not _alive(child), 10, "the abandoned job's child process to end")
    db.dispose()
