"""`zwgk evidence --report weekly`: the bundle holds the findings the weekly scorecard deducts for.

Round trip: written from stored WARC records, verified, tampered with (the changed record is
named), and its findings are exactly the open failing findings the weekly scorecard scores at
the end of the as-of day in the configured timezone (Asia/Shanghai).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from reports.scorecards import snapshot
from store.db import Database
from store.models import Finding
from store.warc import WarcStore
from zwgk.cli import main
from zwgk.config import load_config

AS_OF = dt.date(2026, 11, 20)  # Friday of 2026-W47

SETTINGS = """\
[general]
database_url = "sqlite:///zwgk.db"
evidence_dir = "evidence"
reports_dir = "reports"
outbox_dir = "outbox"

[mail]
enabled = false

[[departments]]
id = "mzj"
name = "区民政局"

[[departments]]
id = "czj"
name = "区财政局"

[[sites]]
id = "portal"
name = "区政府门户网站"
base_url = "http://127.0.0.1:9/"
department = "mzj"

  [[sites.sections]]
  id = "dibao"
  name = "城乡低保"
  list_url = "http://127.0.0.1:9/dibao/index.html"
  indicator = "generic.monthly"

  [[sites.sections]]
  id = "czdt"
  name = "财政动态"
  list_url = "http://127.0.0.1:9/czdt/index.html"
  indicator = "generic.weekly"
  department = "czj"
"""


def _utc(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute)  # stored naive UTC


@pytest.fixture
def store(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    """Two WARC records and five findings around the week; returns the settings and finding ids by name."""
    settings = tmp_path / "settings.toml"
    settings.write_text(SETTINGS, encoding="utf-8")
    warc = WarcStore(tmp_path / "evidence", "2026/11/20/portal-1.warc.gz")
    ptrs = {
        name: warc.write_exchange(
            f"http://127.0.0.1:9/{name}/index.html",
            status=200,
            headers=[("Content-Type", "text/html; charset=utf-8")],
            body=f"<ul><li>{name} 栏目列表</li></ul>".encode(),
        )
        for name in ("dibao", "czdt")
    }
    warc.close()

    def ev(name: str, captured: dt.datetime) -> list[dict]:
        ptr = ptrs[name]
        return [
            {
                "url": f"http://127.0.0.1:9/{name}/index.html",
                "captured_at": captured.isoformat(),
                "warc_file": ptr.warc_file,
                "warc_offset": ptr.offset,
                "warc_length": ptr.length,
            }
        ]

    def finding(name: str, section: str, dep: str, status: str, detected: dt.datetime, **kw) -> Finding:
        return Finding(
            key=f"{name}|portal|{section}",
            rule="generic.monthly" if section == "dibao" else "generic.weekly",
            kind="cadence",
            site_id="portal",
            section_id=section,
            department_id=dep,
            period=name,
            status=status,
            severity=kw.pop("severity", "deduct"),
            due=dt.date(2026, 11, 10),
            message=f"{name}：栏目未按期更新",
            evidence=ev(section, detected),
            first_detected=detected,
            last_confirmed=detected,
            **kw,
        )

    # local times (+08:00): monday Mon 07:00; late_friday Fri 23:30 (in the week); saturday Sat 00:30
    # (after AS_OF); resolved failed Monday, fixed Wednesday; unknown (unreadable) is not 不合格
    rows = {
        "monday": finding("monday", "dibao", "mzj", "fail", _utc(15, 23)),
        "late_friday": finding("late_friday", "czdt", "czj", "fail", _utc(20, 15, 30), severity="veto"),
        "saturday": finding("saturday", "dibao", "mzj", "fail", _utc(20, 16, 30)),
        "resolved": finding("resolved", "czdt", "czj", "pass", _utc(16, 1), resolved_at=_utc(18, 2)),
        "unknown": finding("unknown", "czdt", "czj", "unknown", _utc(17, 1)),
    }
    db = Database(f"sqlite:///{tmp_path / 'zwgk.db'}")
    with db.session() as s:
        s.add_all(rows.values())
        s.flush()
        ids = {name: row.id for name, row in rows.items()}
    db.dispose()
    return settings, ids


def _bundle(settings: Path, out: Path, *extra: str) -> int:
    argv = ["evidence", "--report", "weekly", "--as-of", AS_OF.isoformat(), "--out", str(out)]
    return main([*argv, *extra, "--config", str(settings)])


def _manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def test_weekly_bundle_round_trip_holds_what_the_scorecard_deducts(store, tmp_path: Path, capsys) -> None:
    settings, ids = store
    out = tmp_path / "weekly"
    assert _bundle(settings, out) == 0
    assert "问题 2 项，原始记录 2 条" in capsys.readouterr().out
    manifest = _manifest(out)
    assert manifest["title"] == "证据包：周报不合格问题（2026年11月20日）"
    assert sorted(f["id"] for f in manifest["findings"]) == sorted([ids["monday"], ids["late_friday"]])
    assert manifest["missing"] == []
    by_url = {r["url"]: r for r in manifest["records"]}
    assert by_url["http://127.0.0.1:9/czdt/index.html"]["findings"] == [ids["late_friday"]]

    # the same findings the weekly scorecard scores (open failures at the end of Friday, local time)
    config = load_config(settings)
    db = Database(config.database_url)
    with db.session() as s:
        scored = {r.id for r in snapshot(config, s, AS_OF).rows if r.is_open and r.status == "fail"}
    db.dispose()
    assert scored == {f["id"] for f in manifest["findings"]}
    assert main(["report", "weekly", "--as-of", AS_OF.isoformat(), "--config", str(settings)]) == 0
    text = (config.reports_dir / AS_OF.isoformat() / "weekly.txt").read_text(encoding="utf-8")
    assert "单项否决：generic.weekly" in text and "late_friday" in text  # the late-Friday veto is scored
    assert "monday：栏目未按期更新" in text and "saturday" not in text and "resolved" not in text

    capsys.readouterr()
    assert main(["evidence", "--verify", str(out)]) == 0
    assert "证据包完好：2 条记录" in capsys.readouterr().out

    record = out / by_url["http://127.0.0.1:9/czdt/index.html"]["file"]
    data = bytearray(record.read_bytes())
    data[len(data) // 2] ^= 0x01
    record.write_bytes(bytes(data))
    assert main(["evidence", "--verify", str(out)]) == 1
    text = capsys.readouterr().out
    czdt = by_url["http://127.0.0.1:9/czdt/index.html"]["file"]
    assert f"{czdt}（http://127.0.0.1:9/czdt/index.html）已被修改" in text
    assert "dibao" not in text


def test_weekly_bundle_for_one_department_and_an_earlier_week(store, tmp_path: Path) -> None:
    settings, ids = store
    assert _bundle(settings, tmp_path / "czj", "--department", "czj") == 0
    assert [f["id"] for f in _manifest(tmp_path / "czj")["findings"]] == [ids["late_friday"]]
    assert main(["evidence", "--verify", str(tmp_path / "czj")]) == 0
    # a week earlier nothing had been detected yet
    argv = ["evidence", "--report", "weekly", "--as-of", "2026-11-13", "--out", str(tmp_path / "w46")]
    assert main([*argv, "--config", str(settings)]) == 0
    assert _manifest(tmp_path / "w46")["findings"] == []
    assert _bundle(settings, tmp_path / "x", "--department", "nope") == 2
