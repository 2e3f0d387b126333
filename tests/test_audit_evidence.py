"""Evidence bundles round-trip: written from stored WARC records, verified, then tampered with."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

from store.db import Database
from store.models import Finding
from store.warc import WarcStore
from zwgk.cli import main

SETTINGS = """\
[general]
database_url = "sqlite:///zwgk.db"
evidence_dir = "evidence"

[[departments]]
id = "mzj"
name = "区民政局"

[[sites]]
id = "mz"
name = "区民政局网站"
base_url = "http://127.0.0.1:9/"
department = "mzj"

  [[sites.sections]]
  id = "nb"
  name = "政府信息公开年报"
  list_url = "http://127.0.0.1:9/nb/index.html"
  indicator = "ogi.annual_report_department"
"""


def _setup(tmp_path: Path) -> tuple[Path, list[int]]:
    """A config, two WARC records, and three findings (two failing, one on a record-less URL)."""
    settings = tmp_path / "settings.toml"
    settings.write_text(SETTINGS, encoding="utf-8")
    store = WarcStore(tmp_path / "evidence", "2026/02/01/mz-1.warc.gz")
    list_ptr = store.write_exchange(
        "http://127.0.0.1:9/nb/index.html",
        status=200,
        headers=[("Content-Type", "text/html")],
        body="<li>年报<script>x</script></li>".encode(),
    )
    page_ptr = store.write_exchange(
        "http://127.0.0.1:9/nb/2025.html",
        status=200,
        headers=[("Content-Type", "text/html")],
        body="<p>2025年度报告</p>".encode(),
    )
    store.close()

    def ev(url: str, ptr) -> dict:
        return {
            "url": url,
            "captured_at": "2026-02-01T02:00:00",
            "warc_file": ptr.warc_file,
            "warc_offset": ptr.offset,
            "warc_length": ptr.length,
        }

    db = Database(f"sqlite:///{tmp_path / 'zwgk.db'}")
    with db.session() as s:
        rows = [
            Finding(
                key="ogi.annual_report_department|mz|nb|2025",
                rule="ogi.annual_report_department",
                kind="cadence",
                site_id="mz",
                section_id="nb",
                department_id="mzj",
                period="2025",
                status="fail",
                severity="deduct",
                due=dt.date(2026, 1, 31),
                message="2025年度年报逾期未发布<b>",
                evidence=[
                    ev("http://127.0.0.1:9/nb/index.html", list_ptr),
                    ev("http://127.0.0.1:9/nb/2025.html", page_ptr),
                ],
                first_detected=dt.datetime(2026, 2, 1, 2, 0),
            ),
            Finding(
                key="x|mz|nb|2025",
                rule="ogi.annual_report_department",
                kind="annual_report",
                site_id="mz",
                section_id="nb",
                department_id="mzj",
                period="2025-b",
                status="fail",
                message="表三 勾稽关系错误",
                evidence=[
                    ev("http://127.0.0.1:9/nb/2025.html", page_ptr),
                    {"url": "http://127.0.0.1:9/nb/a.pdf", "captured_at": None},
                ],
                first_detected=dt.datetime(2026, 2, 1, 2, 0),
            ),
            Finding(
                key="y|mz|nb|2025",
                rule="ogi.annual_report_department",
                kind="cadence",
                site_id="mz",
                section_id="nb",
                department_id="mzj",
                period="2024",
                status="pass",
                message="ok",
                evidence=[],
                first_detected=dt.datetime(2026, 2, 1, 2, 0),
            ),
        ]
        s.add_all(rows)
        s.flush()
        ids = [r.id for r in rows]
    db.dispose()
    return settings, ids


def test_bundle_round_trip_and_tamper_detection(tmp_path: Path, capsys) -> None:
    settings, ids = _setup(tmp_path)
    out = tmp_path / "bundle"
    assert main(["evidence", str(ids[0]), "--out", str(out), "--config", str(settings)]) == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [r["url"] for r in manifest["records"]] == [
        "http://127.0.0.1:9/nb/index.html",
        "http://127.0.0.1:9/nb/2025.html",
    ]
    finding = manifest["findings"][0]
    assert finding["rule"] == "ogi.annual_report_department"
    assert "第四十九条" in finding["basis"]
    first = out / manifest["records"][0]["file"]
    record = gzip.decompress(first.read_bytes())
    assert b"WARC-Target-URI: http://127.0.0.1:9/nb/index.html" in record and "年报".encode() in record
    summary = (out / "summary.html").read_text(encoding="utf-8")
    assert "逾期未发布&lt;b&gt;" in summary and "第四十九条" in summary  # autoescaped, Chinese
    assert "<th>抓取时间（UTC）</th>" in summary and "抓取时间 2026-02-01T02:00:00+00:00" in summary

    capsys.readouterr()
    assert main(["evidence", "--verify", str(out)]) == 0
    assert "证据包完好：2 条记录" in capsys.readouterr().out

    data = bytearray(first.read_bytes())
    data[len(data) // 2] ^= 0x01
    first.write_bytes(bytes(data))
    assert main(["evidence", "--verify", str(out)]) == 1
    text = capsys.readouterr().out
    assert "records/001.warc.gz（http://127.0.0.1:9/nb/index.html）已被修改" in text
    assert "records/002" not in text  # only the changed record is named (hashes may contain "002")


def test_edited_manifest_is_detected(tmp_path: Path, capsys) -> None:
    settings, ids = _setup(tmp_path)
    out = tmp_path / "bundle"
    assert main(["evidence", str(ids[0]), "--out", str(out), "--config", str(settings)]) == 0
    path = out / "manifest.json"
    path.write_text(path.read_text(encoding="utf-8").replace("逾期未发布", "按时发布"), encoding="utf-8")
    assert main(["evidence", "--verify", str(out)]) == 1
    assert "清单 manifest.json 已被修改" in capsys.readouterr().out


def test_report_bundle_takes_failing_findings_and_lists_missing_records(tmp_path: Path, capsys) -> None:
    settings, ids = _setup(tmp_path)
    out = tmp_path / "daily"
    code = main(
        [
            "evidence",
            "--report",
            "daily",
            "--as-of",
            "2026-02-01",
            "--out",
            str(out),
            "--config",
            str(settings),
        ]
    )
    assert code == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [f["id"] for f in manifest["findings"]] == ids[:2]  # the passing one is left out
    assert len(manifest["records"]) == 2  # the shared page record is stored once
    assert manifest["records"][1]["findings"] == ids[:2]
    assert manifest["missing"] == [
        {
            "finding": ids[1],
            "url": "http://127.0.0.1:9/nb/a.pdf",
            "reason": "该证据没有保存原始响应（WARC 记录）",
        }
    ]
    assert main(["evidence", "--verify", str(out)]) == 0
    # nothing failing before the findings existed; usage errors exit 2
    assert (
        main(
            [
                "evidence",
                "--report",
                "daily",
                "--as-of",
                "2026-01-01",
                "--out",
                str(tmp_path / "e"),
                "--config",
                str(settings),
            ]
        )
        == 0
    )
    assert json.loads((tmp_path / "e" / "manifest.json").read_text(encoding="utf-8"))["findings"] == []
    assert main(["evidence", "999", "--out", str(tmp_path / "x"), "--config", str(settings)]) == 2
    assert main(["evidence", str(ids[0]), "--out", str(out), "--config", str(settings)]) == 2  # not empty
    assert main(["evidence", "--out", str(tmp_path / "y"), "--config", str(settings)]) == 2
