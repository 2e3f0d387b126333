"""A fixed data set for the reports tests: config, departments, findings and past scores.

Used by tests/test_reports_*.py and by bench/render_reports.py. Dates are fixed so the
golden files are stable: AS_OF is Friday 2026-11-20 (ISO week 2026-W47).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from store.db import Database
from store.models import Finding, ScoreRecord
from store.sync import sync_config
from zwgk.config import Config, load_config

FILES = Path(__file__).resolve().parent / "files" / "reports"
AS_OF = dt.date(2026, 11, 20)

SETTINGS = """
[general]
database_url = "sqlite:///zwgk.db"
reports_dir = "reports"
outbox_dir = "outbox"
evidence_dir = "evidence"

[rules]
packs = []
pack_files = ["{pack}"]

[mail]
enabled = {enabled}
host = "127.0.0.1"
port = {port}
sender = "zwgk-monitor@example.gov.cn"
max_attempts = {max_attempts}
retry_base_seconds = {retry_base}
timeout_seconds = 5
office_recipients_extra = ["leader@example.gov.cn"]

[[departments]]
id = "office"
name = "区政府办公室"
emails = ["office@example.gov.cn"]
office = true

[[departments]]
id = "mzj"
name = {mzj_name}
emails = ["mzj@example.gov.cn", "mzj-2@example.gov.cn"]

[[departments]]
id = "czj"
name = "区财政局"
emails = ["czj@example.gov.cn"]

[[sites]]
id = "portal"
name = "示范区人民政府门户网站"
base_url = "http://127.0.0.1:9/"
department = "office"

  [[sites.sections]]
  id = "gzdt"
  name = "工作动态"
  list_url = "http://127.0.0.1:9/gzdt/"
  indicator = "rpt.weekly"

  [[sites.sections]]
  id = "dibao"
  name = "城乡低保"
  list_url = "http://127.0.0.1:9/dibao/"
  department = "mzj"
  indicator = "rpt.monthly"

  [[sites.sections]]
  id = "tekun"
  name = "特困供养"
  list_url = "http://127.0.0.1:9/tekun/"
  department = "mzj"
  indicator = "rpt.monthly"

  [[sites.sections]]
  id = "mzdt"
  name = "民政动态"
  list_url = "http://127.0.0.1:9/mzdt/"
  department = "mzj"
  indicator = "rpt.home"

  [[sites.sections]]
  id = "czdt"
  name = "财政动态"
  list_url = "http://127.0.0.1:9/czdt/"
  department = "czj"
  indicator = "rpt.weekly"

  [[sites.sections]]
  id = "zcjd"
  name = "政策解读"
  list_url = "http://127.0.0.1:9/zcjd/"
  department = "czj"
  indicator = "rpt.policy"
"""


def write_settings(
    tmp: Path,
    *,
    port: int = 25,
    enabled: bool = False,
    max_attempts: int = 5,
    retry_base: float = 0,
    mzj_name: str = "区民政局",
    extra: str = "",
) -> Config:
    """Write settings.toml into ``tmp`` and load it."""
    text = SETTINGS.format(
        pack=(FILES / "pack.toml").as_posix(),
        enabled="true" if enabled else "false",
        port=port,
        max_attempts=max_attempts,
        retry_base=retry_base,
        mzj_name=_toml_string(mzj_name),
    )
    path = tmp / "settings.toml"
    path.write_text(text + extra, encoding="utf-8")
    return load_config(path)


def _toml_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def utc(day: int, hour: int = 0, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0)


def _ev(url: str, day: int) -> list[dict]:
    return [{"url": url, "captured_at": f"2026-11-{day:02d}T06:0{day % 10}:00+08:00", "warc_file": "2026/11/x.warc.gz"}]


FINDINGS = [
    # 区民政局: a veto, two capped monthly failures (one new today), one passing.
    dict(rule="rpt.home", kind="freshness", site_id="portal", section_id="mzdt", department_id="mzj",
         period="2026-W46", status="fail", severity="veto", due=dt.date(2026, 11, 10),
         message="民政动态栏目已 24 天未更新（最近一条发布于 2026-10-27）",
         evidence=_ev("http://127.0.0.1:9/mzdt/", 11), first_detected=utc(11, 2)),
    dict(rule="rpt.monthly", kind="cadence", site_id="portal", section_id="dibao", department_id="mzj",
         period="2026-10", status="fail", severity="deduct", due=dt.date(2026, 11, 13),
         message="城乡低保栏目未公开 2026年10月 低保救助信息", details={"deduct": 3},
         evidence=_ev("http://127.0.0.1:9/dibao/", 14), first_detected=utc(14, 1)),
    dict(rule="rpt.monthly", kind="cadence", site_id="portal", section_id="tekun", department_id="mzj",
         period="2026-10", status="fail", severity="deduct", due=dt.date(2026, 11, 19),
         message="特困供养栏目未公开 2026年10月 信息", details={"deduct": 3},
         evidence=_ev("http://127.0.0.1:9/tekun/", 20), first_detected=utc(19, 23)),
    # 区财政局: a weekly failure with markup in the crawled title, an unreadable section, a pass.
    dict(rule="rpt.weekly", kind="cadence", site_id="portal", section_id="czdt", department_id="czj",
         period="2026-W46", status="fail", severity="deduct", due=dt.date(2026, 11, 16),
         message="财政动态栏目第 46 周无更新；最近一条《关于<b>预算</b>公开 & 绩效》发布于 2026-11-06",
         evidence=_ev("http://127.0.0.1:9/czdt/?p=1&q=2", 17), first_detected=utc(17, 1)),
    dict(rule="rpt.policy", kind="after_trigger", site_id="portal", section_id="zcjd", department_id="czj",
         period="2026-11", status="unknown", severity="deduct", due=dt.date(2026, 11, 18),
         message="无法判断：栏目页面被反爬拦截（HTTP 412，瑞数）",
         evidence=_ev("http://127.0.0.1:9/zcjd/", 20), first_detected=utc(20, 0)),
    dict(rule="rpt.weekly", kind="cadence", site_id="portal", section_id="czdt", department_id="czj",
         period="2026-W45", status="pass", severity="deduct", due=dt.date(2026, 11, 9),
         message="财政动态栏目第 45 周已更新", evidence=_ev("http://127.0.0.1:9/czdt/", 10),
         first_detected=utc(10, 1)),
    # 区政府办公室: a warning, and a failure resolved this morning (local time).
    dict(rule="rpt.weekly", kind="cadence", site_id="portal", section_id="gzdt", department_id="office",
         period="2026-W47", status="warn", severity="deduct", due=dt.date(2026, 11, 23), uncertain=True,
         message="工作动态本周尚无更新，截止日前请及时发布",
         evidence=_ev("http://127.0.0.1:9/gzdt/", 20), first_detected=utc(19, 22)),
    dict(rule="rpt.weekly", kind="cadence", site_id="portal", section_id="gzdt", department_id="office",
         period="2026-W46", status="pass", severity="deduct", due=dt.date(2026, 11, 16),
         message="工作动态第 46 周更新逾期，现已补发", evidence=_ev("http://127.0.0.1:9/gzdt/", 19),
         first_detected=utc(17, 1), resolved_at=utc(19, 17)),
    # Detected after AS_OF: never in the reports for AS_OF.
    dict(rule="rpt.policy", kind="after_trigger", site_id="portal", section_id="zcjd", department_id="czj",
         period="2026-12", status="fail", severity="deduct", due=dt.date(2026, 11, 24),
         message="FUTURE-FINDING 不应出现", evidence=[], first_detected=utc(21, 3)),
]

PAST_SCORES = [
    ("2026-W45", "office", 100.0, False), ("2026-W45", "mzj", 96.0, False), ("2026-W45", "czj", 98.0, False),
    ("2026-W46", "office", 98.0, False), ("2026-W46", "mzj", 92.0, True), ("2026-W46", "czj", 100.0, False),
]


def populate(config: Config, findings: list[dict] | None = None) -> Database:
    """Open (and migrate) the config's database, mirror the config, insert the fixed findings and scores."""
    db = Database(config.database_url)
    sync_config(db, config)
    with db.session() as s:
        for f in findings if findings is not None else FINDINGS:
            values = dict(f)
            values.setdefault("last_confirmed", values["first_detected"])
            key = "|".join(str(values.get(k) or "") for k in ("rule", "site_id", "section_id", "period"))
            s.add(Finding(key=key, **values))
        for period, dep, score, vetoed in PAST_SCORES:
            s.add(ScoreRecord(period=period, department_id=dep, score=score, vetoed=vetoed, details={}))
    return db
