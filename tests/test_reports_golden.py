"""Golden files of the three reports (HTML and text) for the fixed data set at a fixed as_of.

Regenerate after an intended change with: ZWGK_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_reports_golden.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from reports_dataset import AS_OF, FILES, populate, write_settings
from sqlalchemy import select

from reports.build import build_and_queue
from reports.scoring import rank, score_department
from store.models import ScoreRecord

GOLDEN = FILES / "golden"
UPDATE = os.environ.get("ZWGK_UPDATE_GOLDEN") == "1"


def assert_golden(path: Path, name: str) -> None:
    actual = path.read_text(encoding="utf-8")
    golden = GOLDEN / name
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(actual, encoding="utf-8")
        return
    assert golden.exists(), f"missing golden file {golden}; run with ZWGK_UPDATE_GOLDEN=1"
    assert actual == golden.read_text(encoding="utf-8"), f"{name} differs from its golden file"


@pytest.fixture
def built(tmp_path: Path):
    config = write_settings(tmp_path)
    db = populate(config)
    yield config, db
    db.dispose()


@pytest.mark.parametrize(
    ("kind", "department", "stem"),
    [("daily", None, "daily"), ("weekly", None, "weekly"), ("department", "mzj", "department-mzj")],
)
def test_report_matches_golden(built, kind: str, department: str | None, stem: str) -> None:
    config, db = built
    paths = build_and_queue(config, db, kind, AS_OF, department_id=department)
    out = config.reports_dir / "2026-11-20"
    assert sorted(p.name for p in paths) == sorted(f"{stem}.{ext}" for ext in ("html", "txt", "xlsx"))
    assert all(p.parent == out and p.stat().st_size > 0 for p in paths)
    for ext in ("html", "txt"):
        text = (out / f"{stem}.{ext}").read_text(encoding="utf-8")
        assert "FUTURE-FINDING" not in text  # detected after as_of
        assert_golden(out / f"{stem}.{ext}", f"{stem}.{ext}")


def test_daily_sections_and_order(built) -> None:
    config, db = built
    build_and_queue(config, db, "daily", AS_OF)
    text = (config.reports_dir / "2026-11-20" / "daily.txt").read_text(encoding="utf-8")
    new, rest = text.split("== 新发现的问题（3） ==")[1].split("== 仍未整改的问题（6，最严重的在前） ==")
    assert "特困供养" in new and "城乡低保" not in new  # 城乡低保 was found on 11-14
    open_part, resolved = rest.split("== 已整改的问题（1） ==")
    # worst first: the veto, then failures by days overdue, then unknown, then warning
    order = [open_part.index(s) for s in ("/ 民政动态", "/ 城乡低保", "/ 财政动态", "/ 特困供养", "/ 政策解读", "/ 工作动态")]
    assert order == sorted(order)
    assert "已逾期 10 天" in open_part and "已逾期 7 天" in open_part
    assert "现已补发" in resolved
    assert "- 区民政局：不合格（单项否决）；未通过 3（逾期 3，单项否决 1）" in text


def test_weekly_scores_are_stored_and_compared(built) -> None:
    config, db = built
    build_and_queue(config, db, "weekly", AS_OF)
    with db.session() as s:
        rows = {r.department_id: r for r in s.scalars(select(ScoreRecord).where(ScoreRecord.period == "2026-W47"))}
    assert {k: (v.score, v.vetoed) for k, v in rows.items()} == {
        "office": (100.0, False),  # a warning does not deduct
        "czj": (98.0, False),  # one weekly failure: 2 points; the unknown does not deduct
        "mzj": (96.0, True),  # 3 + 3 capped at the indicator's 4 points; the veto makes it 不合格
    }
    text = (config.reports_dir / "2026-11-20" / "weekly.txt").read_text(encoding="utf-8")
    assert "3. 区民政局  96 分  不合格（单项否决）  较上周：+4" in text
    assert "rpt.monthly 低保救助每月公开：2 项计 6 分，上限 4，扣 4 分" in text
    # rerunning the same week updates, never duplicates, the records
    build_and_queue(config, db, "weekly", AS_OF)
    with db.session() as s:
        assert len(list(s.scalars(select(ScoreRecord).where(ScoreRecord.period == "2026-W47")))) == 3


def test_score_formula() -> None:
    s = score_department("x", [("a", "A", "deduct", 1.0, 2.0)] * 5 + [("b", "B", "deduct", 0.5, 10.0)])
    assert s.score == 97.5 and not s.vetoed and s.verdict == "合格"
    assert [(d.rule, d.raw, d.deducted) for d in s.deductions] == [("a", 5.0, 2.0), ("b", 0.5, 0.5)]
    low = score_department("y", [(f"r{i}", "R", "deduct", 5.0, 5.0) for i in range(9)])
    assert low.score == 55.0 and low.verdict == "不合格"
    veto = score_department("z", [("v", "V", "veto", 0.0, 0.0)])
    assert veto.score == 100.0 and veto.vetoed and veto.verdict == "不合格（单项否决）"
    info = score_department("w", [("i", "I", "info", 3.0, 3.0)])
    assert info.score == 100.0
    assert [(p, sc.department_id) for p, sc in rank([veto, low, s, info])] == [(1, "w"), (2, "x"), (3, "y"), (4, "z")]
