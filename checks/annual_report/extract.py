"""Turn a 年报 file (HTML, PDF, DOCX or text) into lines of text and cell grids.

Pure functions of bytes: no network, no clock. HTML and DOCX tables become grids in
which a merged cell (rowspan/colspan) is repeated under the *same* ``Cell`` object, so
later code can both read every grid position and tell merged repeats from equal values.
PDF pages become text lines rebuilt from the layout (fragments on one baseline joined
left to right), which is how a table row reads: label, then its numbers.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field

from crawler.extract.tables import table_grid

TABLE_MARK = "\ue000TABLE{}\ue000"
_TABLE_MARK_RE = re.compile("\ue000TABLE(\\d+)\ue000")


class UnreadableReport(Exception):
    """The file could not be read as a report (the reason is in Chinese)."""


@dataclass(eq=False)
class Cell:
    text: str


@dataclass
class Grid:
    """A table as a rectangle of cells; merged cells repeat the same object."""

    rows: list[list[Cell | None]]

    def texts(self) -> list[list[str]]:
        return [[c.text if c else "" for c in row] for row in self.rows]

    def all_text(self) -> str:
        return "".join(c.text for row in self.rows for c in row if c)


@dataclass
class Document:
    kind: str  # html | pdf | docx | text
    lines: list[str]  # text lines in reading order; a table stands as its TABLE_MARK line
    grids: list[Grid] = field(default_factory=list)
    title: str | None = None
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n".join(_TABLE_MARK_RE.sub("", line) for line in self.lines)

    def table_index(self, line: str) -> int | None:
        m = _TABLE_MARK_RE.fullmatch(line.strip())
        return int(m.group(1)) if m else None


def _clean(text: str) -> str:
    return re.sub(r"[\s\u3000\xa0]+", " ", text).strip()


# --------------------------------------------------------------------------- HTML


def _html_grid(table) -> Grid:  # noqa: ANN001 - lxml element
    """Expand rowspan/colspan into a full rectangle; merged cells repeat one Cell object."""
    grid: list[list[Cell | None]] = table_grid(table, lambda td: Cell(_clean(td.text_content())))
    width = max((len(row) for row in grid), default=0)
    for row in grid:
        row.extend([None] * (width - len(row)))
    return Grid(grid)


_BLOCKS = {
    "p",
    "div",
    "br",
    "tr",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "section",
    "article",
    "table",
    "td",
    "th",
}


def extract_html(html: str | bytes) -> Document:
    """Text lines and table grids of an HTML report (innermost tables first become grids)."""
    import lxml.html

    if isinstance(html, bytes):
        try:
            from crawler.extract.decode import decode_body

            html, _ = decode_body(html, None)
        except ImportError:
            html = html.decode("utf-8", "replace")
    if not html.strip():
        raise UnreadableReport("页面内容为空")
    root = lxml.html.document_fromstring(html)
    for bad in root.xpath("//script|//style|//noscript"):
        bad.drop_tree()
    meta = {
        (m.get("name") or "").lower(): (m.get("content") or "").strip()
        for m in root.iter("meta")
        if m.get("name")
    }
    title_el = root.find(".//title")
    title = meta.get("articletitle") or (_clean(title_el.text_content()) if title_el is not None else None)
    grids: list[Grid] = []
    # Only outermost tables that themselves hold numbers are report tables; layout tables that
    # merely wrap the article are unwrapped by handling inner tables first.
    leaves = [t for t in root.iter("table") if t.find(".//table") is None]
    for table in leaves:
        grids.append(_html_grid(table))
        marker = lxml.html.Element("p")
        marker.text = TABLE_MARK.format(len(grids) - 1)
        marker.tail = table.tail
        table.getparent().replace(table, marker)
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag in _BLOCKS:
            el.tail = "\n" + (el.tail or "")
            if el.tag == "br":
                continue
            el.text = "\n" + (el.text or "")
    body = root.find("body")
    text = (body if body is not None else root).text_content()
    lines = [_clean(line) for line in text.split("\n")]
    return Document("html", [line for line in lines if line], grids, title, meta)


# --------------------------------------------------------------------------- DOCX


def extract_docx(data: bytes) -> Document:
    """Paragraphs and tables of a DOCX in body order (merged cells repeat one Cell)."""
    try:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph
    except ImportError as exc:  # pragma: no cover - python-docx is a dependency
        raise UnreadableReport(f"无法读取 DOCX：{exc}") from None
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - any parse error means unreadable
        raise UnreadableReport(f"DOCX 文件无法解析：{exc}") from None
    lines: list[str] = []
    grids: list[Grid] = []
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            text = _clean(Paragraph(child, document).text)
            if text:
                lines.append(text)
        elif tag == "tbl":
            table = Table(child, document)
            seen: dict[object, Cell] = {}  # keyed by the <w:tc> element (merged cells share it)
            rows: list[list[Cell | None]] = []
            for row in table.rows:
                line: list[Cell | None] = []
                for cell in row.cells:
                    key = cell._tc
                    if key not in seen:
                        seen[key] = Cell(_clean(cell.text))
                    line.append(seen[key])
                rows.append(line)
            grids.append(Grid(rows))
            lines.append(TABLE_MARK.format(len(grids) - 1))
    title = next((line for line in lines if "报告" in line), None)
    return Document("docx", lines, grids, title)


# --------------------------------------------------------------------------- PDF


def extract_pdf(data: bytes, *, tolerance: float = 3.0) -> Document:
    """Text lines of a PDF rebuilt from the layout: fragments on one baseline, left to right."""
    try:
        from pdfminer.high_level import extract_pages
        from pdfminer.layout import LAParams, LTTextContainer, LTTextLine
        from pdfminer.pdfparser import PDFSyntaxError
    except ImportError as exc:  # pragma: no cover
        raise UnreadableReport(f"无法读取 PDF：{exc}") from None

    def text_lines(obj):  # noqa: ANN001, ANN202
        if isinstance(obj, LTTextLine):
            yield obj
        elif isinstance(obj, LTTextContainer) or hasattr(obj, "__iter__"):
            for child in obj:
                yield from text_lines(child)

    lines: list[str] = []
    try:
        for page in extract_pages(io.BytesIO(data), laparams=LAParams()):
            fragments = []
            for tl in text_lines(page):
                text = _clean(tl.get_text())
                if text:
                    fragments.append(((tl.y0 + tl.y1) / 2, tl.x0, text))
            fragments.sort(key=lambda f: (-f[0], f[1]))
            rows: list[list[tuple[float, float, str]]] = []
            for frag in fragments:
                if rows and abs(rows[-1][0][0] - frag[0]) <= tolerance:
                    rows[-1].append(frag)
                else:
                    rows.append([frag])
            for row in rows:
                lines.append(" ".join(f[2] for f in sorted(row, key=lambda f: f[1])))
    except (PDFSyntaxError, ValueError, TypeError, KeyError) as exc:
        raise UnreadableReport(f"PDF 文件无法解析：{exc}") from None
    except Exception as exc:  # noqa: BLE001 - pdfminer raises many private error types
        raise UnreadableReport(f"PDF 文件无法解析：{type(exc).__name__}: {exc}") from None
    if not any(lines):
        raise UnreadableReport("PDF 中没有可提取的文字（可能是扫描件）")
    title = next((line for line in lines if "报告" in line), None)
    return Document("pdf", lines, [], title)


def extract_text_document(text: str) -> Document:
    lines = [_clean(line) for line in text.splitlines()]
    lines = [line for line in lines if line]
    return Document("text", lines, [], next((line for line in lines if "报告" in line), None))


def sniff_kind(data: bytes, url: str = "", content_type: str | None = None) -> str:
    """html | pdf | docx | text | other, from magic bytes first, then the content type and URL."""
    head = data[:8]
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except zipfile.BadZipFile:
            return "other"
        return "docx" if any(n.startswith("word/") for n in names) else "other"
    if head.startswith(b"\xd0\xcf\x11\xe0") or head.startswith(b"{\\rtf"):
        return "other"  # .doc / .wps / RTF: text only, through the crawler's attachment reader
    ct = (content_type or "").lower()
    path = url.lower().split("?")[0]
    if "html" in ct or path.endswith((".htm", ".html", ".shtml", ".jhtml", "/")) or b"<" in data[:2000]:
        return "html"
    return "text"


def _other(data: bytes, url: str) -> Document:
    """Formats read as plain text by ``crawler.extract.attachments.extract_text`` (tables from lines)."""
    try:
        from crawler.extract.attachments import AttachmentError, extract_text
    except ImportError:  # pragma: no cover - the crawler package is part of the project
        raise UnreadableReport("不支持的文件格式") from None
    ext = url.lower().split("?")[0].rsplit(".", 1)[-1] if "." in url else ""
    try:
        return extract_text_document(extract_text(data, ext))
    except AttachmentError as exc:
        raise UnreadableReport(exc.reason) from None


def extract(data: bytes, *, url: str = "", content_type: str | None = None) -> Document:
    """Dispatch on the file kind; raises UnreadableReport with a Chinese reason."""
    kind = sniff_kind(data, url, content_type)
    if kind == "pdf":
        return extract_pdf(data)
    if kind == "docx":
        return extract_docx(data)
    if kind == "html":
        return extract_html(data)
    if kind == "other":
        return _other(data, url)
    return extract_text_document(data.decode("utf-8", "replace"))
