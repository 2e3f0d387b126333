"""`zwgk check`, `zwgk rules`, `zwgk findings`: formats and exit codes 0/1/2."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from checks_builders import Store, make_config
from openpyxl import load_workbook

from checks.engine import run_checks
from zwgk.cli import main

D = dt.date
AS_OF = "2026-11-20"


@pytest.fixture
def district(tmp_path: Path) -> Path:
    """A district with one healthy section (gzdt) and one blank section (jgzn)."""
    config = make_config(tmp_path, [{"id": "gzdt", "indicator": "shanting.01", "category": "static"},
                                    {"id": "jgzn", "indicator": "shanting.01", "department": "mzj"}])
    store = Store(config)
    store.crawl("gzdt", D(2026, 11, 19))
    store.crawl("jgzn", D(2026, 11, 19), "empty")
    store.item("gzdt", "区政府召开常务会议", D(2026, 11, 18))
    store.close()
    return config.path


def test_check_exit_1_on_a_fail_and_json_shape(district: Path, capsys: pytest.CaptureFixture) -> None:
    code = main(["check", "--config", str(district), "--as-of", AS_OF, "--format", "json"])
    assert code == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["as_of"] == AS_OF
    keys = {"rule", "kind", "site", "section", "department", "status", "period", "due", "message", "evidence"}
    assert all(keys <= set(f) for f in doc["findings"])
    blank = next(f for f in doc["findings"] if f["rule"] == "shanting.01" and f["section"] == "jgzn")
    assert blank["status"] == "fail" and blank["department"] == "mzj" and blank["kind"] == "presence"
    assert blank["evidence"][0]["url"].endswith("/jgzn/index.html") and blank["evidence"][0]["captured_at"]


def test_check_exit_0_for_a_healthy_section(district: Path, capsys: pytest.CaptureFixture) -> None:
    code = main(["check", "--config", str(district), "--as-of", AS_OF, "--section", "gzdt", "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0, [f for f in doc["findings"] if f["status"] == "fail"]
    assert {f["section"] for f in doc["findings"]} == {"gzdt"}


def test_check_table_has_chinese_headers(district: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["check", "--config", str(district), "--as-of", AS_OF]) == 1
    out = capsys.readouterr().out
    assert "指标" in out and "结论" in out and "不合格" in out and "历史日期，结果未记录" in out


def test_check_csv_and_xlsx(district: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    main(["check", "--config", str(district), "--as-of", AS_OF, "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {"rule", "status", "period", "due", "message"} <= set(rows[0])
    out = tmp_path / "out" / "check.xlsx"
    assert main(["check", "--config", str(district), "--as-of", AS_OF, "--format", "xlsx", "--out", str(out)]) == 1
    sheet = load_workbook(out).active
    assert [c.value for c in sheet[1]][:3] == ["id", "rule", "kind"] and sheet.max_row == len(rows) + 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--as-of", "2026-13-01"], "不是有效日期"),
        (["--as-of", "yesterday"], "不是有效日期"),
        (["--as-of", "2999-01-01"], "晚于今天"),
        (["--site", "nosuch"], "未知网站"),
        (["--section", "nosuch"], "未知栏目"),
        (["--format", "pdf"], "用法错误"),
    ],
)
def test_check_usage_errors_exit_2(district: Path, argv: list[str], message: str,
                                   capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exc:
        raise SystemExit(main(["check", "--config", str(district), *argv]))
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_check_config_error_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    bad = tmp_path / "settings.toml"
    bad.write_text('[rules]\npacks = ["nosuch"]\n[[departments]]\nid = "o"\nname = "办"\n'
                   '[[sites]]\nid = "p"\nname = "门户"\nbase_url = "http://127.0.0.1:1/"\ndepartment = "o"\n',
                   encoding="utf-8")
    assert main(["check", "--config", str(bad), "--as-of", AS_OF]) == 2
    assert "nosuch" in capsys.readouterr().err


def test_rules_lists_packs_and_indicators(district: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["rules", "--config", str(district), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    ids = {i["id"] for i in doc["indicators"]}
    assert {f"shanting.{n:02d}" for n in range(1, 45)} <= ids and "generic.weekly" in ids
    low = next(i for i in doc["indicators"] if i["id"] == "shanting.19")
    assert low["department"] == "区民政局" and low["kind"] == "cadence" and "第19项" in low["basis"]
    assert main(["rules", "--config", str(district), "--pack", "ogi"]) == 0
    out = capsys.readouterr().out
    assert "ogi.active_disclosure" in out and "shanting.01" not in out and "责任单位" in out


def test_findings_lists_stored_lifecycle(district: Path, capsys: pytest.CaptureFixture) -> None:
    from zwgk.app import open_app

    app = open_app(district)
    run_checks(app.config, app.db, D(2026, 11, 20), record=True)
    app.close()
    assert main(["findings", "--config", str(district), "--format", "json", "--department", "mzj"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["findings"] and {f["department"] for f in doc["findings"]} == {"mzj"}
    row = next(f for f in doc["findings"] if f["rule"] == "shanting.01")
    assert row["status"] == "fail" and row["reopened_count"] == 0 and row["first_detected"]
    assert row["resolved_at"] is None
    assert main(["findings", "--config", str(district), "--status", "resolved", "--format", "csv"]) == 0
    header = capsys.readouterr().out.splitlines()[0].split(",")
    assert {"first_detected", "last_confirmed", "resolved_at", "reopened_count"} <= set(header)
    assert main(["findings", "--config", str(district), "--department", "nosuch"]) == 2
