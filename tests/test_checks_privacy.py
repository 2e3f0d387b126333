"""privacy: 身份证号 (GB 11643 check digit), bank cards (Luhn), mobiles; pages and attachments."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from checks_builders import Store, item_view, judge, make_config, page_view, section_data, site_data

from checks.engine import run_checks
from checks.privacy_detect import id_check_ok, luhn_ok, scan

D = dt.date
VALID_ID = "11010519491231002X"  # the GB 11643 example number
VALID_ID2 = "370402199003071234"
INVALID_ID = "370402199003071235"  # wrong check digit
CARD16 = "4111111111111111"  # Luhn-valid test number
CARD_BAD = "4111111111111112"
CARD19 = "6228480402564890018"  # Luhn-valid, 19 digits


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        (f"身份证号：{VALID_ID}", ["id_number"]),
        (f"身份证号：{VALID_ID.lower()}", ["id_number"]),
        (f"公民身份号码 {VALID_ID2}，", ["id_number"]),
        (f"身份证号：{INVALID_ID}", []),
        ("身份证号：3704**********1234", []),
        ("身份证号：370402********1234", []),
        ("身份证号：370402199003071***", []),
        (f"卡号 {CARD16}", ["bank_card"]),
        ("卡号 4111 1111 1111 1111", ["bank_card"]),
        (f"卡号 {CARD19}", ["bank_card"]),
        (f"卡号 {CARD_BAD}", []),
        ("卡号 6228********0018", []),
        ("联系电话：13812345678", ["mobile"]),
        ("联系电话：138****5678", []),
        ("联系电话：0632-1234567", []),
        ("编号 213812345678901", []),  # a mobile-like run inside a longer number is not a mobile
        ("索引号 11370406MB28123456/2026-00012", []),
        (f"张三 {VALID_ID} 13912345678 {CARD16}", ["id_number", "mobile", "bank_card"]),
    ],
)
def test_scan(text: str, kinds: list[str]) -> None:
    assert [h.kind for h in scan(text)] == kinds


def test_check_digit_and_luhn() -> None:
    assert id_check_ok(VALID_ID) and id_check_ok(VALID_ID2) and not id_check_ok(INVALID_ID)
    assert luhn_ok(CARD16) and luhn_ok(CARD19) and not luhn_ok(CARD_BAD)


def test_hits_are_masked() -> None:
    hits = scan(f"{VALID_ID2} 13812345678 {CARD16}")
    assert [h.masked for h in hits] == ["3704**********1234", "138****5678", "4111********1111"]


def _findings(text: str) -> list:
    item = item_view("2026年10月城乡低保发放名单", D(2026, 11, 5), page=page_view("http://x/1.html", text=text))
    return judge(site_data(section_data("dibao", "shanting.19", [item])), D(2026, 11, 22), "national.privacy")


def test_page_leak_fails_with_masked_location_and_never_the_full_number() -> None:
    [result] = _findings(f"张三 370402{'*' * 8}1234；李四 身份证 {VALID_ID2} 电话 13812345678")
    assert result.status == "fail"
    assert "3704**********1234" in result.message and "2026年10月城乡低保发放名单" in result.message
    dumped = json.dumps([result.message, result.details, result.evidence], ensure_ascii=False, default=str)
    assert VALID_ID2 not in dumped and "13812345678" not in dumped


def test_masked_page_passes() -> None:
    [result] = _findings("张三 3704**********1234 138****5678 6228********0018")
    assert result.status == "pass"


def test_unfetched_pages_are_unknown_not_pass() -> None:
    item = item_view("名单", D(2026, 11, 5), page=None)
    [result] = judge(site_data(section_data("dibao", "shanting.19", [item])), D(2026, 11, 22), "national.privacy")
    assert result.status == "unknown"


# --------------------------------------------------------------------------- attachments, through the store


def _xlsx_bytes(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _pdf_bytes(lines: list[str]) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    c.setFont("STSong-Light", 12)
    for n, line in enumerate(lines):
        c.drawString(72, 760 - 20 * n, line)
    c.save()
    return out.getvalue()


def test_numbers_inside_attachments(tmp_path: Path) -> None:
    from crawler.extract import attachments as extract
    xlsx_text = extract.extract_text(_xlsx_bytes([["姓名", "身份证号", "金额"], ["王五", VALID_ID2, "820"]]), "xlsx")
    pdf_text = extract.extract_text(_pdf_bytes(["城乡低保发放名单", f"赵六 银行卡号 {CARD16}"]), "pdf")
    clean_text = extract.extract_text(_xlsx_bytes([["姓名", "身份证号"], ["王五", "3704**********1234"]]), "xlsx")
    assert VALID_ID2 in xlsx_text and CARD16 in pdf_text.replace(" ", "")

    config = make_config(tmp_path, [{"id": "dibao", "indicator": "shanting.19", "department": "mzj"}])
    store = Store(config)
    store.crawl("dibao", D(2026, 11, 20))
    store.item("dibao", "2026年10月城乡低保发放情况", D(2026, 11, 5), page={"text": "详见附件"}, attachments=[
        {"url": "http://127.0.0.1:8765/f/a.xlsx", "name": "10月低保名单.xlsx", "ext": "xlsx", "outcome": "ok",
         "text": xlsx_text},
        {"url": "http://127.0.0.1:8765/f/b.pdf", "name": "10月发放明细.pdf", "ext": "pdf", "outcome": "ok",
         "text": pdf_text},
        {"url": "http://127.0.0.1:8765/f/c.xlsx", "name": "已脱敏名单.xlsx", "ext": "xlsx", "outcome": "ok",
         "text": clean_text},
        {"url": "http://127.0.0.1:8765/f/d.rar", "name": "附件.rar", "ext": "rar", "outcome": "unreadable",
         "reason": "不支持读取 RAR 压缩包"},
    ])
    results = [r for r in run_checks(config, store.db, D(2026, 11, 22), record=False) if r.rule == "national.privacy"]
    store.close()
    [result] = results
    assert result.status == "fail" and result.department == "mzj"
    places = {loc["where"]: loc["counts"] for loc in result.details["locations"]}
    assert places == {"附件《10月低保名单.xlsx》": {"身份证号": 1}, "附件《10月发放明细.pdf》": {"银行卡号": 1}}
    assert result.details["unread_count"] == 1
    assert {e["url"] for e in result.evidence} == {"http://127.0.0.1:8765/f/a.xlsx", "http://127.0.0.1:8765/f/b.pdf"}
    assert VALID_ID2 not in json.dumps(result.details, ensure_ascii=False, default=str)
