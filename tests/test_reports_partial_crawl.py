"""A crawl that ends `partial` (one section behind an anti-bot wall, the rest fine), end to end.

Real servers on 127.0.0.1, the real crawler (child process), checks and the daily scorecard:
the blocked section's indicator is `unknown` (never a fail), the readable section is judged,
and the scorecard's 数据采集异常 section names the site, the partial crawl and its reason.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zoneinfo
from pathlib import Path

import pytest
from crawl_support import RUISHU, SiteServer, day, html_page, li
from sqlalchemy import select

from store.db import Database
from store.models import CrawlRun, Finding, SectionCrawl
from zwgk.cli import main

SETTINGS = """\
[general]
database_url = "sqlite:///zwgk.db"
evidence_dir = "evidence"
reports_dir = "reports"
outbox_dir = "outbox"

[crawl]
fetch_articles = false
fetch_attachments = false
download_timeout = 5
retry_times = 0
site_timeout_seconds = 60

[links]
enabled = false

[mail]
enabled = false

[[departments]]
id = "office"
name = "区政府办公室"
office = true

[[departments]]
id = "czj"
name = "区财政局"

[[sites]]
id = "portal"
name = "示范区人民政府门户网站"
base_url = "{base}/"
department = "office"

  [[sites.sections]]
  id = "gzdt"
  name = "工作动态"
  list_url = "{base}/gzdt/index.html"
  indicator = "generic.weekly"

  [[sites.sections]]
  id = "czdt"
  name = "财政动态"
  list_url = "{base}/czdt/index.html"
  indicator = "generic.weekly"
  department = "czj"
"""


@pytest.fixture(scope="module")
def server():
    srv = SiteServer()
    srv.add("/", html_page("示范区人民政府", '<a href="/gzdt/index.html">工作动态</a>'))
    rows = "".join(li(f"./t{n}.html", f"第{n}期工作动态", day(n)) for n in range(0, 45, 3))
    srv.add("/gzdt/index.html", html_page("工作动态", f'<div class="list"><ul>{rows}</ul></div>'))
    srv.add("/czdt/index.html", RUISHU, status=412)  # 瑞数 anti-bot wall
    srv.start()
    yield srv
    srv.stop()


def test_partial_crawl_is_reported_and_the_blocked_section_is_unknown(
    tmp_path: Path, server: SiteServer, capsys: pytest.CaptureFixture
) -> None:
    settings = tmp_path / "settings.toml"
    settings.write_text(SETTINGS.format(base=server.base), encoding="utf-8")
    config = ["--config", str(settings)]

    assert main(["crawl", *config]) == 0
    db = Database(f"sqlite:///{tmp_path / 'zwgk.db'}")
    with db.session() as s:
        [run] = s.scalars(select(CrawlRun)).all()
        sections = {r.section_id: r for r in s.scalars(select(SectionCrawl))}
    assert run.status == "partial" and "czdt" in run.reason and "瑞数" in run.reason, run.reason
    assert sections["czdt"].outcome == "blocked" and sections["gzdt"].outcome == "ok"
    capsys.readouterr()

    assert main(["check", "--format", "json", *config]) == 0  # nothing failing: exit 0
    findings = json.loads(capsys.readouterr().out)["findings"]
    weekly = {f["section"]: f for f in findings if f["rule"] == "generic.weekly"}
    assert weekly["czdt"]["status"] == "unknown" and "瑞数" in weekly["czdt"]["message"]
    assert weekly["gzdt"]["status"] == "pass"
    assert not [f for f in findings if f["section"] == "czdt" and f["status"] == "fail"]
    with db.session() as s:
        stored = {(f.section_id, f.rule, f.status) for f in s.scalars(select(Finding))}
    assert ("czdt", "generic.weekly", "unknown") in stored  # passes are not stored as findings
    assert not {x for x in stored if x[0] in ("czdt", "gzdt") and x[2] == "fail"}, stored

    assert main(["report", "daily", *config]) == 0
    today = dt.datetime.now(zoneinfo.ZoneInfo("Asia/Shanghai")).date()
    out = tmp_path / "reports" / today.isoformat()
    text = (out / "daily.txt").read_text(encoding="utf-8")
    html = (out / "daily.html").read_text(encoding="utf-8")
    assert "== 数据采集异常（1） ==" in text
    [line] = [x for x in text.splitlines() if x.startswith("- 示范区人民政府门户网站：")]
    assert "部分栏目未能抓取（财政动态：" in line and "瑞数" in line and "czdt: blocked" not in line, line
    # the readable sections were judged now: neither "based on an older crawl" nor "never crawled"
    assert "其余栏目的结论基于本次数据，未能抓取的栏目记为无法判断" in line, line
    assert "从未成功抓取" not in line and "最近一次成功抓取" not in line, line
    assert "数据采集异常（1）" in html and "部分栏目未能抓取" in html and "财政动态：" in html and "瑞数" in html
    assert "其余栏目基于本次数据" in html and "从未成功抓取" not in html
    # the blocked section's department: nothing failed, its indicators are 无法判断
    rows = {x.split("：")[0][2:]: x for x in text.splitlines() if x.startswith("- 区")}
    unknown = re.search(r"无法判断 (\d+)", rows["区财政局"])
    assert "未通过 0" in rows["区财政局"] and unknown and int(unknown.group(1)) >= 1, rows
    assert "未通过 0" in rows["区政府办公室"], rows  # the readable section passes
    assert "总体情况：部分栏目无法判断" in text and "未通过 0 项" in text
    db.dispose()


def test_crawl_reasons_name_sections_and_keep_what_they_cannot_parse() -> None:
    from reports.scorecards import readable_reason

    names = {"_home": "首页", "czdt": "财政动态"}
    assert readable_reason("_home: connection（连接被拒绝）；czdt: blocked（被反爬拦截：瑞数）", names) == \
        "首页：连接被拒绝；财政动态：被反爬拦截：瑞数"
    assert readable_reason("other: timeout（超时）", names) == "other: timeout（超时）"  # unknown section kept
    assert readable_reason(None, names) == "未记录原因"
