"""The scheduler's daily job builds the daily scorecard and every department's report in one call.

Real SQLite (the reports' fixed data set), real APScheduler triggers: the start-up catch-up and
a second-level interval trigger. One JobRun per kind; a failing kind is recorded with its reason
while the other is still queued and delivered.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from apscheduler.triggers.interval import IntervalTrigger
from reports_dataset import populate, write_settings
from scheduler_support import seed_success, wait_for
from sqlalchemy import select

import scheduler
from reports import scorecards
from store import jobs as jobstore
from store.models import OutboxMessage
from zwgk import pipeline
from zwgk.app import App, open_app

HOURLY = {kind: IntervalTrigger(hours=1) for kind in ("crawl", "availability", "report_daily", "report_weekly", "outbox")}
OTHER_JOBS = ["crawl:portal", "availability", "report_weekly", "outbox"]


@pytest.fixture
def app(tmp_path: Path):  # type: ignore[no-untyped-def]
    config = write_settings(tmp_path)
    populate(config).dispose()
    app = open_app(config.path, config=config)
    seed_success(app.db, OTHER_JOBS)  # only the daily job is due at start
    yield app
    app.close()


@pytest.fixture
def snapshots(monkeypatch: pytest.MonkeyPatch) -> list[list[str] | None]:
    """Every ``scorecards.snapshot`` read of this process: the departments it was limited to (None: all)."""
    calls: list[list[str] | None] = []
    real = scorecards.snapshot

    def counted(config: Any, session: Any, as_of: Any, department_ids: list[str] | None = None) -> Any:
        calls.append(department_ids)
        return real(config, session, as_of, department_ids)

    monkeypatch.setattr(scorecards, "snapshot", counted)
    return calls


def _serve(app: App, overrides: dict, until: Any, what: str) -> None:
    daemon = scheduler.Daemon(app, scheduler.build_specs(app.config, overrides), heartbeat_seconds=0.5)
    codes: list[int] = []
    thread = threading.Thread(target=lambda: codes.append(daemon.serve()), daemon=True)
    thread.start()
    try:
        wait_for(lambda: until(), 120, what)
    finally:
        daemon.stop("test")
        thread.join(60)
    assert codes == [0]


def _outbox(app: App) -> dict[str, str]:
    with app.db.session() as s:
        return {m.idem_key: m.kind for m in s.scalars(select(OutboxMessage))}


def _runs(app: App, job_id: str) -> list[tuple[str, str]]:
    return [(r.status, r.message or "") for r in jobstore.job_runs(app.db, job_id)]


def test_daily_job_builds_scorecard_and_department_reports_from_one_snapshot(
    app: App, snapshots: list[list[str] | None]
) -> None:
    config = app.config
    done = lambda: [s for s, _ in _runs(app, "deliver:report_daily")] == ["ok"]  # noqa: E731
    _serve(app, HOURLY, done, "the daily job's catch-up")

    assert _runs(app, "report_daily") == [("ok", "生成 3 个文件")]
    assert _runs(app, "report_department") == [("ok", f"生成 {3 * len(config.departments)} 个文件")]
    # One read of the findings for the daily scorecard and every department's report
    # (built one kind after the other, the job read them twice).
    assert snapshots == [None]

    today = pipeline.today(app)
    written = sorted(p.name for p in (config.reports_dir / today.isoformat()).iterdir())
    assert {"daily.html", "daily.txt", "daily.xlsx"} <= set(written) and len(written) == 3 * (1 + len(config.departments))
    rows = _outbox(app)
    assert {k for k, kind in rows.items() if kind == "daily"} == {
        f"daily|{today.isoformat()}|{r}" for r in ("office@example.gov.cn", "leader@example.gov.cn")
    }
    # each department with something open receives its own list
    departments = {key.split("|")[0] for key, kind in rows.items() if kind == "department"}
    assert departments == {f"department:{d}" for d in ("office", "mzj", "czj")}
    assert not [k for k, kind in rows.items() if kind == "weekly"]  # the weekly job was not due

    # The interval trigger runs the job again: one JobRun per kind per run, nothing queued twice.
    again = {**HOURLY, "report_daily": IntervalTrigger(seconds=1)}
    twice = lambda: len([s for s, _ in _runs(app, "deliver:report_daily") if s == "ok"]) >= 2  # noqa: E731
    _serve(app, again, twice, "the daily job on its trigger")
    daily, department = _runs(app, "report_daily"), _runs(app, "report_department")
    assert len(daily) == len(department) >= 2
    assert {s for s, _ in daily + department} == {"ok"}
    assert snapshots == [None] * len(daily)
    assert _outbox(app) == rows


def test_a_failing_department_kind_leaves_the_daily_queued_and_delivered(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("部门清单模板损坏")

    monkeypatch.setattr(scorecards, "department", broken)
    done = lambda: _runs(app, "deliver:report_daily")  # noqa: E731
    _serve(app, HOURLY, done, "the daily job's catch-up")

    assert _runs(app, "report_daily") == [("ok", "生成 3 个文件")]
    [(status, message)] = _runs(app, "report_department")
    assert status == "failed" and message == "RuntimeError: 部门清单模板损坏"
    assert [s for s, _ in _runs(app, "deliver:report_daily")] == ["ok"]  # the daily's delivery needs only the daily
    rows = _outbox(app)
    assert set(rows.values()) == {"daily"} and len(rows) == 2


def test_a_failing_snapshot_fails_every_kind_of_the_job_with_its_reason(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    def locked(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("database is locked")

    monkeypatch.setattr(scorecards, "snapshot", locked)
    done = lambda: _runs(app, "deliver:report_daily")  # noqa: E731
    _serve(app, HOURLY, done, "the daily job's catch-up")

    for job_id in ("report_daily", "report_department"):
        assert _runs(app, job_id) == [("failed", "RuntimeError: database is locked")], job_id
    [(status, message)] = _runs(app, "deliver:report_daily")
    assert status == "failed" and message.startswith("未运行：日报未成功")
    assert _outbox(app) == {}


def test_stages_run_together_get_their_own_outcomes(app: App) -> None:
    def together(_app: App) -> dict[str, Any]:
        return {"a": ["x.html", "x.txt"], "b": ValueError("坏了")}  # nothing for "c"

    stages = [scheduler.Stage(job, f"report_{job}", together, together="abc") for job in ("a", "b", "c")]
    daemon = scheduler.Daemon(app, [])
    assert daemon.run_stages(stages) == {"a": True, "b": False, "c": False}
    assert _runs(app, "a") == [("ok", "生成 2 个文件")]
    assert _runs(app, "b") == [("failed", "ValueError: 坏了")]
    assert _runs(app, "c") == [("failed", "RuntimeError: c 未生成结果")]
    assert [len(g) for g in scheduler._groups([*stages[:2], scheduler.Stage("d", "deliver", together), stages[2]])] == [
        2, 1, 1
    ]
