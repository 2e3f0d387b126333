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
