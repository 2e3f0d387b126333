"""Text of attachment files (PDF, Office, WPS, OFD, ZIP, CSV/TXT) for content checks such as privacy."""

from __future__ import annotations

import io
import re
import zipfile

from .decode import decode_body
from .html import parse_html, visible_text

MAX_ZIP_MEMBER = 50 * 1024 * 1024  # bytes read from one archive member
MAX_ZIP_TOTAL = 200 * 1024 * 1024
_UTF16_RUN = re.compile(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef0-9A-Za-z，。、；：？！（）《》“”\-.%\s]{4,}")


class AttachmentError(Exception):
    """The attachment could not be read; ``reason`` says why (Chinese, for reports)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _sniff(data: bytes, ext: str) -> str:
    """The real format: many ``.doc`` files are really DOCX, HTML or RTF."""
    if data.startswith(b"%PDF"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        if ext in ("docx", "xlsx", "ofd", "zip", "pptx"):
            return ext
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except zipfile.BadZipFile:
            return ext
        if any(n.startswith("word/") for n in names):
            return "docx"
        if any(n.startswith("xl/") for n in names):
            return "xlsx"
        if any(n.lower().endswith("ofd.xml") for n in names):
            return "ofd"
        return "zip"
    if data.startswith(b"{\\rtf"):
        return "rtf"
    head = data[:512].lstrip().lower()
    if head.startswith((b"<html", b"<!doctype", b"<?xml", b"<meta", b"<head")) and ext not in ("csv", "txt"):
        return "html"
    return ext


def _pdf(data: bytes) -> str:
    from pdfminer.high_level import extract_text as pdf_text
    from pdfminer.pdfparser import PDFSyntaxError

    try:
        return pdf_text(io.BytesIO(data))
    except PDFSyntaxError as exc:
        raise AttachmentError(f"PDF 文件无法解析：{exc}") from exc


def _xlsx(data: bytes) -> str:
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    lines = []
    try:
        for ws in wb.worksheets:
            for row in ws.iter_rows(values_only=True):
                cells = [str(c) for c in row if c is not None and str(c).strip()]
                if cells:
                    lines.append("\t".join(cells))
    finally:
        wb.close()
    return "\n".join(lines)


def _xls(data: bytes) -> str:
    import xlrd

    book = xlrd.open_workbook(file_contents=data)
    lines = []
    for sheet in book.sheets():
        for r in range(sheet.nrows):
            cells = []
            for c in sheet.row_values(r):
                if isinstance(c, float) and c.is_integer():
                    c = int(c)
                if str(c).strip():
                    cells.append(str(c))
            if cells:
                lines.append("\t".join(cells))
    return "\n".join(lines)


def _docx(data: bytes) -> str:
    import docx

    document = docx.Document(io.BytesIO(data))
    lines = [p.text for p in document.paragraphs if p.text.strip()]
    for table in document.tables:
        for row in table.rows:
            lines.append("\t".join(cell.text for cell in row.cells))
    return "\n".join(lines)


def _ole_text(data: bytes) -> str:
    """Best effort for binary Word/WPS: runs of UTF-16LE text (where Chinese text is stored)."""
    if not data.startswith(b"\xd0\xcf\x11\xe0"):
        raise AttachmentError("不是可识别的 DOC/WPS 文件")
    runs = []
    for offset in (0, 1):
        chunk = data[offset:]
        chunk = chunk[: len(chunk) - len(chunk) % 2]
        text = chunk.decode("utf-16-le", "ignore")
        runs.extend(m.group(0).strip() for m in _UTF16_RUN.finditer(text) if _useful(m.group(0)))
    return "\n".join(runs)


def _useful(run: str) -> bool:
    stripped = run.strip()
    return len(stripped) >= 4 and (any("\u4e00" <= ch <= "\u9fff" for ch in stripped) or len(stripped) >= 12)


def _ofd(data: bytes) -> str:
    from lxml import etree

    parts = []
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in sorted(zf.namelist()):
            if name.lower().endswith(".xml") and "/pages/" in name.lower():
                root = etree.fromstring(zf.read(name))
                parts.extend(t.text or "" for t in root.iter("{*}TextCode"))
    return "".join(parts)


def _zip(data: bytes) -> str:
    parts = []
    total = 0
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for info in zf.infolist():
            ext = info.filename.rsplit(".", 1)[-1].lower() if "." in info.filename else ""
            if info.is_dir() or ext not in _READERS or info.file_size > MAX_ZIP_MEMBER:
                continue
            total += info.file_size
            if total > MAX_ZIP_TOTAL:
                break
            try:
                parts.append(extract_text(zf.read(info), ext))
            except AttachmentError:
                continue
    return "\n".join(parts)


def _plain(data: bytes) -> str:
    return decode_body(data, None)[0]


def _html(data: bytes) -> str:
    return visible_text(parse_html(decode_body(data, None)[0]), "\n")


def _rtf(data: bytes) -> str:
    text = data.decode("latin-1")
    # \'xx escapes are bytes in the document's ANSI code page (GBK for Chinese documents).
    raw = re.sub(r"\\'([0-9a-f]{2})", lambda m: chr(int(m.group(1), 16)), text)
    raw = re.sub(r"\\u(-?\d+)\??", lambda m: chr(int(m.group(1)) % 65536), raw)
    raw = re.sub(r"\\[a-z]+-?\d* ?|[{}]", "", raw)
    return raw.encode("latin-1", "ignore").decode("gb18030", "ignore")


_READERS = {
    "pdf": _pdf, "xlsx": _xlsx, "xls": _xls, "et": _xls, "docx": _docx, "doc": _ole_text, "wps": _ole_text,
    "ofd": _ofd, "zip": _zip, "csv": _plain, "txt": _plain, "html": _html, "rtf": _rtf,
}


def extract_text(data: bytes, ext: str) -> str:
    """Text of an attachment; raises AttachmentError(reason) when it cannot be read."""
    ext = (ext or "").lower().lstrip(".")
    if not data:
        raise AttachmentError("附件为空文件")
    kind = _sniff(data, ext)
    if kind == "rar":
        raise AttachmentError("不支持读取 RAR 压缩包")
    reader = _READERS.get(kind)
    if reader is None:
        raise AttachmentError(f"不支持的附件格式：{ext or '未知'}")
    try:
        return reader(data)
    except AttachmentError:
        raise
    except Exception as exc:  # noqa: BLE001 - library errors vary; all mean "unreadable"
        raise AttachmentError(f"{kind.upper()} 附件无法读取：{type(exc).__name__}: {exc}") from exc
