"""`zwgk items` as auditors read it (local times, errors on stderr) and every command under a closed pipe."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from checks_builders import Store, make_config
from sqlalchemy import update

from store.models import Item
from zwgk.cli import main

ROOT = Path(__file__).resolve().parent.parent
D = dt.date


@pytest.fixture
def district(tmp_path: Path) -> Path:
    config = make_config(tmp_path, [{"id": "dibao", "indicator": "shanting.19", "department": "mzj"}])
    store = Store(config)
    store.crawl("dibao", D(2026, 11, 20))
    store.item("dibao", "2026年10月城乡低保发放情况", D(2026, 11, 10))  # first seen 07:00 local (23:00 UTC before)
    gone = store.item("dibao", "已撤下的名单", D(2026, 11, 3))
    with store.db.session() as s:
        s.execute(update(Item).where(Item.url == gone).values(gone_at=dt.datetime(2026, 11, 19, 16, 30)))
    store.close()
    return config.path


def test_items_json_times_are_local_with_their_offset(district: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["items", "--config", str(district), "--site", "portal", "--section", "dibao", "--format", "json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["title"] == "2026年10月城乡低保发放情况"
    assert (row["published"], row["date_source"]) == ("2026-11-10", "meta")
    assert row["first_seen"] == row["last_seen"] == "2026-11-10T07:00:00+08:00"  # stored as 2026-11-09 23:00 UTC
    assert row["gone_at"] is None


def test_items_table_shows_local_times_and_gone_items_with_all(district: Path, capsys: pytest.CaptureFixture) -> None:
    args = ["items", "--config", str(district), "--site", "portal", "--section", "dibao"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "2026-11-10 07:00" in out and "2026-11-09 23:00" not in out
    assert "已撤下的名单" not in out and "共 1 条" in out
    assert main([*args, "--all"]) == 0
    out = capsys.readouterr().out
    assert "已撤下的名单（2026-11-20 00:30 已从列表消失）" in out and "共 2 条" in out


def test_items_table_says_what_the_newest_crawl_could_read(district: Path, capsys: pytest.CaptureFixture) -> None:
    from checks_builders import Store

    from zwgk.config import load_config

    args = ["items", "--config", str(district), "--site", "portal", "--section", "dibao"]
    assert main(args) == 0
    assert "最近一次抓取：2026-11-20 06:00，正常；读取列表 0 页、0 条" in capsys.readouterr().out
    store = Store(load_config(district))
    store.crawl("dibao", D(2026, 11, 21), "blocked", "被反爬拦截：瑞数 (HTTP 412)")
    store.close()
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "2026年10月城乡低保发放情况" in out  # what was seen before is still listed
    assert "最近一次抓取：2026-11-21 06:00，被反爬拦截：瑞数 (HTTP 412)，本栏目暂无法判断" in out


@pytest.mark.parametrize(("site", "section"), [("portal", "nope"), ("nope", "dibao")])
def test_items_unknown_section_is_a_usage_error_on_stderr(district: Path, capsys: pytest.CaptureFixture,
                                                           site: str, section: str) -> None:
    code = main(["items", "--config", str(district), "--site", site, "--section", section, "--format", "json"])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert f"未知栏目：{site}/{section}" in captured.err


@pytest.mark.parametrize("argv", [["rules"], ["rules", "--format", "json"]])
def test_a_closed_pipe_ends_quietly(argv: list[str]) -> None:
    """`zwgk rules | head -1`: the reader leaves early; no traceback, status 141 like other tools."""
    proc = subprocess.Popen([sys.executable, "-m", "zwgk", *argv, "--config", str(ROOT / "settings.toml")],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # type: ignore[union-attr]
    err = proc.stderr.read().decode()  # type: ignore[union-attr]
    assert proc.wait(timeout=120) == 141, err
    assert "Traceback" not in err and "BrokenPipeError" not in err


# --------------------------------------------------------------------------- capture times carry their offset


@pytest.mark.parametrize(
    ("value", "tz", "shown"),
    [
        ("2026-12-01T07:02:56", None, "2026-12-01T07:02:56+00:00"),  # stored naive UTC, said so
        ("2026-12-01T07:02:56", "Asia/Shanghai", "2026-12-01T15:02:56+08:00"),
        (dt.datetime(2026, 12, 1, 16, 30), "Asia/Shanghai", "2026-12-02T00:30:00+08:00"),  # the local day moves on
        ("2026-11-20T06:00:00+08:00", None, "2026-11-19T22:00:00+00:00"),  # an aware time keeps its instant
        ("not a time", None, "not a time"),
        (None, None, None),
    ],
)
def test_capture_time(value: object, tz: str | None, shown: str | None) -> None:
    from zoneinfo import ZoneInfo

    from zwgk.exports import capture_time

    assert capture_time(value, ZoneInfo(tz) if tz else None) == shown


def test_check_and_findings_show_capture_and_lifecycle_times_in_local_time(
        district: Path, capsys: pytest.CaptureFixture) -> None:
    from checks.engine import run_checks
    from zwgk.app import open_app

    assert main(["check", "--config", str(district), "--as-of", "2026-11-22", "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    by_period = {f["period"]: f for f in doc["findings"] if f["rule"] == "shanting.19"}
    # October's list is there: its evidence is the item, first seen 07:00 local (23:00 UTC the day before).
    assert by_period["2026-10"]["status"] == "pass"
    assert by_period["2026-10"]["evidence"][0]["captured_at"] == "2026-11-10T07:00:00+08:00"
    # September's is missing: judged on the list page captured at 06:00 local (22:00 UTC the day before).
    assert by_period["2026-09"]["status"] == "fail"
    assert by_period["2026-09"]["evidence"][0]["captured_at"] == "2026-11-20T06:00:00+08:00"

    assert main(["check", "--config", str(district), "--as-of", "2026-11-22", "--format", "csv"]) == 1
    assert "2026-11-20T06:00:00+08:00" in capsys.readouterr().out

    app = open_app(district)
    run_checks(app.config, app.db, D(2026, 11, 22), record=True)
    app.close()
    assert main(["findings", "--config", str(district), "--status", "all", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["findings"]
    assert rows and all(r["first_detected"].endswith("+08:00") and r["last_confirmed"].endswith("+08:00")
                        for r in rows)


# --------------------------------------------------------------------------- usage errors in Chinese


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["check", "--format", "xml"], "用法错误：参数 --format：无效的取值 'xml'（可选："),
        (["report", "bogus"], "用法错误：参数 kind：无效的取值 'bogus'"),
        (["items", "--site", "portal"], "用法错误：缺少必需的参数：--section"),
        (["check", "--bogus", "1"], "用法错误：无法识别的参数：--bogus 1"),
        (["check", "--as-of"], "用法错误：参数 --as-of 需要一个值"),
        (["check", "--as-of", "2026-13-01"], "用法错误：参数 --as-of：`2026-13-01` 不是有效日期"),
    ],
)
def test_usage_errors_are_chinese_and_exit_2(argv: list[str], expected: str, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as caught:
        main(argv)
    err = capsys.readouterr().err
    assert caught.value.code == 2
    assert expected in err, err
    assert "invalid choice" not in err and "required" not in err and "unrecognized" not in err


def test_unknown_argparse_wording_is_kept() -> None:
    from zwgk.cli import translate_argparse

    assert translate_argparse("something new") == "something new"


@pytest.mark.parametrize("command", ["check", "findings", "rules"])
def test_xlsx_is_not_printed_onto_a_terminal(district: Path, command: str, capsys: pytest.CaptureFixture,
                                             monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert main([command, "--config", str(district), "--format", "xlsx"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "--out" in captured.err and "用法错误" in captured.err
    out = tmp_path / f"{command}.xlsx"
    assert main([command, "--config", str(district), "--format", "xlsx", "--out", str(out)]) in (0, 1)
    assert out.read_bytes()[:2] == b"PK"


def test_todays_check_shows_the_stored_finding_ids(district: Path, capsys: pytest.CaptureFixture) -> None:
    """`zwgk check` (today, recorded) prints the id `zwgk evidence ID` and `zwgk findings` use."""
    from sqlalchemy import select

    from store.models import Finding
    from zwgk.app import open_app

    main(["check", "--config", str(district), "--format", "json"])
    rows = json.loads(capsys.readouterr().out)["findings"]
    app = open_app(district)
    with app.db.session() as s:
        stored = {f.key: f.id for f in s.scalars(select(Finding))}
    app.close()
    key = "{rule}|{site}|{section}|{period}"
    ids = {key.format(**{k: r[k] or "" for k in ("rule", "site", "section", "period")}): r["id"] for r in rows}
    assert [r for r in rows if r["status"] != "pass"] and stored
    assert all(ids[k] == stored[k] for k in stored if k in ids)
    assert all(isinstance(r["id"], int) for r in rows if r["status"] != "pass")
    assert main(["check", "--config", str(district)]) == 1
    table = capsys.readouterr().out.splitlines()
    assert table[0].startswith("编号") and table[2].split()[0].isdigit()
    # a past day is printed, not recorded: no ids
    main(["check", "--config", str(district), "--as-of", "2026-11-22", "--format", "json"])
    assert all(r["id"] is None for r in json.loads(capsys.readouterr().out)["findings"])


def test_crawl_of_an_unknown_site_is_a_usage_error_on_stderr(district: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["crawl", "--config", str(district), "--site", "nope"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "用法错误：未知网站 nope（可用：portal）" in captured.err
