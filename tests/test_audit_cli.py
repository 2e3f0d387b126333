"""`zwgk audit` end to end against a local server on 127.0.0.1: exit codes 0, 1 and 2.

The list-page audit crawls through the real runner (child process) into a private
working directory; the annual-report audit fetches reports built by audit_reportgen.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from audit_reportgen import ReportSpec, build_html, build_pdf, t3_values
from crawl_support import SiteServer, day, html_page, li
from sqlalchemy import func, select

from store.db import Database
from store.models import Item
from zwgk.cli import main

SETTINGS = """\
[general]
database_url = "sqlite:///main.db"

[crawl]
fetch_articles = false
fetch_attachments = false
obey_robots = true
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
  id = "fresh"
  name = "工作动态"
  list_url = "{base}/fresh/index.html"
  indicator = "generic.weekly"
"""


def _list(offsets: range) -> str:
    rows = "".join(li(f"./t{n}.html", f"第{n}期工作动态", day(n)) for n in offsets)
    return html_page("工作动态", f'<div class="list"><ul>{rows}</ul></div>')


@pytest.fixture(scope="module")
def server():
    srv = SiteServer()
    srv.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    srv.add("/fresh/index.html", _list(range(0, 45, 3)))  # something every 3 days: every week covered
    srv.add("/stale/index.html", _list(range(60, 90, 5)))  # nothing for two months
    srv.add("/blocked/index.html", "<html><body>请开启JavaScript</body></html>", status=412)
    srv.add("/nb/2025.html", build_html(ReportSpec()), content_type="text/html")
    bad = t3_values()
    bad["一"][-1] += 1
    srv.add("/nb/bad.html", build_html(ReportSpec(t3=bad)), content_type="text/html")
    srv.add("/nb/2025.pdf", build_pdf(ReportSpec()), content_type="application/pdf")
    srv.add(
        "/nb/2024.html", build_html(ReportSpec(year=2024, title="区民政局2024年政府信息公开工作年度报告"))
    )
    srv.add("/private/2025.html", build_html(ReportSpec()))
    shell = html_page(
        "区民政局2025年政府信息公开工作年度报告",
        '<p>发布日期：2026-01-25</p><p><a href="/nb/logo.png">图</a> 附件：'
        '<a href="2025.pdf">区民政局2025年政府信息公开工作年度报告.pdf</a></p>',
    )
    srv.add("/nb/shell.html", shell)
    srv.add("/nb/other.pdf", build_pdf(ReportSpec()), content_type="application/pdf")
    sidebar = html_page(
        "区民政局2025年政府信息公开工作年度报告",
        '<p>发布日期：2026-01-25</p><ul><li><a href="other.pdf">区民政局2026年政府信息公开工作年度报告</a></li></ul>'
        '<p>附件：<a href="2025.pdf">区民政局2025年政府信息公开工作年度报告.pdf</a></p>',
    )
    srv.add("/nb/shell-sidebar.html", sidebar)
    listing = html_page(
        "政府信息公开年报",
        '<p><a href="/">首页</a> <a href="/nb/index.html">政府信息公开年报</a></p><div class="list"><ul>'
        + li("./2024.html", "区民政局2024年政府信息公开工作年度报告", dt.date(2025, 1, 20))
        + li("./2025.html", "区民政局2025年政府信息公开工作年度报告", dt.date(2026, 1, 20))
        + "</ul></div>",
    )
    srv.add("/nb/index.html", listing)
    srv.add("/nb/notice.html", html_page("通知公告", "<p>关于开展政务公开培训的通知</p>"))
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def settings(tmp_path: Path, server: SiteServer) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(SETTINGS.format(base=server.base), encoding="utf-8")
    return path


def _json(capsys) -> dict:
    return json.loads(capsys.readouterr().out)


def test_audit_url_fresh_list_passes(settings: Path, server: SiteServer, capsys, tmp_path: Path) -> None:
    work = tmp_path / "work"
    code = main(
        [
            "audit",
            "--url",
            server.base + "/fresh/index.html",
            "--indicator",
            "weekly",
            "--format",
            "json",
            "--workdir",
            str(work),
            "--config",
            str(settings),
        ]
    )
    doc = _json(capsys)
    assert code == 0, doc
    assert doc["findings"] and {f["status"] for f in doc["findings"]} == {"pass"}
    assert {f["rule"] for f in doc["findings"]} == {"generic.weekly"}
    # crawled into the private working directory, not the monitored database
    db = Database(f"sqlite:///{work / 'audit.db'}")
    with db.session() as s:
        assert s.scalar(select(func.count(Item.id))) == 15
    db.dispose()
    assert not (tmp_path / "main.db").exists()
    assert any((work / "evidence").rglob("*.warc.gz"))


def test_audit_url_stale_list_fails_with_evidence(settings: Path, server: SiteServer, capsys) -> None:
    code = main(
        [
            "audit",
            "--url",
            server.base + "/stale/index.html",
            "--indicator",
            "generic.weekly",
            "--format",
            "json",
            "--config",
            str(settings),
        ]
    )
    doc = _json(capsys)
    assert code == 1
    fails = [f for f in doc["findings"] if f["status"] == "fail"]
    assert fails and all(f["section"] == "audit" for f in fails)


def test_audit_blocked_list_is_unknown_not_fail(settings: Path, server: SiteServer, capsys) -> None:
    code = main(
        [
            "audit",
            "--url",
            server.base + "/blocked/index.html",
            "--indicator",
            "weekly",
            "--format",
            "json",
            "--config",
            str(settings),
        ]
    )
    doc = _json(capsys)
    assert code == 0
    assert {f["status"] for f in doc["findings"]} == {"unknown"}


def test_audit_configured_section(settings: Path, capsys) -> None:
    assert main(["audit", "--section", "fresh", "--format", "csv", "--config", str(settings)]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    weekly = [r for r in rows if r["rule"] == "generic.weekly"]
    assert weekly and {r["status"] for r in weekly} == {"pass"}
    assert {r["section"] for r in rows} == {"fresh"} and "fail" not in {r["status"] for r in rows}


@pytest.mark.parametrize(
    "argv",
    [
        ["audit", "--url", "http://127.0.0.1:9/x", "--indicator", "no_such_rule"],
        ["audit", "--url", "ftp://127.0.0.1/x", "--indicator", "weekly"],
        ["audit", "--url", "http://127.0.0.1:9/x"],  # an ad-hoc list needs a rule
        ["audit", "--section", "nope"],
        ["audit"],
        ["audit", "annual-report"],
        ["audit", "--site", "portal", "--year", "2025"],
    ],
)
def test_usage_errors_exit_2(settings: Path, argv: list[str]) -> None:
    assert main([*argv, "--config", str(settings)]) == 2


def test_bad_config_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "settings.toml"
    bad.write_text("[general]\nnope = 1\n", encoding="utf-8")
    assert main(["audit", "annual-report", "--url", "http://127.0.0.1:9/", "--config", str(bad)]) == 2


def test_annual_report_audit_exit_codes(settings: Path, server: SiteServer, capsys) -> None:
    b = server.base
    assert (
        main(
            [
                "audit",
                "annual-report",
                "--url",
                b + "/nb/2025.html",
                "--format",
                "json",
                "--config",
                str(settings),
            ]
        )
        == 0
    )
    doc = _json(capsys)
    assert [f["status"] for f in doc["findings"]] == ["pass"]
    assert doc["findings"][0]["period"] == "2025" and doc["findings"][0]["due"] == "2026-01-31"

    assert (
        main(
            [
                "audit",
                "annual-report",
                "--url",
                b + "/nb/bad.html",
                "--format",
                "json",
                "--config",
                str(settings),
            ]
        )
        == 1
    )
    doc = _json(capsys)
    assert sorted(f["details"]["check"] for f in doc["findings"]) == ["R1", "R3"]
    assert all("表三" in f["message"] for f in doc["findings"])

    # PDF without a visible date: structure passes, the deadline is unknown (never a fail)
    assert (
        main(
            [
                "audit",
                "annual-report",
                "--url",
                b + "/nb/2025.pdf",
                "--format",
                "json",
                "--config",
                str(settings),
            ]
        )
        == 0
    )
    doc = _json(capsys)
    assert [(f["status"], f["details"]["check"]) for f in doc["findings"]] == [("unknown", "deadline")]
    assert (
        main(
            [
                "audit",
                "annual-report",
                "--url",
                b + "/nb/2025.pdf",
                "--published",
                "2026-03-01",
                "--format",
                "json",
                "--config",
                str(settings),
            ]
        )
        == 1
    )
    capsys.readouterr()

    # carry-over against last year's report (same numbers: 上年结转 1 vs 结转下年度 3)
    assert (
        main(
            [
                "audit",
                "annual-report",
                "--url",
                b + "/nb/2025.html",
                "--previous-url",
                b + "/nb/2024.html",
                "--format",
                "json",
                "--config",
                str(settings),
            ]
        )
        == 1
    )
    assert {f["details"]["check"] for f in _json(capsys)["findings"]} == {"carry"}

    # unreachable or disallowed: unknown with the reason, exit 0
    for path, reason in (("/nb/gone.html", "HTTP 404"), ("/private/2025.html", "robots.txt")):
        assert (
            main(
                [
                    "audit",
                    "annual-report",
                    "--url",
                    b + path,
                    "--year",
                    "2025",
                    "--format",
                    "json",
                    "--config",
                    str(settings),
                ]
            )
            == 0
        )
        [finding] = _json(capsys)["findings"]
        assert finding["status"] == "unknown" and reason in finding["message"]


def test_annual_report_table_output_in_chinese(settings: Path, server: SiteServer, capsys) -> None:
    assert (
        main(["audit", "annual-report", "--url", server.base + "/nb/bad.html", "--config", str(settings)])
        == 1
    )
    out = capsys.readouterr().out
    assert "不合格" in out and "表三" in out and "共 2 项：不合格 2" in out


SECTION_SETTINGS = """\
[general]
database_url = "sqlite:///main.db"
evidence_dir = "evidence"

[crawl]
obey_robots = false
download_timeout = 5

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


def _store_report(db: Database, warc, year: int, body: bytes, published: str) -> None:
    import datetime as dt

    from store.models import Page

    url = f"http://127.0.0.1:9/nb/{year}.html"
    ptr = warc.write_exchange(
        url, status=200, headers=[("Content-Type", "text/html; charset=utf-8")], body=body
    )
    with db.session() as s:
        page = Page(url=url, site_id="mz", fetched_at=dt.datetime(2026, 2, 1, 1, 0), **ptr.as_columns())
        s.add(page)
        s.flush()
        s.add(
            Item(
                site_id="mz",
                section_id="nb",
                url=url,
                title=f"区民政局{year}年政府信息公开工作年度报告",
                published=dt.date.fromisoformat(published),
                date_source="list",
                page_id=page.id,
            )
        )


def test_annual_report_found_in_a_stored_section(tmp_path: Path, capsys) -> None:
    from store.warc import WarcStore

    settings = tmp_path / "settings.toml"
    settings.write_text(SECTION_SETTINGS, encoding="utf-8")
    # no stored report yet: unknown, never a fail
    assert (
        main(
            [
                "audit",
                "annual-report",
                "--section",
                "nb",
                "--year",
                "2025",
                "--format",
                "json",
                "--config",
                str(settings),
            ]
        )
        == 0
    )
    [finding] = _json(capsys)["findings"]
    assert finding["status"] == "unknown" and "没有 2025 年度年报" in finding["message"]

    db = Database(f"sqlite:///{tmp_path / 'main.db'}")
    warc = WarcStore(tmp_path / "evidence", "2026/02/01/mz-1.warc.gz")
    _store_report(
        db,
        warc,
        2024,
        build_html(ReportSpec(year=2024, title="x2024年政府信息公开工作年度报告")),
        "2025-01-20",
    )
    _store_report(db, warc, 2025, build_html(ReportSpec(pubdate=None)), "2026-02-03")
    warc.close()
    db.dispose()
    assert (
        main(
            [
                "audit",
                "annual-report",
                "--section",
                "nb",
                "--year",
                "2025",
                "--format",
                "json",
                "--config",
                str(settings),
            ]
        )
        == 1
    )
    doc = _json(capsys)
    # published 2026-02-03 (the list date) after the 01-31 deadline; 上年结转 [1,0,..,1] differs from
    # the stored 2024 report's 结转下年度 [2,1,0,0,0,0,3] in three columns
    got = sorted((f["details"]["check"], f["details"].get("column") or "") for f in doc["findings"])
    assert got == [("carry", "商业企业"), ("carry", "总计"), ("carry", "自然人"), ("deadline", "")]
    ev = doc["findings"][0]["evidence"][0]
    assert ev["url"] == "http://127.0.0.1:9/nb/2025.html" and ev["warc_file"] == "2026/02/01/mz-1.warc.gz"
    assert (
        doc["findings"][0]["rule"] == "ogi.annual_report_department" and doc["findings"][0]["section"] == "nb"
    )


def test_audit_results_carry_evidence_and_export_a_bundle(
    settings: Path, server: SiteServer, capsys, tmp_path: Path
) -> None:
    b = server.base
    out = tmp_path / "bundle-nb"
    assert (
        main(
            [
                "audit",
                "annual-report",
                "--url",
                b + "/nb/bad.html",
                "--format",
                "json",
                "--evidence-out",
                str(out),
                "--config",
                str(settings),
            ]
        )
        == 1
    )
    doc = _json(capsys)
    ev = doc["findings"][0]["evidence"][0]
    assert ev["url"] == b + "/nb/bad.html" and ev["warc_file"].startswith("audit/")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["findings"]) == 2 and len(manifest["records"]) == 1
    assert main(["evidence", "--verify", str(out)]) == 0

    crawl_out = tmp_path / "bundle-stale"
    assert (
        main(
            [
                "audit",
                "--url",
                b + "/stale/index.html",
                "--indicator",
                "weekly",
                "--format",
                "json",
                "--evidence-out",
                str(crawl_out),
                "--config",
                str(settings),
            ]
        )
        == 1
    )
    manifest = json.loads((crawl_out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["findings"] and manifest["records"]
    assert {r["url"] for r in manifest["records"]} == {b + "/stale/index.html"}
    assert main(["evidence", "--verify", str(crawl_out)]) == 0


def test_annual_report_page_that_only_links_the_pdf(settings: Path, server: SiteServer, capsys) -> None:
    """The page is a shell around the PDF: the PDF is verified, the date comes from the page."""
    b = server.base
    assert (
        main(
            [
                "audit",
                "annual-report",
                "--url",
                b + "/nb/shell.html",
                "--format",
                "json",
                "--config",
                str(settings),
            ]
        )
        == 0
    )
    [finding] = _json(capsys)["findings"]
    assert finding["status"] == "pass" and "2026-01-25" in finding["message"]
    assert [e["url"] for e in finding["evidence"]] == [b + "/nb/shell.html", b + "/nb/2025.pdf"]


def test_annual_report_url_of_a_list_page_finds_the_years_report(settings: Path, server: SiteServer, capsys) -> None:
    """An auditor may give the 年报 column instead of the report: the report of --year (else the newest) is
    found on it and verified; the column page and the report are both kept as evidence."""
    b = server.base
    argv = ["audit", "annual-report", "--url", b + "/nb/index.html", "--format", "json", "--config", str(settings)]
    assert main(argv) == 0
    captured = capsys.readouterr()
    [finding] = json.loads(captured.out)["findings"]
    assert (finding["status"], finding["period"]) == ("pass", "2025")
    assert [e["url"] for e in finding["evidence"]] == [b + "/nb/index.html", b + "/nb/2025.html"]
    assert f"核验的年报：{b}/nb/2025.html" in captured.err

    assert main([*argv, "--year", "2024"]) == 1  # the 2024 report was published in 2026: late
    findings = _json(capsys)["findings"]
    assert {f["period"] for f in findings} == {"2024"}
    assert [(f["status"], f["details"].get("check")) for f in findings] == [("fail", "deadline")]
    assert findings[0]["evidence"][-1]["url"] == b + "/nb/2024.html"

    # no report for that year on the column: unknown, never six "missing part" failures of the list page
    assert main([*argv, "--year", "2019"]) == 0
    [finding] = _json(capsys)["findings"]
    assert finding["status"] == "unknown" and "不是年报正文" in finding["message"]
    assert "2019 年度" in finding["message"]


def test_annual_report_url_of_an_unrelated_page_is_unknown(settings: Path, server: SiteServer, capsys) -> None:
    argv = ["audit", "annual-report", "--url", server.base + "/nb/notice.html", "--format", "json"]
    assert main([*argv, "--config", str(settings)]) == 0
    [finding] = _json(capsys)["findings"]
    assert finding["status"] == "unknown" and "不是年报正文" in finding["message"]


def test_report_page_wraps_the_document_of_its_own_year(settings: Path, server: SiteServer, capsys) -> None:
    """A page titled as the 2025 report follows its 2025 attachment, not a newer year's link beside it."""
    b = server.base
    argv = ["audit", "annual-report", "--url", b + "/nb/shell-sidebar.html", "--format", "json"]
    assert main([*argv, "--config", str(settings)]) == 0
    [finding] = _json(capsys)["findings"]
    assert [e["url"] for e in finding["evidence"]] == [b + "/nb/shell-sidebar.html", b + "/nb/2025.pdf"]
