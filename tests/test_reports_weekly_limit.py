"""The weekly body lists a bounded number of overdue items per department; the XLSX keeps them all."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from reports_dataset import AS_OF, populate, write_settings

from reports import scorecards
from reports.build import build_and_queue


def test_overdue_limit_by_department_count() -> None:
    assert scorecards.overdue_limit(3) == 500  # a district: the usual list limit, lists complete
    assert scorecards.overdue_limit(50) == 50
    assert scorecards.overdue_limit(500) == 10  # a province: 10 each, about 5,000 rows in all
    assert scorecards.overdue_limit(0) == 500


def test_weekly_lists_the_worst_overdue_items_and_says_how_many_more(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scorecards, "OVERDUE_BUDGET", 1)
    monkeypatch.setattr(scorecards, "OVERDUE_MIN", 1)
    config = write_settings(tmp_path)
    db = populate(config)
    build_and_queue(config, db, "weekly", AS_OF)
    out = config.reports_dir / AS_OF.isoformat()
    text = (out / "weekly.txt").read_text(encoding="utf-8")
    html = (out / "weekly.html").read_text(encoding="utf-8")
    mzj = text.split("【区民政局】（3 项）")[1].split("【")[0].split("==")[0]
    assert mzj.count("- [") == 1 and "以上列出最严重的 1 项，另有 2 项未列出" in mzj
    assert "单项否决" in mzj  # the worst one is the one listed
    assert "以上列出最严重的 1 项，另有 2 项未列出" in html
    wb = load_workbook(io.BytesIO((out / "weekly.xlsx").read_bytes()))
    district = wb.worksheets[1]
    listed = [row for row in district.iter_rows(min_row=2, values_only=True) if row[0] == "区民政局"]
    assert len(listed) >= 3  # every open finding of the department is in the workbook
    db.dispose()
