"""End to end: `zwgk demo` serves the district, crawls it, checks it and finds every planted problem."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import re
from pathlib import Path

import pytest
from conftest import free_port

from zwgk.cli import main
from zwgk.config import load_config

ROOT = Path(__file__).resolve().parent.parent


def demo_settings(tmp_path: Path, port: int) -> Path:
    """The committed settings.toml, moved to a free port and a private var/ directory."""
    text = (ROOT / "settings.toml").read_text(encoding="utf-8")
    text = text.replace("http://127.0.0.1:8765/", f"http://127.0.0.1:{port}/")
    for key in ("evidence_dir", "reports_dir", "outbox_dir"):
        text = re.sub(rf'^{key} = "var/', f'{key} = "{tmp_path.as_posix()}/var/', text, flags=re.M)
    text = re.sub(r'^database_url = "sqlite:///var/zwgk.db"', f'database_url = "sqlite:///{tmp_path.as_posix()}/zwgk.db"',
                  text, flags=re.M)
    text += "\n[links]\nrecheck_delay_seconds = 1  # confirm broken links within the run, quickly\nper_host_rate = 200.0\nper_host_concurrency = 8\n"
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("demo")
    port = free_port()
    config_path = demo_settings(tmp_path, port)
    config = load_config(config_path)
    assert config.database_url.startswith(f"sqlite:///{tmp_path}")
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["demo", "--config", str(config_path)])
    return code, out.getvalue(), config_path, port


def test_demo_command_runs_every_stage(demo_run):
    code, out, config_path, port = demo_run
    assert code == 0, out
    assert f"http://127.0.0.1:{port}/" in out
    for stage in ("采集", "链接检查", "合规检查", "日报", "部门报告（区民政局）", "投递"):
        assert re.search(rf"\] {re.escape(stage)}：完成", out), (stage, out)
    assert "检查结果汇总" in out


def test_demo_finds_the_planted_problems(demo_run):
    from store.models import utcnow
    from zwgk import pipeline
    from zwgk.app import open_app
    from zwgk.demo import build_site

    code, out, config_path, port = demo_run
    app = open_app(config_path)
    try:
        # The site's date as the demo printed it (a run that crossed midnight keeps its day).
        today = dt.date.fromisoformat(re.search(r"站点日期 (\d{4}-\d{2}-\d{2})", out).group(1))
        results = pipeline.check(app, today, record=False, evidence_until=utcnow())
    finally:
        app.close()
    planted = build_site(today).planted
    fails = {(r.rule, r.section) for r in results if r.status == "fail"}
    by_section: dict[str, set[str]] = {}
    for r in results:
        by_section.setdefault(r.section or "", set()).add(r.status)

    # Stale weekly 工作动态.
    assert ("shanting.03", "gzdt") in fails or ("national.dynamic", "gzdt") in fails
    # The 低保 list due last month is missing.
    dibao = [r for r in results if r.rule == "shanting.19" and r.status == "fail"]
    y, m = planted.missing_dibao_title.split("年")[0], planted.missing_dibao_title.split("年")[1].split("月")[0]
    assert any(r.period == f"{y}-{int(m):02d}" for r in dibao), [(r.period, r.message) for r in dibao]
    # Last year's 政府信息公开工作年度报告 is missing.
    assert any(r.rule == "ogi.annual_report_government" and r.status == "fail"
               and r.period == str(planted.missing_annual_report_year) for r in results)
    # A full 身份证号 in a published list.
    privacy = [r for r in results if r.kind == "privacy" and r.status == "fail"]
    assert privacy and privacy[0].section == "dibao"
    assert planted.id_leak_page.split("/")[-1] in str(privacy[0].details) + str(privacy[0].evidence)
    # The broken link and the soft 404 on 通知公告 articles.
    links = [r for r in results if r.kind == "links" and r.section == "tzgg"]
    assert links and links[0].status == "fail"
    found = str(links[0].details)
    assert planted.broken_link_target in found and planted.soft404_target in found
    # The GBK 统计月报 and the Hanweb 高龄津贴 were read (compliant, not unknown).
    for section, rule in (("tjyb", "shanting.09"), ("gaoling", "shanting.17"), ("czsz", "shanting.35"),
                          ("zdxm", "shanting.11"), ("yjs", "shanting.33")):
        statuses = {r.status for r in results if r.section == section and r.rule == rule}
        assert statuses == {"pass"}, (section, [(r.status, r.message) for r in results if r.section == section])
    # Nothing else fails: the findings stay meaningful.
    planted_sections = {"gzdt", "dibao", "ndbg", "tzgg"}
    others = sorted((r.rule, r.section, r.message) for r in results
                    if r.status == "fail" and r.section not in planted_sections)
    assert not others, others


def test_demo_writes_reports_and_eml(demo_run):
    code, out, config_path, port = demo_run
    config = load_config(config_path)
    html = list(config.reports_dir.rglob("*.html"))
    emls = list(config.outbox_dir.rglob("*.eml"))
    assert any(p.name.startswith("daily") for p in html), out
    assert any("mzj" in p.name for p in html), out
    assert emls, out
    for p in html + emls:
        assert str(p) in out


def test_demo_summary_shows_each_planted_problem_with_its_evidence_url(demo_run):
    """What a person sees after `make demo`: every planted problem as a failure with its evidence URL."""
    from zwgk.demo import build_site

    code, out, config_path, port = demo_run
    config = load_config(config_path)
    planted = build_site(dt.datetime.now(config.general.tz).date()).planted
    base = f"http://127.0.0.1:{port}"
    summary = out.split("不通过的项目：", 1)[1]
    for path in (planted.stale_list_url, planted.dibao_list_url, planted.annual_report_list_url,
                 planted.id_leak_page):
        assert f"证据：{base}{path}" in summary, (path, summary)
    assert f"证据：{base}{planted.broken_link_page}" in summary or f"证据：{base}{planted.soft404_page}" in summary
    assert "未脱敏" in summary and "身份证号" in summary


def test_demo_never_repeats_the_leaked_number(demo_run):
    """The monitor quotes the leak masked: not in the terminal, the reports, the workbooks or the mails."""
    from openpyxl import load_workbook

    from zwgk.demo import build_site

    code, out, config_path, port = demo_run
    config = load_config(config_path)
    number = build_site(dt.datetime.now(config.general.tz).date()).planted.id_leak_number
    assert number and number not in out
    def cells(workbook: object) -> list[str]:
        return [str(v) for sheet in load_workbook(workbook, read_only=True).worksheets
                for row in sheet.iter_rows(values_only=True) for v in row if v is not None]

    for path in [*config.reports_dir.rglob("*.html"), *config.reports_dir.rglob("*.txt")]:
        assert number not in path.read_text(encoding="utf-8"), path
    for path in config.reports_dir.rglob("*.xlsx"):
        assert not [c for c in cells(path) if number in c], path
    emls = list(config.outbox_dir.rglob("*.eml"))
    assert emls
    for path in emls:  # decoded: bodies are quoted-printable/base64, workbooks are attachments
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for part in message.walk():
            if part.is_multipart():
                continue
            content = part.get_content()
            if isinstance(content, str):
                assert number not in content, path
            elif (part.get_filename() or "").endswith(".xlsx"):
                assert not [c for c in cells(io.BytesIO(content)) if number in c], path


def test_demo_on_a_past_date_reports_what_its_checks_found(tmp_path: Path) -> None:
    """`zwgk demo --date` judges that day with the crawl just made, and its reports list the same failures."""
    from zwgk.demo import build_site

    port = free_port()
    config_path = demo_settings(tmp_path, port)
    config = load_config(config_path)
    day = dt.datetime.now(config.general.tz).date() - dt.timedelta(days=10)
    out = io.StringIO()
    import contextlib

    with contextlib.redirect_stdout(out):
        code = main(["demo", "--config", str(config_path), "--date", day.isoformat()])
    text = out.getvalue()
    assert code == 0, text
    failed = int(re.search(r"不通过 (\d+)", text).group(1))
    assert failed >= 4, text
    daily = (config.reports_dir / day.isoformat() / "daily.txt").read_text(encoding="utf-8")
    assert "总体情况：全部通过" not in daily
    assert f"未通过 {failed} 项" in daily, daily[:400]
    planted = build_site(day).planted
    assert planted.stale_list_url in daily, daily
