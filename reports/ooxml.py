"""A streaming XLSX (SpreadsheetML) writer for plain tables: the reports' one sheet shape, fast.

What a report sheet needs and nothing more: a bold, shaded header row, text / numbers /
dates (``yyyy-mm-dd``) / booleans, column widths, a frozen header and an autofilter.
The parts mirror what openpyxl writes (same styles, widths, defined names), with one
shared-string table per workbook. Output is deterministic: the same sheets give the same
bytes (no creation time, fixed zip timestamps).

Why not openpyxl or XlsxWriter here: a province's daily workbook has 130,000 rows × 14
columns; openpyxl's write-only mode writes ≈ 50,000 cells/s, XlsxWriter's
``constant_memory`` mode ≈ 100,000; formatting a row as one string is ≈ 10× faster
(bench/RESULTS.md, "Scorecards"). Tests read every workbook back with openpyxl.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from openpyxl.writer.theme import theme_xml

MAX_ROWS = 1_048_576  # Excel's row limit (header included)
MAX_TEXT = 32_767  # Excel's limit on the characters of one cell
# Characters XML 1.0 cannot carry (C0 controls except tab/newline/CR, lone surrogates, U+FFFE/U+FFFF).
ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_EPOCH = dt.datetime(1899, 12, 30)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_ROWS_PER_CHUNK = 2000
_SI, _SI_PRESERVE = "<si><t>", '<si><t xml:space="preserve">'

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

# Style indexes in STYLES_XML's cellXfs: 0 plain, 1 header (bold, shaded, centred vertically), 2 date.
HEADER_STYLE, DATE_STYLE = 1, 2
STYLES_XML = (
    f'<styleSheet xmlns="{_NS}">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="2"><font><name val="Calibri"/><family val="2"/><color theme="1"/><sz val="11"/>'
    '<scheme val="minor"/></font><font><b val="1"/></font></fonts>'
    '<fills count="3"><fill><patternFill/></fill><fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="00DDE6F0"/></patternFill></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" applyFont="1" applyFill="1" applyAlignment="1" xfId="0">'
    '<alignment vertical="center"/></xf>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" applyNumberFormat="1" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '<tableStyles count="0" defaultTableStyle="TableStyleMedium9" defaultPivotStyle="PivotStyleLight16"/>'
    "</styleSheet>"
)


@dataclass
class Table:
    """One worksheet: a title (already legal and unique), header names, rows, column widths.

    ``shared``: the rows are written into several workbooks (the district sheet of the daily and
    the weekly): their XML is built once and kept there, each workbook fills in its own
    shared-string indices (same bytes as writing the rows again).
    """

    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Any]]
    widths: Sequence[float] = ()
    shared: SharedRows | None = None


class SharedRows:
    """The data rows' XML of a table written into several workbooks, built at its first write."""

    def __init__(self) -> None:
        self.template: RowsTemplate | None = None

    def rows_xml(self, table: Table, sst: SharedStrings, start_row: int) -> Iterable[str]:
        key = (id(table.rows), len(table.rows), len(table.headers), start_row)
        if self.template is None or self.template.key != key:
            self.template = rows_template(table, start_row)
        return self.template.fill(sst)


@dataclass
class RowsTemplate:
    """Rows XML with ``%s`` where a shared-string index goes; ``texts``: those strings, in order of first use.

    A workbook's shared-string table numbers new strings in the order the cells use them, so
    adding ``texts`` in order gives each the index that writing the rows cell by cell would.
    """

    key: tuple[int, int, int, int]  # the rows it was built from (id, length), header width, first row
    texts: list[str]
    refs: int  # cells referring to a shared string
    chunks: list[tuple[str, Callable[[list[str]], tuple[str, ...]]]]  # template, its indices into ``texts``

    def fill(self, sst: SharedStrings) -> Iterable[str]:
        ids, known = sst.ids, sst.texts
        numbers = []
        for text in self.texts:  # already cleaned: SharedStrings.add without cleaning again
            i = ids.get(text)
            if i is None:
                i = ids[text] = len(known)
                known.append(text)
            numbers.append(str(i))
        sst.count += self.refs
        for template, pick in self.chunks:
            yield template % pick(numbers)


def _picker(indices: list[int]) -> Callable[[list[str]], tuple[str, ...]]:
    if len(indices) == 1:
        only = indices[0]
        return lambda numbers: (numbers[only],)
    if not indices:
        return lambda _numbers: ()
    return itemgetter(*indices)  # type: ignore[return-value]


def escape(text: str) -> str:
    """XML text escaping (element content and double-quoted attributes)."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if '"' in text:
        text = text.replace('"', "&quot;")
    return text


def column_letter(index: int) -> str:
    """1 → A, 27 → AA."""
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def excel_serial(value: dt.date) -> float | int:
    """A date (or datetime, naive) as Excel's 1900-system serial number."""
    if isinstance(value, dt.datetime):
        delta = value.replace(tzinfo=None) - _EPOCH
        serial = delta.days + delta.seconds / 86400 + delta.microseconds / 86_400_000_000
        return int(serial) if serial == int(serial) else serial
    return (value - _EPOCH.date()).days


class SharedStrings:
    """The workbook's shared-string table: each distinct text once, cells refer to its index."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}  # text as given (and as cleaned) → index
        self.texts: list[str] = []  # cleaned texts in index order
        self.count = 0  # references (cells), as the part's count attribute wants

    def add(self, text: str) -> int:
        """The index of ``text`` (cleaned for XML and Excel's length limit), added if new."""
        i = self.ids.get(text)
        if i is None:
            clean = _clean(text)
            i = self.ids.get(clean)
            if i is None:
                i = len(self.texts)
                self.texts.append(clean)
                self.ids[clean] = i
            self.ids[text] = i
        return i

    def xml(self) -> bytes:
        parts = [f'{_XML_DECL}<sst xmlns="{_NS}" count="{self.count}" uniqueCount="{len(self.texts)}">']
        texts = self.texts
        # Escaped in one pass over all texts joined by NUL (never in a cleaned text, see ILLEGAL).
        escaped = escape("\x00".join(texts)).split("\x00") if texts else []
        for text, xml in zip(texts, escaped, strict=True):
            parts += (_SI_PRESERVE if text != text.strip() else _SI, xml, "</t></si>")
        parts.append("</sst>")
        return "".join(parts).encode("utf-8")


def _clean(text: str) -> str:
    if ILLEGAL.search(text):
        text = ILLEGAL.sub("", text)
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT - 1] + "…"
    return text


def _columns(table: Table) -> tuple[list[str], list[str]]:
    """The data rows' column letters and each column's cell opening (``<c r="A``), as wide as the widest row."""
    width = max(len(table.headers), max((len(row) for row in table.rows), default=0))
    letters = [column_letter(i) for i in range(1, width + 1)]
    return letters, [f'<c r="{letter}' for letter in letters]


def _rows_xml(table: Table, sst: SharedStrings, start_row: int) -> Iterable[str]:
    """The ``<row>`` elements of the data rows, in chunks of joined strings (every _ROWS_PER_CHUNK rows).

    Each cell is pieces added to the chunk (joined once), a text's index kept as text, a date's
    serial number written once: ≈ 2× faster than an f-string per cell.
    """
    letters, starts = _columns(table)
    width = len(letters)
    ids, add = sst.ids, sst.add
    numbers: dict[str, str] = {}  # text -> its shared-string index, as text
    serials: dict[dt.date, str] = {}  # date -> its serial number, as text
    parts: list[str] = []
    rows = 0
    refs = 0
    for number, row in enumerate(table.rows, start=start_row):
        r = str(number)
        parts += ('<row r="', r, '">')
        for column, value in enumerate(row[:width]):
            kind = type(value)
            if kind is str:
                if not value:
                    continue  # openpyxl writes no cell for "" either
                n = numbers.get(value)
                if n is None:
                    i = ids.get(value)
                    if i is None:
                        i = add(value)
                    n = numbers[value] = str(i)
                refs += 1
                parts += (starts[column], r, '" t="s"><v>', n, "</v></c>")
            elif value is None:
                continue
            elif kind is int:
                parts += (starts[column], r, '"><v>', str(value), "</v></c>")
            elif kind is dt.date and value.year >= 1900:
                serial = serials.get(value)
                if serial is None:
                    serial = serials[value] = str(excel_serial(value))
                parts += (starts[column], r, f'" s="{DATE_STYLE}"><v>', serial, "</v></c>")
            else:
                parts.append(_other_cell(f"{letters[column]}{r}", value, sst))
        parts.append("</row>")
        rows += 1
        if rows >= _ROWS_PER_CHUNK:
            yield "".join(parts)
            parts, rows = [], 0
    sst.count += refs
    if parts:
        yield "".join(parts)


def rows_template(table: Table, start_row: int) -> RowsTemplate:
    """``_rows_xml`` with the shared-string indices left open (same chunks, same cells, built the same way)."""
    letters, starts = _columns(table)
    width = len(letters)
    local = SharedStrings()
    ids, add = local.ids, local.add
    serials: dict[dt.date, str] = {}
    chunks: list[tuple[str, Callable[[list[str]], tuple[str, ...]]]] = []
    parts: list[str] = []
    picks: list[int] = []
    rows = 0
    refs = 0
    for number, row in enumerate(table.rows, start=start_row):
        r = str(number)
        parts += ('<row r="', r, '">')
        for column, value in enumerate(row[:width]):
            kind = type(value)
            if kind is str:
                if not value:
                    continue
            elif value is None:
                continue
            elif kind is int:
                parts += (starts[column], r, '"><v>', str(value), "</v></c>")
                continue
            elif kind is dt.date and value.year >= 1900:
                serial = serials.get(value)
                if serial is None:
                    serial = serials[value] = str(excel_serial(value))
                parts += (starts[column], r, f'" s="{DATE_STYLE}"><v>', serial, "</v></c>")
                continue
            else:
                cell = _value_cell(f"{letters[column]}{r}", value)
                if cell is not None:
                    parts.append(cell)
                    continue
                value = _as_text(value)
            i = ids.get(value)
            if i is None:
                i = add(value)
            refs += 1
            picks.append(i)
            parts += (starts[column], r, '" t="s"><v>%s</v></c>')
        parts.append("</row>")
        rows += 1
        if rows >= _ROWS_PER_CHUNK:
            chunks.append(("".join(parts), _picker(picks)))
            parts, picks, rows = [], [], 0
    if parts:
        chunks.append(("".join(parts), _picker(picks)))
    key = (id(table.rows), len(table.rows), len(table.headers), start_row)
    return RowsTemplate(key, local.texts, refs, chunks)


def _other_cell(ref: str, value: Any, sst: SharedStrings) -> str:
    cell = _value_cell(ref, value)
    return cell if cell is not None else _text_cell(ref, _as_text(value), sst)


def _value_cell(ref: str, value: Any) -> str | None:
    """A number, boolean or date cell; None for a value written as text."""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int):
        return f'<c r="{ref}"><v>{value}</v></c>'
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return f'<c r="{ref}"><v>{int(value) if value.is_integer() else repr(value)}</v></c>'
    if isinstance(value, dt.date):
        if value.year < 1900:  # outside Excel's calendar: kept as text
            return None
        return f'<c r="{ref}" s="{DATE_STYLE}"><v>{excel_serial(value)}</v></c>'
    return None


def _as_text(value: Any) -> str:
    """The text of a value ``_value_cell`` leaves to the shared strings."""
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _text_cell(ref: str, text: str, sst: SharedStrings, style: int = 0) -> str:
    i = sst.add(text)
    sst.count += 1
    s = f' s="{style}"' if style else ""
    return f'<c r="{ref}"{s} t="s"><v>{i}</v></c>'


def _sheet_parts(table: Table, sst: SharedStrings) -> Iterable[str]:
    width = max(1, len(table.headers))
    last = f"{column_letter(width)}{1 + len(table.rows)}"
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{w:g}" customWidth="1"/>' for i, w in enumerate(table.widths, start=1)
    )
    pane = (
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A1" sqref="A1"/>'
        if table.headers
        else ""
    )
    header = "".join(_text_cell(f"{column_letter(i)}1", h, sst, HEADER_STYLE) for i, h in enumerate(table.headers, 1))
    yield (
        f'{_XML_DECL}<worksheet xmlns="{_NS}" xmlns:r="{_NS_R}"><dimension ref="A1:{last}"/>'
        f'<sheetViews><sheetView workbookViewId="0">{pane}</sheetView></sheetViews>'
        '<sheetFormatPr baseColWidth="8" defaultRowHeight="15"/>'
        + (f"<cols>{cols}</cols>" if cols else "")
        + (f'<sheetData><row r="1">{header}</row>' if header else "<sheetData>")
    )
    yield from (table.shared.rows_xml(table, sst, 2) if table.shared else _rows_xml(table, sst, 2))
    yield (
        "</sheetData>"
        + (f'<autoFilter ref="A1:{last}"/>' if table.headers else "")
        + '<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/></worksheet>'
    )


def _workbook_xml(tables: Sequence[Table]) -> str:
    sheets = "".join(
        f'<sheet name="{escape(t.title)}" sheetId="{n}" r:id="rId{n}"/>' for n, t in enumerate(tables, start=1)
    )
    names = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{n}" hidden="1">'
        f"{escape(_quoted(t.title))}!$A$1:${column_letter(max(1, len(t.headers)))}${1 + len(t.rows)}</definedName>"
        for n, t in enumerate(tables)
        if t.headers
    )
    defined = f"<definedNames>{names}</definedNames>" if names else ""
    return (
        f'{_XML_DECL}<workbook xmlns="{_NS}" xmlns:r="{_NS_R}"><workbookPr/>'
        '<bookViews><workbookView activeTab="0"/></bookViews>'
        f'<sheets>{sheets}</sheets>{defined}<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>'
    )


def _quoted(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _package_xml(count: int) -> dict[str, str]:
    ct = "application/vnd.openxmlformats-officedocument"
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{ct}.spreadsheetml.worksheet+xml"/>'
        for n in range(1, count + 1)
    )
    sheet_rels = "".join(
        f'<Relationship Id="rId{n}" Type="{_NS_R}/worksheet" Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, count + 1)
    )
    return {
        "[Content_Types].xml": (
            f'{_XML_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.spreadsheetml.sheet.main+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{ct}.spreadsheetml.styles+xml"/>'
            f'<Override PartName="/xl/theme/theme1.xml" ContentType="{ct}.theme+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{ct}.spreadsheetml.sharedStrings+xml"/>'
            '<Override PartName="/docProps/core.xml" '
            'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            f'<Override PartName="/docProps/app.xml" ContentType="{ct}.extended-properties+xml"/>'
            f"{overrides}</Types>"
        ),
        "_rels/.rels": (
            f'{_XML_DECL}<Relationships xmlns="{_NS_PKG}">'
            f'<Relationship Id="rId1" Type="{_NS_R}/officeDocument" Target="xl/workbook.xml"/>'
            f'<Relationship Id="rId2" Type="{_NS_PKG}/metadata/core-properties" Target="docProps/core.xml"/>'
            f'<Relationship Id="rId3" Type="{_NS_R}/extended-properties" Target="docProps/app.xml"/>'
            "</Relationships>"
        ),
        "docProps/app.xml": (
            f'{_XML_DECL}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
            "<Application>zwgk-monitor</Application></Properties>"
        ),
        "docProps/core.xml": (
            f'{_XML_DECL}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
            'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>zwgk-monitor</dc:creator>'
            "</cp:coreProperties>"
        ),
        "xl/_rels/workbook.xml.rels": (
            f'{_XML_DECL}<Relationships xmlns="{_NS_PKG}">{sheet_rels}'
            f'<Relationship Id="rId{count + 1}" Type="{_NS_R}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId{count + 2}" Type="{_NS_R}/sharedStrings" Target="sharedStrings.xml"/>'
            f'<Relationship Id="rId{count + 3}" Type="{_NS_R}/theme" Target="theme/theme1.xml"/>'
            "</Relationships>"
        ),
        "xl/styles.xml": _XML_DECL + STYLES_XML,
        "xl/theme/theme1.xml": theme_xml,  # the default Office theme (the fonts' theme colours refer to it)
    }


def _info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o600 << 16
    return info


def write_xlsx(tables: Sequence[Table]) -> bytes:
    """The workbook as bytes; ``tables`` must be non-empty with legal, unique titles."""
    if not tables:
        raise ValueError("a workbook needs at least one sheet")
    for table in tables:
        if len(table.rows) + 1 > MAX_ROWS:
            raise ValueError(f"sheet {table.title!r}: {len(table.rows)} rows exceed Excel's {MAX_ROWS - 1}")
    buffer = io.BytesIO()
    sst = SharedStrings()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:  # zlib default level, as openpyxl
        for name, xml in _package_xml(len(tables)).items():
            zf.writestr(_info(name), xml.encode("utf-8"))
        zf.writestr(_info("xl/workbook.xml"), _workbook_xml(tables).encode("utf-8"))
        for n, table in enumerate(tables, start=1):
            with zf.open(_info(f"xl/worksheets/sheet{n}.xml"), "w") as fh:
                for part in _sheet_parts(table, sst):
                    fh.write(part.encode("utf-8"))
        zf.writestr(_info("xl/sharedStrings.xml"), sst.xml())
    return buffer.getvalue()
