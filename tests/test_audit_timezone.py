"""`zwgk audit` exports show evidence capture times in the configured timezone, like `zwgk check`.

Stored capture times are naive UTC; before, `zwgk audit` wrote them as +00:00 while `zwgk check`
and `zwgk findings` wrote the same moment in local time (+08:00 by default).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zoneinfo
from pathlib import Path

import pytest
from audit_reportgen import ReportSpec, build_html, t3_values
from crawl_support import SiteServer, day, html_page, li

from zwgk.cli import main

SETTINGS = """\
[general]
database_url = "sqlite:///main.db"
{timezone}

[crawl]
fetch_articles = false
fetch_attachments = false
site_timeout_seconds = 60
download_timeout = 5

[links]
enabled = false

[[departments]]
id = "office"
name = "区政府办公室"
office = true

[[sites]]
id = "portal"
name = "门户网站"
base_url = "{base}/"
department = "office"

  [[sites.sections]]
  id = "stale"
  name = "工作动态"
  list_url = "{base}/stale/index.html"
  indicator = "generic.weekly"
"""


@pytest.fixture(scope="module")
def server():
    srv = SiteServer()
    rows = "".join(li(f"./t{n}.html", f"第{n}期工作动态", day(n)) for n in range(60, 90, 5))
    srv.add("/stale/index.html", html_page("工作动态", f'<div class="list"><ul>{rows}</ul></div>'))
    bad = t3_values()
    bad["一"][-1] += 1
    srv.add("/nb/bad.html", build_html(ReportSpec(t3=bad)), content_type="text/html")
    srv.start()
    yield srv
    srv.stop()


def _settings(tmp_path: Path, server: SiteServer, timezone: str | None) -> Path:
    path = tmp_path / "settings.toml"
    line = f'timezone = "{timezone}"' if timezone else ""
    path.write_text(SETTINGS.format(base=server.base, timezone=line), encoding="utf-8")
    return path


def _assert_local(value: str, tz: dt.tzinfo, before: dt.datetime, after: dt.datetime) -> None:
    """``value`` is a moment of this run, written in ``tz`` with that zone's offset."""
    moment = dt.datetime.fromisoformat(value)
    assert moment.utcoffset() == before.astimezone(tz).utcoffset(), value
    assert before.replace(microsecond=0) <= moment <= after, value


@pytest.mark.parametrize("timezone", [None, "America/New_York"])
def test_annual_report_audit_json_capture_time_is_local(
    tmp_path: Path, server: SiteServer, capsys: pytest.CaptureFixture, timezone: str | None
) -> None:
    tz = zoneinfo.ZoneInfo(timezone or "Asia/Shanghai")
    settings = _settings(tmp_path, server, timezone)
    before = dt.datetime.now(dt.UTC)
    argv = ["audit", "annual-report", "--url", server.base + "/nb/bad.html", "--format", "json"]
    assert main([*argv, "--config", str(settings)]) == 1
    after = dt.datetime.now(dt.UTC)
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert findings and all(f["status"] == "fail" for f in findings)
    for finding in findings:
        [evidence] = finding["evidence"]
        _assert_local(evidence["captured_at"], tz, before, after)
    # the default timezone really is +08:00, not UTC
    if timezone is None:
        assert findings[0]["evidence"][0]["captured_at"].endswith("+08:00")


def test_list_audit_csv_capture_time_is_local(tmp_path: Path, server: SiteServer, capsys) -> None:
    settings = _settings(tmp_path, server, None)
    before = dt.datetime.now(dt.UTC)
    argv = ["audit", "--section", "stale", "--format", "csv", "--config", str(settings)]
    assert main(argv) == 1
    after = dt.datetime.now(dt.UTC)
    rows = [r for r in csv.DictReader(io.StringIO(capsys.readouterr().out)) if r["status"] == "fail"]
    assert rows
    for row in rows:
        assert row["captured_at"].endswith("+08:00"), row
        _assert_local(row["captured_at"], zoneinfo.ZoneInfo("Asia/Shanghai"), before, after)
