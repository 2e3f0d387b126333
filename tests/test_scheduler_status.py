"""`zwgk status`: lock holder, last run and next due of each job, recent crawls per site, outbox counts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from scheduler_support import write_settings

import scheduler
from store import jobs as jobstore
from store.models import CrawlRun, Lock, OutboxMessage, utcnow
from zwgk.app import open_app
from zwgk.cli import main as cli_main
from zwgk.config import load_config
from zwgk.pipeline import CheckTally


def _settings(tmp_path: Path) -> Path:
    # Nothing is fetched: status only reads the database.
    return write_settings(tmp_path, "http://127.0.0.1:9/", "http://127.0.0.1:9/gzdt/index.html", "shanting.03")


def _status(settings: Path, capsys) -> str:  # type: ignore[no-untyped-def]
    capsys.readouterr()
    assert cli_main(["status", "--config", str(settings)]) == 0
    return capsys.readouterr().out


def test_status_shows_lock_jobs_crawls_and_outbox(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    settings = _settings(tmp_path)
    app = open_app(settings)
    now = utcnow()
    ok = jobstore.start_job(app.db, "crawl:local", "crawl")
    jobstore.finish_job(app.db, ok, "ok", "local ok")
    failed = jobstore.start_job(app.db, "report_daily", "report_daily")
    jobstore.finish_job(app.db, failed, "failed", "模块缺失（ImportError）：No module named 'reports.build'")
    with app.db.session() as s:
        s.add(Lock(name=scheduler.LOCK_NAME, holder="monitor-01:4321", acquired_at=now, heartbeat_at=now))
        for i, status in enumerate(["ok", "timeout", "ok", "partial"]):
            start = now - dt.timedelta(days=4 - i)
            s.add(CrawlRun(site_id="local", started_at=start, finished_at=start + dt.timedelta(seconds=75),
                           status=status, reason="超过 120 秒未完成" if status == "timeout" else None))
        for i, status in enumerate(["pending", "pending", "sent", "failed"]):
            s.add(OutboxMessage(idem_key=f"k{i}", kind="daily", period="2026-11-22", recipient="a@example.gov.cn",
                                subject="日报", payload=b"x", status=status))
    app.close()

    out = _status(settings, capsys)
    assert "调度锁：monitor-01:4321" in out and "（有效）" in out
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert "成功" in lines["crawl:local"] and "随机延后至多 300 秒" in lines["crawl:local"]
    assert "失败" in lines["report_daily"] and "ImportError" in lines["report_daily"]
    assert "从未运行" in lines["check:local"] and "随上一步" in lines["check:local"]
    assert "已错过" in lines["report_weekly"]  # never ran: caught up at the next start
    # The three newest crawls of the site, newest first (the oldest ok run is not shown).
    crawl_lines = [line for line in out.splitlines() if line.startswith("local ")]
    assert [next(w for w in ("部分成功", "超时", "成功") if w in line) for line in crawl_lines] == ["部分成功", "成功", "超时"]
    assert "超过 120 秒未完成" in out
    assert "发件箱：待发送 2，已发送 1，发送失败 1" in out


def test_status_marks_a_stale_lock_and_no_lock(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    settings = _settings(tmp_path)
    assert "调度锁：无（调度器未运行）" in _status(settings, capsys)
    app = open_app(settings)
    old = utcnow() - dt.timedelta(hours=2)
    with app.db.session() as s:
        s.add(Lock(name=scheduler.LOCK_NAME, holder="monitor-01:4321", acquired_at=old, heartbeat_at=old))
    app.close()
    assert "已过期" in _status(settings, capsys)


def test_without_check_after_crawl_the_reports_check_first(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    text = settings.read_text(encoding="utf-8").replace("[mail]", "[schedule]\ncheck_after_crawl = false\n\n[mail]")
    settings.write_text(text, encoding="utf-8")
    specs = {spec.id: spec for spec in scheduler.build_specs(load_config(settings))}
    assert [s.job_id for s in specs["crawl:local"].stages] == ["crawl:local"]
    daily = [s.job_id for s in specs["report_daily"].stages]
    assert daily == ["check:all", "report_daily", "report_department", "deliver:report_daily"]
    assert specs["crawl:local"].trigger.jitter == 300


def test_stage_results_become_status_and_chinese_summary() -> None:
    from crawler.runner import CrawlOutcome

    timeout = CrawlOutcome("local", 1, "timeout", "超过 120 秒", 120.0, None)
    assert scheduler.judge("crawl", [timeout]) == ("failed", "local timeout（超过 120 秒）")
    assert scheduler.judge("crawl", [{"site_id": "local", "status": "partial"}])[0] == "ok"
    status, message = scheduler.judge("check", [{"status": "fail"}, {"status": "pass"}, {"status": "pass"}])
    assert status == "ok" and message == "3 条结果（不合格 1，通过 2）"
    assert scheduler.judge("check", CheckTally(3, {"pass": 2, "fail": 1})) == ("ok", message)
    assert scheduler.judge("deliver", {"sent": 1, "retrying": 2, "failed": 0})[0] == "ok"
    status, message = scheduler.judge("outbox", {"sent": 0, "failed": 1, "failures": ["a@example.gov.cn：退信"]})
    assert status == "failed" and "放弃发送 1" in message and "退信" in message
