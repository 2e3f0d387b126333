"""The scheduler runs real jobs with second-level APScheduler triggers against a site on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from scheduler_support import local_site, seed_success, wait_for, write_settings

import scheduler
from store import jobs as jobstore
from store.models import JobRun
from zwgk import pipeline
from zwgk.app import open_app
from zwgk.cli import main as cli_main
from zwgk.config import load_config

HOURLY = {kind: IntervalTrigger(hours=1) for kind in ("crawl", "availability", "report_daily", "report_weekly", "outbox")}
ALL_JOBS = ["crawl:local", "availability", "report_daily", "report_weekly", "outbox"]


@pytest.fixture
def settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    with local_site() as (base, list_url, indicator):
        yield write_settings(tmp_path, base, list_url, indicator)


def _serve_in_thread(daemon: scheduler.Daemon, **kwargs: object) -> tuple[threading.Thread, list[int]]:
    codes: list[int] = []
    thread = threading.Thread(target=lambda: codes.append(daemon.serve(**kwargs)), daemon=True)  # type: ignore[arg-type]
    thread.start()
    return thread, codes


def _runs(app, job_id: str | None = None) -> list[JobRun]:  # type: ignore[no-untyped-def]
    return jobstore.job_runs(app.db, job_id)


def test_crawl_check_report_run_in_order_and_status_shows_them(settings: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    config = load_config(settings)
    app = open_app(settings, config=config)
    # Crawl and reports only via the start-up catch-up (fresh database); outbox every second.
    overrides = {**HOURLY, "outbox": IntervalTrigger(seconds=1)}
    daemon = scheduler.Daemon(app, scheduler.build_specs(config, overrides), heartbeat_seconds=0.5)
    thread, codes = _serve_in_thread(daemon)
    try:
        wait_for(
            lambda: _runs(app, "deliver:report_weekly") and len(_runs(app, "outbox")) >= 3,
            240,
            "the catch-up chain and recurring outbox runs",
        )
    finally:
        daemon.stop("test")
        thread.join(60)
    assert codes == [0]

    order = ["crawl:local", "links:local", "check:local", "report_daily", "report_department", "deliver:report_daily"]
    runs = {job_id: _runs(app, job_id) for job_id in order}
    assert all(len(r) == 1 for r in runs.values()), {k: len(v) for k, v in runs.items()}
    chain = [runs[job_id][0] for job_id in order]
    # The daily scorecard and the department reports are one step (built together, one JobRun each).
    steps = [[chain[0]], [chain[1]], [chain[2]], [chain[3], chain[4]], [chain[5]]]
    for before, after in zip(steps, steps[1:], strict=False):
        for b in before:
            for a in after:
                assert b.finished_at is not None
                assert b.finished_at <= a.started_at, (b.job_id, a.job_id)

    # Every stage of the chain really ran and succeeded against the demo site (no stage may be missing).
    assert [(r.job_id, r.status) for r in chain] == [(job_id, "ok") for job_id in order], [
        (r.job_id, r.status, r.message) for r in chain
    ]
    assert jobstore.recent_crawl_runs(app.db)["local"], "a successful crawl job leaves a CrawlRun"
    # the check stage streams its results (pipeline.check_tally) and logs their counts
    check_message = runs["check:local"][0].message
    assert re.fullmatch(r"\d+ 条结果（.*不合格 \d+.*）", check_message), check_message
    # ... and returns only counts (no result list), the same counts as the full list of a check of that day
    tally = scheduler._check_stage("local")(app)
    today = pipeline.today(app)
    listed = Counter(r.status for r in pipeline.check(app, today, site_id="local", record=False))
    assert isinstance(tally, pipeline.CheckTally) and tally.statuses == dict(listed)
    assert tally.total == sum(listed.values()) and listed["fail"] > 0
    # the other catch-up jobs: availability probes of the home page and the weekly scorecard
    for job_id in ("availability", "report_weekly", "deliver:report_weekly"):
        assert [r.status for r in _runs(app, job_id)] == ["ok"], (job_id, [r.message for r in _runs(app, job_id)])

    # Recurring second-level trigger: the outbox job ran again after the catch-up, never twice at once.
    outbox = _runs(app, "outbox")
    for before, after in zip(outbox, outbox[1:], strict=False):
        assert before.finished_at <= after.started_at
    assert not [r for r in _runs(app) if r.status == "running"]
    assert jobstore.lock_info(app.db, scheduler.LOCK_NAME) is None
    app.close()

    capsys.readouterr()
    assert cli_main(["status", "--config", str(settings)]) == 0
    out = capsys.readouterr().out
    assert "调度锁：无" in out
    for job_id in order:
        assert job_id in out
    assert "本地测试站" in out and "发件箱：" in out
    line = next(line for line in out.splitlines() if line.startswith("report_daily"))
    assert "成功" in line


def test_slow_job_is_skipped_not_run_twice_at_once(settings: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    config = load_config(settings)
    app = open_app(settings, config=config)
    seed_success(app.db, [*ALL_JOBS, "slow"])  # nothing due at start: only the trigger runs the slow job
    slow = scheduler.JobSpec(
        id="slow",
        trigger=IntervalTrigger(seconds=1),
        stages=(scheduler.Stage("slow", "test", lambda _app: time.sleep(2.2)),),
    )
    daemon = scheduler.Daemon(app, scheduler.build_specs(config, HOURLY, [slow]))
    job = daemon.build_scheduler().get_job("slow")
    assert job.max_instances == 1 and job.coalesce is True
    assert job.misfire_grace_time == config.schedule.misfire_grace_seconds

    caplog.set_level(logging.WARNING, logger="apscheduler")
    thread, codes = _serve_in_thread(daemon)
    try:
        wait_for(lambda: len([r for r in _runs(app, "slow") if r.status == "ok"]) >= 3, 60, "three slow runs")
    finally:
        daemon.stop("test")
        thread.join(30)
    assert codes == [0]

    runs = [r for r in _runs(app, "slow") if r.kind == "test"]
    for before, after in zip(runs, runs[1:], strict=False):
        assert before.finished_at is not None and before.finished_at <= after.started_at
    assert "maximum number of running instances reached" in caplog.text
    # The other jobs were not due and their hourly triggers did not fire.
    assert all(len(_runs(app, job_id)) == 1 for job_id in ALL_JOBS)
    app.close()


def test_restart_after_missed_runs_catches_up_once(settings: Path) -> None:
    config = load_config(settings)
    app = open_app(settings, config=config)
    seed_success(app.db, ["crawl:local", "availability", "report_weekly", "outbox"])

    # First scheduler: only the daily report was never run, so it runs once at start.
    first = scheduler.Daemon(app, scheduler.build_specs(config, HOURLY))
    thread, codes = _serve_in_thread(first)
    try:
        wait_for(lambda: len(_runs(app, "deliver:report_daily")) == 1, 60, "first daily report")
    finally:
        first.stop("test")
        thread.join(30)
    assert codes == [0]
    assert len(_runs(app, "report_daily")) == 1

    # Down while the report's daily time passes (a cron a second ago, next one tomorrow).
    time.sleep(2.0)
    fire = (dt.datetime.now(config.general.tz) - dt.timedelta(seconds=0.5)).replace(microsecond=0)
    daily = CronTrigger(hour=fire.hour, minute=fire.minute, second=fire.second, timezone=config.general.tz)
    now = dt.datetime.now(config.general.tz)
    assert scheduler.previous_fire_time(daily, now) == fire

    second = scheduler.Daemon(app, scheduler.build_specs(config, {**HOURLY, "report_daily": daily}))
    thread, codes = _serve_in_thread(second, max_runtime=3.0)
    thread.join(60)
    assert codes == [0]
    assert len(_runs(app, "report_daily")) == 2  # caught up once
    assert len(_runs(app, "crawl:local")) == 1  # not due: untouched
    assert len(_runs(app, "report_weekly")) == 1
    app.close()


def test_catch_up_counts_a_missed_period_once() -> None:
    tz = dt.timezone(dt.timedelta(hours=8))
    trigger = scheduler.cron_trigger("0 6 * * *", tz, jitter=300)
    now = dt.datetime(2026, 11, 22, 7, 0, tzinfo=tz)
    assert scheduler.previous_fire_time(trigger, now) == dt.datetime(2026, 11, 22, 6, 0, tzinfo=tz)
    spec = scheduler.JobSpec("x", trigger, (scheduler.Stage("x", "crawl", lambda _a: None),))
    utc = dt.UTC
    # Last success yesterday 06:04 (jitter): today's 06:00 was missed.
    assert scheduler.is_due(spec, dt.datetime(2026, 11, 21, 6, 4, tzinfo=tz).astimezone(utc).replace(tzinfo=None), now)
    # Three days down: still one catch-up (the decision is a yes/no, not a count).
    assert scheduler.is_due(spec, dt.datetime(2026, 11, 19, 6, 1, tzinfo=tz).astimezone(utc).replace(tzinfo=None), now)
    # Ran today after 06:00: not due.
    assert not scheduler.is_due(
        spec, dt.datetime(2026, 11, 22, 6, 3, tzinfo=tz).astimezone(utc).replace(tzinfo=None), now
    )
    weekly = scheduler.cron_trigger("0 9 * * mon", tz)
    assert scheduler.previous_fire_time(weekly, now) == dt.datetime(2026, 11, 16, 9, 0, tzinfo=tz)
    assert scheduler.previous_fire_time(IntervalTrigger(minutes=60), now) == now - dt.timedelta(hours=1)
