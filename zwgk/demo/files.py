"""Small real attachments: XLSX tables (openpyxl) and PDFs with Chinese text (reportlab, CID font STSong-Light)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence

from openpyxl import Workbook

_FIXED = dt.datetime(2020, 1, 1)


def xlsx_bytes(title: str, header: Sequence[str], rows: Sequence[Sequence[object]], when: dt.datetime) -> bytes:
    """A one-sheet workbook: a title row, the header and the rows (deterministic bytes for a given input)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append([title])
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    wb.properties.creator = "示范区人民政府"
    wb.properties.created = when
    wb.properties.modified = when
    out = io.BytesIO()
    wb.save(out)
    return _fix_zip_times(out.getvalue(), when)


def _fix_zip_times(data: bytes, when: dt.datetime) -> bytes:
    """Rewrite the ZIP with fixed member timestamps so the same input gives the same bytes."""
    import re
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(data))
    stamp = f"{when:%Y-%m-%dT%H:%M:%S}Z".encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_FIXED.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            member = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                member = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp, member)
            dst.writestr(fixed, member)
    return out.getvalue()


def pdf_bytes(title: str, lines: Sequence[str], when: dt.datetime) -> bytes:
    """A one-page A4 PDF with a title and lines of Chinese text (STSong-Light, no embedded font file)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4, invariant=1)
    c.setTitle(title)
    c.setAuthor("示范区人民政府")
    c.setCreator("zwgk demo")
    width, height = A4
    c.setFont("STSong-Light", 16)
    c.drawCentredString(width / 2, height - 72, title)
    c.setFont("STSong-Light", 11)
    y = height - 110
    for line in lines:
        c.drawString(72, y, line)
        y -= 18
        if y < 72:
            break
    c.drawString(72, 60, f"示范区统计局  {when:%Y年%m月%d日}")
    c.showPage()
    c.save()
    return out.getvalue()
