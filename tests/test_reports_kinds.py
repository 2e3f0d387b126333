"""Several report kinds of one day built together (reports.build.build_kinds) equal the kinds built one by one."""

from __future__ import annotations

import email
from email.policy import default
from pathlib import Path

import pytest
from reports_dataset import AS_OF, populate, write_settings
from sqlalchemy import select

from reports import build, scorecards
from store.models import OutboxMessage, ScoreRecord

KINDS = ("daily", "weekly", "department")


def _state(config, db) -> tuple[dict[str, bytes], dict[str, tuple], list[tuple]]:  # type: ignore[no-untyped-def]
    """Written files, outbox rows by key (message parts decoded) and stored scores."""
    out = config.reports_dir / AS_OF.isoformat()
    files = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    with db.session() as s:
        rows = {}
        for m in s.scalars(select(OutboxMessage)):
            msg = email.message_from_bytes(m.payload, policy=default)
            parts = [(p.get_content_type(), p.get_content()) for p in msg.walk() if not p.is_multipart()]
            rows[m.idem_key] = (m.channel, m.recipient, m.subject, m.kind, m.period, m.status, msg["To"], parts)
        scores = sorted((r.period, r.department_id, r.score, r.vetoed, repr(r.details)) for r in s.scalars(select(ScoreRecord)))
    return files, rows, scores


@pytest.mark.parametrize("workers", [1, 2])
def test_kinds_together_equal_kinds_one_by_one(tmp_path: Path, workers: int) -> None:
    (tmp_path / "apart").mkdir()
    config = write_settings(tmp_path / "apart")
    db = populate(config)
    try:
        apart = {kind: build.build_and_queue(config, db, kind, AS_OF, workers=workers) for kind in KINDS}
        expected = _state(config, db)
    finally:
        db.dispose()
    (tmp_path / "together").mkdir()
    config = write_settings(tmp_path / "together")
    db = populate(config)
    try:
        together = build.build_and_queue_kinds(config, db, KINDS, AS_OF, workers=workers)
        got = _state(config, db)
        # a rerun queues nothing twice (idempotency keys) and writes the same files
        again = build.build_and_queue_kinds(config, db, ["department", "daily"], AS_OF, workers=workers)
        assert _state(config, db)[1].keys() == got[1].keys()
    finally:
        db.dispose()
    assert list(together) == list(KINDS)
    assert {k: [p.name for p in v] for k, v in together.items()} == {k: [p.name for p in v] for k, v in apart.items()}
    assert [p.name for p in again["department"]] == [p.name for p in apart["department"]]
    assert got[0] == expected[0] and len(got[0]) == 3 * (2 + len(config.departments))
    assert got[1] == expected[1] and {"daily", "weekly", "department"} == {row[3] for row in got[1].values()}
    assert got[2] == expected[2] and got[2]


def test_a_failing_kind_does_not_stop_the_others(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_settings(tmp_path)
    db = populate(config)

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("weekly broke")

    monkeypatch.setattr(scorecards, "weekly", broken)
    try:
        outcomes = build.build_kinds(config, db, KINDS, AS_OF, workers=1)
        with pytest.raises(RuntimeError, match="weekly broke"):
            build.build_and_queue_kinds(config, db, ["weekly"], AS_OF, workers=1)
        with db.session() as s:
            kinds = {m.kind for m in s.scalars(select(OutboxMessage))}
    finally:
        db.dispose()
    assert isinstance(outcomes["weekly"], RuntimeError)
    assert [p.name for p in outcomes["daily"]] == ["daily.html", "daily.txt", "daily.xlsx"]  # type: ignore[union-attr]
    assert len(outcomes["department"]) == 3 * len(config.departments)  # type: ignore[arg-type]
    assert kinds == {"daily", "department"}  # the daily's and departments' rows committed, nothing of the weekly


def test_snapshots_are_only_used_for_what_they_hold(tmp_path: Path) -> None:
    config = write_settings(tmp_path)
    db = populate(config)
    try:
        with db.session() as s:
            share = scorecards.snapshot(config, s, AS_OF, ["mzj"])
            whole = scorecards.snapshot(config, s, AS_OF)
            with pytest.raises(ValueError, match="whole snapshot"):
                scorecards.daily(config, s, AS_OF, snap=share)
            with pytest.raises(ValueError, match="whole snapshot"):
                scorecards.weekly(config, s, AS_OF.replace(day=19), snap=whole)
            with pytest.raises(ValueError, match="czj"):
                scorecards.department(config, s, AS_OF, "czj", snap=share)
            mine = scorecards.department(config, s, AS_OF, "mzj", snap=share)
            from_whole = scorecards.department(config, s, AS_OF, "mzj", snap=whole)
            s.rollback()
    finally:
        db.dispose()
    assert mine.context["open"] == from_whole.context["open"] and mine.context["open"]
    assert {r.department_id for r in mine.context["open"]} == {"mzj"}


def test_district_reports_count_as_the_main_process_work() -> None:
    ids = [f"d{i}" for i in range(6)]
    weights = dict.fromkeys(ids, 100)
    assert build.balanced_shares(ids, weights, 2, head=10_000) == [[], ids]
    shares = build.balanced_shares(ids, weights, 2, head=2 * (100 + build.DEPARTMENT_COST))
    assert [len(s) for s in shares] == [2, 4]


def test_weekly_scores_are_inserted_once_and_updated_in_place(tmp_path: Path) -> None:
    config = write_settings(tmp_path)
    db = populate(config)
    period = "2026-W47"
    try:
        with db.session() as s:
            s.add(ScoreRecord(period=period, department_id="mzj", score=1.0, vetoed=False, details={}))
        with db.session() as s:
            old_id = s.scalars(select(ScoreRecord.id).where(ScoreRecord.period == period)).one()
        build.build_and_queue(config, db, "weekly", AS_OF, workers=1)
        with db.session() as s:
            first = {(r.department_id, r.id, r.score) for r in s.scalars(select(ScoreRecord).where(ScoreRecord.period == period))}
        build.build_and_queue(config, db, "weekly", AS_OF, workers=1)
        with db.session() as s:
            again = {(r.department_id, r.id, r.score) for r in s.scalars(select(ScoreRecord).where(ScoreRecord.period == period))}
    finally:
        db.dispose()
    assert {dep for dep, _, _ in first} == {d.id for d in config.departments}
    mzj = next(row for row in first if row[0] == "mzj")
    assert mzj[1] == old_id and mzj[2] != 1.0  # the stored row of the week, updated
    assert again == first
