"""A report regenerated for a past day shows each finding as it stood that day, not as later checks left it."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

from reports_dataset import populate, write_settings

from checks.engine import FindingResult
from checks.lifecycle import record_results
from reports import scorecards
from store.db import Database
from store.models import Finding
from zwgk.cli import main

D = dt.date


def result(status: str) -> FindingResult:
    return FindingResult(rule="shanting.19", kind="cadence", site="portal", section="dibao", department="mzj",
                         status=status, period="2026-10", due=D(2026, 11, 30), message=f"第{status}次检查的说明",
                         evidence=[{"url": "http://127.0.0.1:9/dibao/", "captured_at": "2026-12-01T00:00:00"}])


def at(day: int, hour: int = 1) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, 0)  # 09:00 in Asia/Shanghai, the settings' zone


def rows_by_day(config, db) -> dict[int, tuple]:  # type: ignore[no-untyped-def]
    """The 低保 finding's (status, open, resolved, reopened, message) in the snapshot of each day."""
    out = {}
    with db.session() as s:
        for day in (1, 2, 3, 4):
            snap = scorecards.snapshot(config, s, D(2026, 11, day))
            [row] = [r for r in snap.rows if r.rule == "shanting.19" and r.period == "2026-10"]
            out[day] = (row.status, row.is_open, row.resolved, row.reopened_count, row.message)
    return out


def test_each_past_day_shows_the_state_of_that_day(tmp_path: Path) -> None:
    config = write_settings(tmp_path)
    db = populate(config, findings=[])
    try:
        record_results(db, [result("fail")], D(2026, 11, 1), now=at(1))
        record_results(db, [result("warn")], D(2026, 11, 2), now=at(2))
        record_results(db, [result("pass")], D(2026, 11, 3), now=at(3))
        record_results(db, [result("fail")], D(2026, 11, 4), now=at(4))
        days = rows_by_day(config, db)
    finally:
        db.dispose()
    assert days == {
        1: ("fail", True, None, 0, "第fail次检查的说明"),
        2: ("warn", True, None, 0, "第warn次检查的说明"),
        3: ("pass", False, D(2026, 11, 3), 0, "第pass次检查的说明"),
        4: ("fail", True, None, 1, "第fail次检查的说明"),
    }


def test_the_regenerated_daily_of_a_past_day_lists_what_was_open_then(tmp_path: Path, capsys) -> None:
    config = write_settings(tmp_path)
    db = populate(config, findings=[])
    try:
        record_results(db, [result("fail")], D(2026, 11, 1), now=at(1))
        record_results(db, [result("pass")], D(2026, 11, 2), now=at(2))
    finally:
        db.dispose()
    settings = str(tmp_path / "settings.toml")
    assert main(["report", "daily", "--as-of", "2026-11-01", "--config", settings]) == 0
    assert main(["report", "daily", "--as-of", "2026-11-02", "--config", settings]) == 0
    capsys.readouterr()
    first = (tmp_path / "reports" / "2026-11-01" / "daily.txt").read_text(encoding="utf-8")
    second = (tmp_path / "reports" / "2026-11-02" / "daily.txt").read_text(encoding="utf-8")
    assert "第fail次检查的说明" in first and "第pass次检查的说明" not in first
    assert "第fail次检查的说明" not in second


def test_a_late_check_of_the_same_day_is_that_days_verdict(tmp_path: Path) -> None:
    config = write_settings(tmp_path)
    db = populate(config, findings=[])
    try:
        record_results(db, [result("fail")], D(2026, 11, 1), now=at(1))
        record_results(db, [result("pass")], D(2026, 11, 1), now=at(3))  # re-run for 1 November, two days later
        days = rows_by_day(config, db)
    finally:
        db.dispose()
    assert days[1] == ("pass", False, D(2026, 11, 3), 0, "第pass次检查的说明")


def test_the_evidence_bundle_of_a_past_daily_lists_what_failed_that_day(tmp_path: Path, capsys) -> None:
    """Fixed on 2 November, failing on 1 November: in the bundle of 1 November's daily with that day's message;
    a finding passing on 1 November that fails again since is not."""
    import json

    config = write_settings(tmp_path)
    db = populate(config, findings=[])
    try:
        record_results(db, [result("fail"), replace(result("fail"), section="tekun")], D(2026, 11, 1), now=at(1))
        record_results(db, [replace(result("pass"), section="tekun", message="特困：按时公开")], D(2026, 11, 1),
                       now=at(1, 2))
        record_results(db, [replace(result("pass"), message="已整改"),
                            replace(result("fail"), section="tekun", message="特困：又逾期")], D(2026, 11, 2),
                       now=at(2))
    finally:
        db.dispose()
    settings = str(tmp_path / "settings.toml")
    out = tmp_path / "bundle"
    assert main(["evidence", "--report", "daily", "--as-of", "2026-11-01", "--out", str(out),
                 "--config", settings]) == 0
    capsys.readouterr()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [(f["section"], f["status"], f["message"]) for f in manifest["findings"]] == \
        [("dibao", "fail", "第fail次检查的说明")]
    db = Database(config.database_url)  # the stored rows keep their current state
    try:
        with db.session() as s:
            assert s.get(Finding, 1).status == "pass" and s.get(Finding, 2).status == "fail"
    finally:
        db.dispose()


def test_a_days_check_recorded_after_the_day_is_in_its_report_and_bundle(tmp_path: Path, capsys) -> None:
    """The checks of 1 November recorded on the 5th (the demo's --date, a late re-run): that day's verdicts."""
    import json

    config = write_settings(tmp_path)
    db = populate(config, findings=[])
    try:
        record_results(db, [result("fail")], D(2026, 11, 1), now=at(5))
        with db.session() as s:
            rows = [(r.rule, r.status, r.is_open) for r in scorecards.snapshot(config, s, D(2026, 11, 1)).rows]
    finally:
        db.dispose()
    assert rows == [("shanting.19", "fail", True)]
    out = tmp_path / "bundle"
    assert main(["evidence", "--report", "daily", "--as-of", "2026-11-01", "--out", str(out),
                 "--config", str(tmp_path / "settings.toml")]) == 0
    capsys.readouterr()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [(f["rule"], f["status"]) for f in manifest["findings"]] == [("shanting.19", "fail")]
