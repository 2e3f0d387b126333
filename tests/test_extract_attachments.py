"""Attachment text extraction on files made in the test (openpyxl, reportlab, python-docx)."""

from __future__ import annotations

import io
import zipfile

import pytest

from crawler.extract.attachments import AttachmentError, extract_text

ID_NO = "110101199003071234"
NAME_ROW = ("张三", "镕基村", ID_NO, 650)


def make_xlsx() -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "花名册"
    ws.append(("姓名", "村居", "身份证号", "发放金额"))
    ws.append(NAME_ROW)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def make_pdf() -> bytes:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.setFont("STSong-Light", 14)
    c.drawString(72, 760, "城乡低保对象公示名单")
    c.drawString(72, 730, f"张三 身份证号 {ID_NO} 金额 650 元")
    c.save()
    return buf.getvalue()


def make_docx() -> bytes:
    import docx

    d = docx.Document()
    d.add_paragraph("关于印发实施方案的通知")
    table = d.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "联系电话"
    table.rows[0].cells[1].text = "13800138000"
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def test_xlsx_text() -> None:
    text = extract_text(make_xlsx(), "xlsx")
    assert "镕基村" in text and ID_NO in text and "650" in text
    assert "姓名\t村居\t身份证号\t发放金额" in text


def test_pdf_with_chinese_cid_font() -> None:
    text = extract_text(make_pdf(), "pdf")
    assert "城乡低保对象公示名单" in text
    assert ID_NO in text and "650" in text


def test_docx_paragraphs_and_tables() -> None:
    text = extract_text(make_docx(), "docx")
    assert "关于印发实施方案的通知" in text and "13800138000" in text


def test_mislabelled_files_are_sniffed() -> None:
    assert ID_NO in extract_text(make_xlsx(), "xls")  # an .xls that is really XLSX
    assert "实施方案" in extract_text(make_docx(), "doc")  # a .doc that is really DOCX
    html_doc = "<html><body><p>公示名单：张三</p><script>var x='不是正文'</script></body></html>".encode("gb18030")
    text = extract_text(html_doc, "doc")  # Word "saved as web page" with .doc name
    assert "公示名单：张三" in text and "不是正文" not in text


def test_zip_members_and_gbk_csv() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("名单.xlsx", make_xlsx())
        zf.writestr("说明.txt", "本名单公示七天。".encode("gb18030"))
        zf.writestr("图片.png", b"\x89PNG")
    text = extract_text(buf.getvalue(), "zip")
    assert ID_NO in text and "本名单公示七天。" in text
    csv_text = extract_text("姓名,金额\n李四,700\n".encode("gb18030"), "csv")
    assert "李四,700" in csv_text


def test_ofd_text_codes() -> None:
    page = ('<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="http://www.ofdspec.org/2016">'
            "<ofd:Content><ofd:Layer><ofd:TextObject><ofd:TextCode X=\"0\" Y=\"0\">电子公文正文</ofd:TextCode>"
            "</ofd:TextObject></ofd:Layer></ofd:Content></ofd:Page>")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("OFD.xml", "<ofd:OFD xmlns:ofd='http://www.ofdspec.org/2016'/>")
        zf.writestr("Doc_0/Pages/Page_0/Content.xml", page)
    assert extract_text(buf.getvalue(), "ofd") == "电子公文正文"


def test_ole_word_best_effort() -> None:
    # an OLE header followed by UTF-16LE text, as binary .doc/.wps store Chinese text
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "关于做好防汛工作的通知".encode("utf-16-le") + b"\x00" * 64
    assert "关于做好防汛工作的通知" in extract_text(data, "doc")


@pytest.mark.parametrize(
    ("data", "ext", "reason"),
    [
        (b"", "pdf", "空文件"),
        (b"%PDF-1.4 not really a pdf", "pdf", "PDF"),
        (b"Rar!\x1a\x07\x00", "rar", "RAR"),
        (b"PK\x03\x04broken", "xlsx", "XLSX"),
        (b"\x00\x01\x02", "doc", "DOC"),
        (b"abc", "exe", "不支持"),
    ],
)
def test_unreadable_attachments_raise_with_reason(data: bytes, ext: str, reason: str) -> None:
    with pytest.raises(AttachmentError) as exc:
        extract_text(data, ext)
    assert reason in exc.value.reason
