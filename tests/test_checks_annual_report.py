"""The scheduled 年报 content check (kind ``annual_report``, indicator ``ogi.annual_report_content``).

Reports are stored the way the crawler stores them: the response in a WARC file under the
config's evidence dir, Page/Attachment/Item rows pointing at it, in a real SQLite store.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from pathlib import Path

import pytest
from audit_reportgen import BASE_T3, ReportSpec, build_html, build_pdf, t3_values
from checks_builders import BASE, Store, local, make_config

from checks.engine import run_checks
from store.models import Attachment, Item, Page
from store.warc import WarcStore, read_payload, read_record

RULE = "ogi.annual_report_content"
AS_OF = dt.date(2026, 3, 2)
SECTIONS = [
    {"id": "nb", "indicator": "ogi.annual_report_department", "department": "mzj"},
    {"id": "nb2", "indicator": "shanting.05", "department": "mzj"},
    {"id": "gov", "indicator": "ogi.annual_report_government"},
    {"id": "tzgg", "indicator": "shanting.03"},
]


class Reports:
    """A store plus a WARC file: adds 年报 items whose page (and attachments) are kept as evidence."""

    def __init__(self, tmp_path: Path, sections: list[dict] = SECTIONS, extra: str = "") -> None:
        self.config = make_config(tmp_path, sections, extra)
        self.store = Store(self.config)
        self.warc = WarcStore(self.config.evidence_dir, "portal/2026/run.warc.gz")
        self._ids = itertools.count(1)
        for s in sections:
            self.store.crawl(s["id"], AS_OF)

    def close(self) -> None:
        self.warc.close()
        self.store.close()

    def add(self, section: str, title: str, published: dt.date, body: bytes | None, *,
            page_outcome: str = "ok", page_reason: str | None = None,
            attachments: list[tuple[str, bytes | None, str, str | None]] = ()) -> str:
        """An item with its page; ``body=None`` leaves the page without stored content.

        ``attachments``: (name, body or None, outcome, reason); stored bodies get WARC pointers.
        """
        url = f"{BASE}/{section}/{published:%Y%m}/t{published:%Y%m%d}_{next(self._ids)}.html"
        ptr = self._write(url, body, "text/html; charset=utf-8") if body is not None else {}
        with self.store.db.session() as s:
            page = Page(url=url, site_id="portal", fetched_at=local(published, 8), http_status=200,
                        outcome=page_outcome, reason=page_reason, title=title, **ptr)
            s.add(page)
            s.flush()
            for i, (name, data, outcome, reason) in enumerate(attachments):
                a_url = f"{url[:-5]}_{i}.{name.rsplit('.', 1)[-1]}"
                a_ptr = self._write(a_url, data, "application/pdf") if data is not None else {}
                s.add(Attachment(page_id=page.id, url=a_url, name=name, ext=name.rsplit(".", 1)[-1],
                                 fetched_at=local(published, 9), outcome=outcome, reason=reason, **a_ptr))
            s.add(Item(site_id="portal", section_id=section, url=url, title=title, published=published,
                       date_source="list", first_seen=local(published, 7), last_seen=local(published, 7),
                       page_id=page.id))
        return url

    def _write(self, url: str, body: bytes, ctype: str) -> dict:
        ptr = self.warc.write_exchange(url, status=200, headers=[("Content-Type", ctype)], body=body)
        return {"warc_file": ptr.warc_file, "warc_offset": ptr.offset, "warc_length": ptr.length}

    def check(self, as_of: dt.date = AS_OF) -> list:
        return [r for r in run_checks(self.config, self.store.db, as_of, record=False) if r.rule == RULE]


@pytest.fixture
def reports(tmp_path: Path):
    r = Reports(tmp_path)
    yield r
    r.close()


def chained_spec(year: int, previous: ReportSpec) -> ReportSpec:
    """A correct report whose 二、上年结转 is the previous report's 四、结转下年度."""
    base = dict(BASE_T3)
    base["二"] = previous.t3["四"][:6]
    return ReportSpec(year=year, title=f"区民政局{year}年政府信息公开工作年度报告", t3=t3_values(base))


def wrong_sum_spec() -> ReportSpec:
    """表三 三（七）总计 for 自然人 one too high (总计 column left as printed)."""
    t3 = t3_values()
    t3["三.七"][0] += 1
    return ReportSpec(t3=t3)


def by_section(results: list) -> dict[str, list]:
    out: dict[str, list] = {}
    for r in results:
        out.setdefault(r.section, []).append(r)
    return out


def test_correct_report_passes_and_a_wrong_sum_fails(reports: Reports) -> None:
    spec_2024 = ReportSpec(year=2024, title="区民政局2024年政府信息公开工作年度报告")
    spec_2025 = chained_spec(2025, spec_2024)
    assert spec_2025.t3["二"][:6] == spec_2024.t3["四"][:6] != spec_2024.t3["二"][:6]
    url_2024 = reports.add("nb", spec_2024.title, dt.date(2025, 1, 20), build_html(spec_2024))
    url_2025 = reports.add("nb", spec_2025.title, dt.date(2026, 1, 20), build_html(spec_2025))
    bad = wrong_sum_spec()
    bad_title = "区卫健局2025年政府信息公开工作年度报告"
    bad_url = reports.add("nb2", bad_title, dt.date(2026, 1, 22), build_html(bad))

    results = by_section(reports.check())
    assert set(results) == {"nb", "nb2"}  # 年报 sections only; tzgg is not one, gov lists nothing

    nb = {r.period: r for r in results["nb"]}
    assert sorted(nb) == ["2024", "2025"] and len(results["nb"]) == 2
    assert nb["2025"].status == "pass"
    assert nb["2025"].message == "《区民政局2025年政府信息公开工作年度报告》六个部分、表二至表四及勾稽关系核验通过"
    assert nb["2025"].key == f"{RULE}|portal|nb|2025"
    assert nb["2025"].due == dt.date(2026, 1, 31) and nb["2025"].kind == "annual_report"
    assert nb["2025"].evidence[0]["url"] == url_2025
    assert nb["2024"].status == "pass" and nb["2024"].evidence[0]["url"] == url_2024

    (fail,) = results["nb2"]
    assert fail.status == "fail" and fail.period == "2025" and fail.key == f"{RULE}|portal|nb2|2025"
    assert fail.department == "mzj" and fail.severity == "deduct"
    assert fail.message == (
        "《区卫健局2025年政府信息公开工作年度报告》核验发现 3 处问题："
        "表三 “三（七）总计”行 “总计”列：填报 11，各申请人列之和为 12；"
        "表三 “三（七）总计”行 “自然人”列：填报 10，（一）至（六）各项之和为 9；"
        "表三 “自然人”列：第一项加第二项之和为 11，第三项（七）总计加第四项之和为 12，二者应相等"
    )
    assert [p["check"] for p in fail.details["problems"]] == ["R3", "R2", "R1"]
    # Evidence: the page URL, its capture time and the WARC record holding the exact bytes.
    (ev,) = fail.evidence
    assert ev["url"] == bad_url and ev["captured_at"] == local(dt.date(2026, 1, 22), 8).isoformat()
    evidence_dir = reports.config.evidence_dir
    assert read_payload(evidence_dir, ev["warc_file"], ev["warc_offset"], ev["warc_length"]) == build_html(bad)
    assert bad_url.encode() in read_record(evidence_dir, ev["warc_file"], ev["warc_offset"], ev["warc_length"])


def test_a_broken_carry_over_fails_naming_both_reports(reports: Reports) -> None:
    spec_2024 = ReportSpec(year=2024, title="区民政局2024年政府信息公开工作年度报告")
    reports.add("nb", spec_2024.title, dt.date(2025, 1, 20), build_html(spec_2024))
    reports.add("nb", "区民政局2025年政府信息公开工作年度报告", dt.date(2026, 1, 20), build_html(ReportSpec()))
    nb = {r.period: r for r in reports.check()}
    assert nb["2024"].status == "pass"
    assert nb["2025"].status == "fail"
    carried_in, carried_out = ReportSpec().t3["二"][0], spec_2024.t3["四"][0]
    assert carried_in != carried_out
    assert (f"表三 “二、上年结转”行 “自然人”列：填报 {carried_in}，2024年年报“四、结转下年度继续办理”为 "
            f"{carried_out}，二者应相等") in nb["2025"].message


def test_report_in_a_pdf_attachment_passes_with_the_attachment_as_evidence(reports: Reports) -> None:
    shell = "<html><body><p>详见附件。</p></body></html>".encode()
    reports.add("nb", "区民政局2025年政府信息公开工作年度报告", dt.date(2026, 1, 20), shell,
                attachments=[("2025年年度报告.pdf", build_pdf(ReportSpec()), "ok", None)])
    (r,) = reports.check()
    assert r.status == "pass", r.message
    assert r.evidence[0]["url"].endswith("_0.pdf") and r.evidence[0]["warc_file"] == "portal/2026/run.warc.gz"


def test_unreadable_report_is_unknown_with_the_reason(reports: Reports) -> None:
    reports.add("nb", "区民政局2025年政府信息公开工作年度报告", dt.date(2026, 1, 20), None,
                page_outcome="blocked", page_reason="瑞数 412")
    shell = "<html><body><p>详见附件。</p></body></html>".encode()
    reports.add("nb2", "区卫健局2025年政府信息公开工作年度报告", dt.date(2026, 1, 21), shell,
                attachments=[("年报.pdf", None, "too_large", "超过 20 MB")])
    reports.add("gov", "示范区人民政府2025年政府信息公开工作年度报告", dt.date(2026, 2, 20),
                "<html><body><p>年度报告正在编制。</p></body></html>".encode())
    results = {r.section: r for r in reports.check()}
    assert {r.status for r in results.values()} == {"unknown"}
    assert results["nb"].message == "无法核验《区民政局2025年政府信息公开工作年度报告》：文章页面抓取结果为 blocked（瑞数 412）"
    assert results["nb2"].message == (
        "无法核验《区卫健局2025年政府信息公开工作年度报告》：附件《年报.pdf》未能读取（too_large：超过 20 MB）")
    assert results["gov"].message == "无法核验《示范区人民政府2025年政府信息公开工作年度报告》：页面中未能解析出年报的六个部分和表格"
    assert results["gov"].due == dt.date(2026, 3, 31)  # 本级政府 report
    assert all(r.period == "2025" and r.evidence and r.evidence[0]["url"] for r in results.values())


def test_unreadable_section_makes_the_verdict_unknown(reports: Reports) -> None:
    reports.add("nb", "区民政局2025年政府信息公开工作年度报告", dt.date(2026, 1, 20), build_html(ReportSpec()))
    reports.store.crawl("nb", AS_OF, outcome="timeout", reason="连接超时")
    (r,) = reports.check(AS_OF + dt.timedelta(days=1))
    assert r.status == "unknown" and "timeout" in r.message and r.details["would_be"] == "pass"


def test_late_report_is_left_to_the_cadence_rule(reports: Reports) -> None:
    spec = ReportSpec(pubdate="2026-02-20 10:00")
    reports.add("nb", spec.title, dt.date(2026, 2, 20), build_html(spec))
    results = run_checks(reports.config, reports.store.db, AS_OF, record=False)
    content = [r for r in results if r.rule == RULE]
    cadence = [r for r in results if r.rule == "ogi.annual_report_department" and r.period == "2025"]
    assert [r.status for r in content] == ["pass"]
    assert [r.status for r in cadence] == ["fail"] and "逾期" in cadence[0].message


def test_years_and_deadline_are_pack_parameters(tmp_path: Path) -> None:
    extra = ('[rules.params]\n"ogi.annual_report_content.years" = 1\n'
             '"ogi.annual_report_content.check_deadline" = true\n')
    r = Reports(tmp_path, SECTIONS[:1], extra)
    try:
        spec_2024 = ReportSpec(year=2024, title="区民政局2024年政府信息公开工作年度报告")
        r.add("nb", spec_2024.title, dt.date(2025, 1, 20), build_html(spec_2024))
        late = chained_spec(2025, spec_2024)
        r.add("nb", late.title, dt.date(2026, 2, 20), build_html(late))
        (res,) = r.check()
    finally:
        r.close()
    assert res.period == "2025" and res.status == "fail"
    assert res.message == ("《区民政局2025年政府信息公开工作年度报告》核验发现 1 处问题："
                           "2025年度年报于 2026年02月20日 发布，晚于部门年报截止日期 2026年01月31日")


def test_demo_reports_pass(tmp_path: Path) -> None:
    """The bundled demo's 年报 pages (served to the crawler as they are) verify clean, year after year."""
    from zwgk.demo import build_site

    today = dt.date(2026, 11, 22)
    site = build_site(today)
    extra = '[rules.params]\n"ogi.annual_report_content.years" = 5\n'
    r = Reports(tmp_path, [{"id": "ndbg", "indicator": "ogi.annual_report_government"}], extra)
    try:
        years = []
        for path, page in site.pages.items():
            if not path.startswith("/zwgk/ndbg/") or path.endswith("index.html"):
                continue
            title = re.search(r"<title>([^<]*年度报告)", page.body.decode("utf-8")).group(1)
            year = int(re.search(r"(\d{4})年", title).group(1))
            years.append(year)
            r.add("ndbg", title.split("_")[0].strip(), dt.date(year + 1, 3, 10), page.body)
        results = r.check(today)
    finally:
        r.close()
    assert len(years) == 3
    assert sorted((res.period, res.status) for res in results) == [(str(y), "pass") for y in sorted(years)], \
        [(res.period, res.message) for res in results]


def test_each_stored_report_is_parsed_once(reports: Reports, monkeypatch: pytest.MonkeyPatch) -> None:
    """Year Y's report is also year Y+1's "previous": parsed once per process, not per use."""
    import checks.annual_report.section as section

    calls: list[str] = []
    real = section.parse_bytes

    def counting(data: bytes, **kw):
        calls.append(kw.get("url", ""))
        return real(data, **kw)

    monkeypatch.setattr(section, "parse_bytes", counting)
    spec_2024 = ReportSpec(year=2024, title="区民政局2024年政府信息公开工作年度报告")
    spec_2025 = chained_spec(2025, spec_2024)
    reports.add("nb", spec_2024.title, dt.date(2025, 1, 20), build_html(spec_2024))
    reports.add("nb", spec_2025.title, dt.date(2026, 1, 20), build_html(spec_2025))
    first = reports.check()
    assert len(calls) == 2 and len(set(calls)) == 2
    second = reports.check()
    assert len(calls) == 2
    assert [(r.period, r.status) for r in first] == [(r.period, r.status) for r in second] == [
        ("2025", "pass"), ("2024", "pass")]
