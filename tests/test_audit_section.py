"""checks.annual_report.section: the engine-side verification of a section's stored report."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from audit_reportgen import ReportSpec, build_html, build_pdf

from checks.annual_report.section import verify_section
from checks.model import AttachmentView, CrawlView, ItemView, PageView, SectionData
from store.warc import WarcStore
from zwgk.config import SectionConfig, SiteConfig

SITE = SiteConfig(id="mz", name="区民政局网站", base_url="http://127.0.0.1:9/", department="mzj")
SECTION = SectionConfig(
    id="nb",
    name="年报",
    list_url="http://127.0.0.1:9/nb/",
    department="mzj",
    indicator="ogi.annual_report_department",
    site_id="mz",
)


def _ev(store: WarcStore, url: str, body: bytes, ctype: str) -> dict:
    ptr = store.write_exchange(url, status=200, headers=[("Content-Type", ctype)], body=body)
    return {
        "url": url,
        "captured_at": "2026-02-01T01:00:00",
        "warc_file": ptr.warc_file,
        "warc_offset": ptr.offset,
        "warc_length": ptr.length,
    }


def _item(year: int, published: dt.date, page_ev: dict, attachments: tuple = ()) -> ItemView:
    page = PageView(
        url=page_ev["url"],
        fetched_at=dt.datetime(2026, 2, 1),
        outcome="ok",
        reason=None,
        title=None,
        text=None,
        meta={},
        xxgk={},
        pubdate=None,
        written_date=None,
        doc_number=None,
        validity=None,
        evidence=page_ev,
        attachments=attachments,
    )
    return ItemView(
        url=page_ev["url"],
        title=f"区民政局{year}年政府信息公开工作年度报告",
        published=published,
        date_source="list",
        written_date=None,
        first_seen=dt.datetime(2026, 2, 1),
        page=page,
    )


def test_report_in_a_pdf_attachment_with_carry_over(tmp_path: Path) -> None:
    store = WarcStore(tmp_path, "run.warc.gz")
    shell = "<html><body><p>详见附件。</p></body></html>".encode()
    pdf_ev = _ev(store, "http://127.0.0.1:9/nb/2025.pdf", build_pdf(ReportSpec()), "application/pdf")
    att = AttachmentView(
        url=pdf_ev["url"],
        name="2025年年度报告.pdf",
        ext="pdf",
        outcome="ok",
        reason=None,
        text=None,
        fetched_at=None,
        evidence=pdf_ev,
    )
    this = _item(
        2025, dt.date(2026, 1, 25), _ev(store, "http://127.0.0.1:9/nb/2025.html", shell, "text/html"), (att,)
    )
    prev = _item(
        2024,
        dt.date(2025, 1, 25),
        _ev(store, "http://127.0.0.1:9/nb/2024.html", build_html(ReportSpec(year=2024)), "text/html"),
    )
    store.close()
    section = SectionData(SITE, SECTION, CrawlView("ok", None, dt.datetime(2026, 2, 1)), items=[this, prev])
    out = verify_section(section, 2025, evidence_dir=tmp_path)
    assert out.status == "fail" and out.period == "2025" and out.due == dt.date(2026, 1, 31)
    assert {p["check"] for p in out.details["problems"]} == {"carry"}  # 1 carried in vs 3 carried out
    assert out.evidence == [pdf_ev]
    assert verify_section(section, 2023, evidence_dir=tmp_path) is None


def test_unstored_report_is_unknown(tmp_path: Path) -> None:
    ev = {
        "url": "http://127.0.0.1:9/nb/2025.html",
        "captured_at": None,
        "warc_file": None,
        "warc_offset": None,
        "warc_length": None,
    }
    section = SectionData(SITE, SECTION, None, items=[_item(2025, dt.date(2026, 1, 25), ev)])
    out = verify_section(section, 2025, evidence_dir=tmp_path)
    assert out.status == "unknown" and "未保存或无法解析" in out.message
