"""The XLSX writer (reports.ooxml via reports.xlsx.workbook_bytes) read back with openpyxl.

The reference is openpyxl itself: the same sheets written with openpyxl's own API must read
back with the same values, number formats, header style, widths, frozen pane and autofilter.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from reports.ooxml import MAX_TEXT, Table, write_xlsx
from reports.xlsx import Sheet, workbook_bytes

TRICKY = [
    "=HYPERLINK(\"http://evil.example/\",\"点我\")",  # crawled text that looks like a formula stays text
    "<script>alert(1)</script> & \"quotes\" 'single'",
    "  leading and trailing spaces  ",
    "第一行\n第二行\t制表",
    "控制\x00字\x0b符\x1f去掉",
    "孤立代理\ud800项",
    "",
    "http://127.0.0.1/a?b=1&c=2",
    "+86 0632-1234567",
    "00123",
    "1e5",
]


def _sheets() -> list[Sheet]:
    rows = []
    for i, text in enumerate(TRICKY):
        rows.append([text, i, i + 0.5, float(i), dt.date(2026, 11, 20 - i), None, i % 2 == 0,
                     dt.datetime(2026, 11, 20, 8, 30), -3])
    headers = ("文本", "整数", "小数", "整值小数", "日期", "空", "布尔", "时间", "负数")
    return [
        Sheet("部门/汇总:[1]", headers, rows, (14, 8, 8, 8, 12, 6, 6, 18, 6)),
        Sheet("部门/汇总:[1]", ("只有表头",), [], (30,)),  # same title: made unique
        Sheet("O'Brien 局", ("a", "b"), [["x", 1]], ()),
        Sheet("空表", ("a",) * 30, [list(range(30))], ()),  # columns beyond Z
    ]


def _reference(sheets: list[Sheet]) -> bytes:
    """The same sheets through openpyxl's ordinary API (what the reports wrote before)."""
    from reports.xlsx import sheet_title

    wb = Workbook()
    wb.remove(wb.active)
    taken: set[str] = set()
    for sheet in sheets:
        ws = wb.create_sheet(sheet_title(sheet.title, taken))
        for i, width in enumerate(sheet.widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.auto_filter.ref = f"A1:{get_column_letter(max(1, len(sheet.headers)))}{1 + len(sheet.rows)}"
        ws.freeze_panes = "A2"
        ws.append(list(sheet.headers))
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDE6F0")
            cell.alignment = Alignment(vertical="center")
        for row in sheet.rows:
            values = []
            for v in row:
                if isinstance(v, str):
                    v = "".join(ch for ch in v if ch in "\t\n\r" or (ord(ch) >= 32 and not 0xD800 <= ord(ch) <= 0xDFFF))
                    v = v or None
                values.append(v)
            ws.append(values)
            for cell in ws[ws.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # never a formula
                elif isinstance(cell.value, dt.datetime | dt.date):
                    cell.number_format = "yyyy-mm-dd"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _view(data: bytes) -> list[tuple]:
    wb = load_workbook(io.BytesIO(data))
    out = []
    for ws in wb.worksheets:
        cells = [
            [(c.value, type(c.value).__name__, c.data_type, c.number_format if c.value is not None else None,
              bool(c.font.b), c.fill.fgColor.rgb if c.fill.fill_type else None, c.alignment.vertical)
             for c in row]
            for row in ws.iter_rows()
        ]
        widths = {k: v.width for k, v in ws.column_dimensions.items() if v.customWidth}
        out.append((ws.title, ws.freeze_panes, ws.auto_filter.ref, widths, ws.max_row, ws.max_column, cells))
    return out


def test_reads_back_like_openpyxls_own_output() -> None:
    sheets = _sheets()
    ours, reference = _view(workbook_bytes(sheets)), _view(_reference(sheets))
    assert [s[0] for s in ours] == ["部门_汇总__1_", "部门_汇总__1_(2)", "O'Brien 局", "空表"]
    assert len(ours) == len(reference)
    for mine, theirs in zip(ours, reference, strict=True):
        assert mine[:6] == theirs[:6]
        for r, (row_a, row_b) in enumerate(zip(mine[6], theirs[6], strict=True)):
            assert row_a == row_b, f"{mine[0]} row {r + 1}"


def test_values_styles_and_layout() -> None:
    wb = load_workbook(io.BytesIO(workbook_bytes(_sheets())))
    ws = wb.worksheets[0]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == f"A1:I{1 + len(TRICKY)}"
    assert ws.column_dimensions["A"].width == 14 and ws.column_dimensions["H"].width == 18
    header = ws[1]
    assert [c.value for c in header][:3] == ["文本", "整数", "小数"]
    assert all(c.font.b and c.fill.fgColor.rgb == "00DDE6F0" and c.alignment.vertical == "center" for c in header)
    texts = [ws.cell(row=r, column=1) for r in range(2, 2 + len(TRICKY))]
    assert texts[0].value == TRICKY[0] and texts[0].data_type == "s"  # not a formula
    assert texts[1].value == TRICKY[1]
    assert texts[2].value == TRICKY[2]  # spaces kept
    assert texts[3].value == "第一行\n第二行\t制表"
    assert texts[4].value == "控制字符去掉" and texts[5].value == "孤立代理项"
    assert texts[6].value is None
    assert [t.value for t in texts[8:]] == ["+86 0632-1234567", "00123", "1e5"]  # never turned into numbers
    due = ws.cell(row=2, column=5)
    assert due.value == dt.datetime(2026, 11, 20) and due.number_format == "yyyy-mm-dd"
    assert ws.cell(row=2, column=8).value == dt.datetime(2026, 11, 20, 8, 30)
    assert [ws.cell(row=3, column=c).value for c in (2, 3, 4, 6, 7, 9)] == [1, 1.5, 1, None, False, -3]
    assert wb.worksheets[3].cell(row=2, column=30).value == 29  # column AD


def test_long_text_is_cut_to_excels_limit_and_output_is_deterministic() -> None:
    sheets = [Sheet("长文本", ("问题",), [["长" * (MAX_TEXT + 10)], ["短"]], (50,))]
    data = workbook_bytes(sheets)
    assert data == workbook_bytes(sheets)  # same input, same bytes: no clock inside
    value = load_workbook(io.BytesIO(data)).active["A2"].value
    assert len(value) == MAX_TEXT and value.endswith("…")
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert "xl/sharedStrings.xml" in names and "xl/theme/theme1.xml" in names
    strings = zipfile.ZipFile(io.BytesIO(workbook_bytes(_sheets()))).read("xl/sharedStrings.xml").decode()
    assert '<t xml:space="preserve">  leading and trailing spaces  </t>' in strings  # Excel keeps the spaces


def test_no_sheets_gives_one_empty_sheet_and_limits_are_checked() -> None:
    wb = load_workbook(io.BytesIO(workbook_bytes([])))
    assert wb.sheetnames == ["空"] and wb.active.max_row == 1 and wb.active["A1"].value is None
    with pytest.raises(ValueError):
        write_xlsx([])
    with pytest.raises(ValueError, match="exceed"):
        write_xlsx([Table("x", ("a",), [[1]] * 1_048_576)])


def test_shared_rows_give_the_same_bytes_in_every_workbook() -> None:
    """A sheet written into several workbooks (the district sheet of the daily and the weekly) builds
    its rows' XML once; each workbook's bytes equal writing the rows cell by cell."""
    from reports.ooxml import SharedRows

    class Label(str):
        pass

    rows = [list(row) for row in _sheets()[0].rows]
    rows += [[f"第{i % 700}行", i, Label(f"标签{i % 3}"), float("inf") if i % 997 == 0 else i / 7,
              dt.date(1899, 12, 31) if i % 1009 == 0 else dt.date(2026, 1, 1 + i % 28), "", None, TRICKY[i % 11]]
             for i in range(4_500)]  # several chunks of rows
    headers = ("文本", "整数", "标签", "小数", "日期", "空", "无", "其他")
    first_sheets = ([Sheet("汇总", ("部门", "文本"), [["区民政局", "第3行"], ["标签1", 2]])],
                    [Sheet("得分", ("排名",), [[1], ["第699行"], [TRICKY[4]]])], [])
    shared = Sheet("全区", headers, rows, (10,), SharedRows())
    plain = Sheet("全区", headers, rows, (10,))
    for first in (*first_sheets, *first_sheets):  # the second round reuses the rows' XML
        assert workbook_bytes([*first, shared]) == workbook_bytes([*first, plain])
        assert workbook_bytes([*first, shared, shared]) == workbook_bytes([*first, plain, plain])
    assert shared.shared is not None and shared.shared.template is not None
    # other rows given to the same SharedRows are not written from the first rows' XML
    other = Sheet("全区", headers, rows[:5], (10,), shared.shared)
    assert workbook_bytes([other]) == workbook_bytes([Sheet("全区", headers, rows[:5], (10,))])
