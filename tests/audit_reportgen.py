"""Builders of 政府信息公开工作年度报告 test files (HTML with merged cells, PDF via reportlab).

A report is described by ``ReportSpec``; mutations (a wrong sum, a missing part, a missing
table, swapped columns) are flags/overrides so each test states exactly what it broke.
"""

from __future__ import annotations

import html
import io
from dataclasses import dataclass, field

from checks.annual_report.layout import T3_COLUMNS, T3_OUTCOME_ROWS, T3_ROWS

PART_TEXT = {
    "一": (
        "一、总体情况",
        "2025年，区民政局认真贯彻落实《中华人民共和国政府信息公开条例》，扎实推进政务公开工作。",
    ),
    "二": ("二、主动公开政府信息情况", ""),
    "三": ("三、收到和处理政府信息公开申请情况", ""),
    "四": ("四、政府信息公开行政复议、行政诉讼情况", ""),
    "五": ("五、存在的主要问题及改进情况", "主动公开的及时性有待提高，下一步将加强培训。"),
    "六": ("六、其他需要报告的事项", "本年度未收取信息处理费。"),
}

# Outcome rows with non-zero numbers (the rest are 0); 一 and 二 are given, 七 and 四 computed.
BASE_T3 = {
    "一": [10, 2, 0, 0, 0, 1],
    "二": [1, 0, 0, 0, 0, 0],
    "三.一": [5, 1, 0, 0, 0, 0],
    "三.二": [1, 0, 0, 0, 0, 0],
    "三.三.4": [1, 0, 0, 0, 0, 0],
    "三.四.1": [2, 0, 0, 0, 0, 1],
}
BASE_T4 = [1, 0, 0, 1, 2, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0]


def t3_values(base: dict[str, list[int]] | None = None) -> dict[str, list[int]]:
    """All 表三 rows with 7 consistent numbers (R1, R2, R3 hold)."""
    base = base or BASE_T3
    rows: dict[str, list[int]] = {}
    for row in T3_ROWS:
        if row.key in ("三.七", "四"):
            continue
        rows[row.key] = list(base.get(row.key, [0] * 6))
    rows["三.七"] = [sum(rows[k][i] for k in T3_OUTCOME_ROWS) for i in range(6)]
    rows["四"] = [rows["一"][i] + rows["二"][i] - rows["三.七"][i] for i in range(6)]
    return {k: v + [sum(v)] for k, v in rows.items()}


@dataclass
class ReportSpec:
    year: int = 2025
    title: str = "区民政局2025年政府信息公开工作年度报告"
    pubdate: str | None = "2026-01-20 10:00"
    t3: dict[str, list[int]] = field(default_factory=t3_values)
    t4: list[int] = field(default_factory=lambda: list(BASE_T4))
    columns: tuple[str, ...] = T3_COLUMNS  # header order as printed (values follow the header)
    omit_parts: tuple[str, ...] = ()
    omit_tables: tuple[str, ...] = ()  # "表二" | "表三" | "表四"

    def cell(self, key: str, column: str) -> int:
        return self.t3[key][T3_COLUMNS.index(column)]


# --------------------------------------------------------------------------- table specs
# A table is rows of cells (text, rowspan, colspan), as in HTML; HTML and DOCX render the same spec.

Spec = list[list[tuple[object, int, int]]]


def c(text: object, rowspan: int = 1, colspan: int = 1) -> tuple[object, int, int]:
    return (text, rowspan, colspan)


def t2_spec() -> Spec:
    return [
        [c("第二十条第（一）项", 1, 4)],
        [c("信息内容"), c("本年制发件数"), c("本年废止件数"), c("现行有效件数")],
        [c("规章"), c(0), c(0), c(0)],
        [c("行政规范性文件"), c(2), c(1), c(15)],
        [c("第二十条第（五）项", 1, 4)],
        [c("信息内容"), c("本年处理决定数量", 1, 3)],
        [c("行政许可"), c(120, 1, 3)],
        [c("第二十条第（六）项", 1, 4)],
        [c("信息内容"), c("本年处理决定数量", 1, 3)],
        [c("行政处罚"), c(35, 1, 3)],
        [c("行政强制"), c(2, 1, 3)],
        [c("第二十条第（八）项", 1, 4)],
        [c("信息内容"), c("本年收费金额（单位：万元）", 1, 3)],
        [c("行政事业性收费"), c(0, 1, 3)],
    ]


def t3_spec(spec: ReportSpec) -> Spec:
    def values(key: str) -> list:
        return [c(spec.cell(key, col)) for col in spec.columns]

    leaf = [col for col in spec.columns if col not in ("自然人", "总计")]
    rows: Spec = [
        [
            c("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", 3, 3),
            c("申请人情况", 1, 7),
        ],
        [c(spec.columns[0], 2, 1), c("法人或其他组织", 1, 5), c(spec.columns[-1], 2, 1)],
        [c(name) for name in leaf],
        [c("一、本年新收政府信息公开申请数量", 1, 3), *values("一")],
        [c("二、上年结转政府信息公开申请数量", 1, 3), *values("二")],
    ]
    groups: dict[str, list] = {}
    for row in T3_ROWS:
        if row.key.startswith("三."):
            groups.setdefault(row.key.split(".")[1], []).append(row)
    names = {"三": "（三）不予公开", "四": "（四）无法提供", "五": "（五）不予处理", "六": "（六）其他处理"}
    full = {
        "一": "（一）予以公开",
        "二": "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
        "七": "（七）总计",
    }
    first = True
    for sub, members in groups.items():
        for i, row in enumerate(members):
            cells = [c("三、本年度办理结果", 22, 1)] if first else []
            first = False
            if sub in names:
                if i == 0:
                    cells.append(c(names[sub], len(members), 1))
                cells.append(c(row.label.split("）", 1)[1]))
            else:
                cells.append(c(full[sub], 1, 2))
            rows.append(cells + values(row.key))
    rows.append([c("四、结转下年度继续办理", 1, 3), *values("四")])
    return rows


def t4_spec(spec: ReportSpec) -> Spec:
    names = ["结果维持", "结果纠正", "其他结果", "尚未审结"]
    return [
        [c("行政复议", 1, 5), c("行政诉讼", 1, 10)],
        [*(c(n, 2, 1) for n in names), c("总计", 2, 1), c("未经复议直接起诉", 1, 5), c("复议后起诉", 1, 5)],
        [c(n) for n in [*names, "总计"] * 2],
        [c(v) for v in spec.t4],
    ]


def place(spec: Spec) -> tuple[int, int, list[tuple[int, int, int, int, str]]]:
    """Grid positions of a spec: (rows, cols, [(row, col, rowspan, colspan, text)])."""
    taken: set[tuple[int, int]] = set()
    out = []
    for r, row in enumerate(spec):
        col = 0
        for text, rs, cs in row:
            while (r, col) in taken:
                col += 1
            out.append((r, col, rs, cs, str(text)))
            taken.update((r + i, col + j) for i in range(rs) for j in range(cs))
            col += cs
    return len(spec), max(cc + cs for _r, cc, _rs, cs, _t in out), out


# --------------------------------------------------------------------------- HTML


def _html_table(spec: Spec) -> str:
    def td(text: object, rowspan: int, colspan: int) -> str:
        attrs = (f' rowspan="{rowspan}"' if rowspan > 1 else "") + (
            f' colspan="{colspan}"' if colspan > 1 else ""
        )
        return f"<td{attrs}>{html.escape(str(text))}</td>"

    return (
        '<table border="1">'
        + "".join("<tr>" + "".join(td(*cell) for cell in row) + "</tr>" for row in spec)
        + "</table>"
    )


def build_html(spec: ReportSpec) -> bytes:
    tables = {
        "二": ("表二", _html_table(t2_spec())),
        "三": ("表三", _html_table(t3_spec(spec))),
        "四": ("表四", _html_table(t4_spec(spec))),
    }
    body = [f"<h1>{html.escape(spec.title)}</h1>"]
    if spec.pubdate:
        body.append(f'<div class="info">发布日期：{spec.pubdate[:10]}</div>')
    body.append("<p>本报告根据《中华人民共和国政府信息公开条例》第五十条编制。</p>")
    for num, (heading, text) in PART_TEXT.items():
        if num in spec.omit_parts:
            continue
        body.append(f"<p><strong>{heading}</strong></p>")
        if text:
            body.append(f"<p>{text}</p>")
        if num in tables and tables[num][0] not in spec.omit_tables:
            body.append(tables[num][1])
    meta = f'<meta name="PubDate" content="{spec.pubdate}">' if spec.pubdate else ""
    page = (
        f'<!DOCTYPE html><html><head><meta charset="utf-8">{meta}<title>{html.escape(spec.title)}</title></head>'
        f'<body><table class="layout"><tr><td>{"".join(body)}</td></tr></table></body></html>'
    )
    return page.encode("utf-8")


# --------------------------------------------------------------------------- PDF


def build_pdf(spec: ReportSpec) -> bytes:
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    width, height = landscape(A4)
    c = canvas.Canvas(buffer, pagesize=(width, height))
    y = height - 40

    def line(items: list[tuple[float, str]], size: float = 8) -> None:
        nonlocal y
        if y < 40:
            c.showPage()
            y = height - 40
        c.setFont("STSong-Light", size)
        for x, text in items:
            c.drawString(x, y, text)
        y -= size + 6

    xs3 = [330 + i * 70 for i in range(7)]
    xs4 = [40 + i * 50 for i in range(15)]
    line([(40, spec.title)], 14)
    for num, (heading, text) in PART_TEXT.items():
        if num in spec.omit_parts:
            continue
        line([(40, heading)], 11)
        if text:
            line([(40, text)])
        if num == "二" and "表二" not in spec.omit_tables:
            line([(40, "信息内容"), (330, "本年制发件数"), (400, "本年废止件数"), (470, "现行有效件数")])
            line([(40, "规章"), (330, "0"), (400, "0"), (470, "0")])
            line([(40, "行政规范性文件"), (330, "2"), (400, "1"), (470, "15")])
            line([(40, "信息内容"), (330, "本年处理决定数量")])
            for label, value in (("行政许可", "120"), ("行政处罚", "35"), ("行政强制", "2")):
                line([(40, label), (330, value)])
            line([(40, "信息内容"), (330, "本年收费金额（单位：万元）")])
            line([(40, "行政事业性收费"), (330, "0")])
        if num == "三" and "表三" not in spec.omit_tables:
            line([(40, "申请人情况"), (400, "法人或其他组织")])
            line(list(zip(xs3, spec.columns, strict=True)))
            for row in T3_ROWS:
                label = {"三.七": "（七）总计"}.get(row.key, row.label.replace("三（", "（"))
                if row.key == "三.一":
                    line([(40, "三、本年度办理结果")])
                values = [str(spec.cell(row.key, col)) for col in spec.columns]
                line([(40, label), *zip(xs3, values, strict=True)])
        if num == "四" and "表四" not in spec.omit_tables:
            line([(40, "行政复议"), (290, "行政诉讼")])
            line([(290, "未经复议直接起诉"), (540, "复议后起诉")])
            line(list(zip(xs4, ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 3, strict=True)))
            line(list(zip(xs4, [str(v) for v in spec.t4], strict=True)))
    c.showPage()
    c.save()
    return buffer.getvalue()


# --------------------------------------------------------------------------- DOCX


def build_docx(spec: ReportSpec) -> bytes:
    """The same report as a Word file; merged cells made with python-docx ``merge``."""
    import docx

    document = docx.Document()
    document.add_paragraph(spec.title)
    tables = {"二": ("表二", t2_spec()), "三": ("表三", t3_spec(spec)), "四": ("表四", t4_spec(spec))}
    for num, (heading, text) in PART_TEXT.items():
        if num in spec.omit_parts:
            continue
        document.add_paragraph(heading)
        if text:
            document.add_paragraph(text)
        if num in tables and tables[num][0] not in spec.omit_tables:
            n_rows, n_cols, cells = place(tables[num][1])
            table = document.add_table(rows=n_rows, cols=n_cols)
            for r, col, rs, cs, text_ in cells:
                cell = table.cell(r, col)
                if rs > 1 or cs > 1:
                    cell = cell.merge(table.cell(r + rs - 1, col + cs - 1))
                cell.text = text_
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def build_pdf_word_layout(spec: ReportSpec) -> bytes:
    """表三 as Word prints it: group labels (三、（三）…) centred on their block, long labels
    wrapped over two lines with the numbers on the second; separate column for sub-items."""
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    width, height = landscape(A4)
    cv = canvas.Canvas(buffer, pagesize=(width, height))
    y = height - 40
    lines: list[list[tuple[float, str]]] = []

    def emit(items: list[tuple[float, str]]) -> None:
        lines.append(items)

    xs = [420 + i * 58 for i in range(7)]
    emit([(40, spec.title)])
    for num, (heading, text) in PART_TEXT.items():
        emit([(40, heading)])
        if text:
            emit([(40, text)])
        if num == "三":
            emit([(420, "申请人情况")])
            emit([(480, "法人或其他组织")])
            emit(list(zip(xs, spec.columns, strict=True)))
            blocks: list[tuple[str, list]] = []
            for row in T3_ROWS:
                sub = row.key.split(".")[1] if row.key.count(".") == 2 else f"row:{row.key}"
                if blocks and blocks[-1][0] == sub and row.key.count(".") == 2:
                    blocks[-1][1].append(row)
                else:
                    blocks.append((sub, [row]))
            group = {
                "三": "（三）不予公开",
                "四": "（四）无法提供",
                "五": "（五）不予处理",
                "六": "（六）其他处理",
            }
            start = len(lines)
            for sub, rows in blocks:
                first = len(lines)
                for row in rows:
                    label = row.label
                    if row.key.count(".") == 2:
                        label = row.label.split("）", 1)[1]
                    elif row.key.startswith("三."):
                        label = row.label[1:]
                    x = 200 if row.key.count(".") == 2 else 120
                    values = [
                        (xx, str(spec.cell(row.key, col))) for xx, col in zip(xs, spec.columns, strict=True)
                    ]
                    if len(label) > 12:  # wrapped: first half alone, numbers beside the second half
                        emit([(x, label[:12])])
                        emit([(x, label[12:]), *values])
                    else:
                        emit([(x, label), *values])
                if sub in group:
                    middle = first + (len(lines) - first) // 2
                    lines[middle] = [(120, group[sub]), *lines[middle]]
            end = len(lines) - 1  # the 三 block ends before "四、结转下年度"
            middle = start + 2 + (end - start - 2) // 2
            lines[middle] = [(40, "三、本年度办理结果"), *lines[middle]]
    for items in lines:
        if y < 40:
            cv.showPage()
            y = height - 40
        cv.setFont("STSong-Light", 7)
        for x, text in items:
            cv.drawString(x, y, text)
        y -= 12
    cv.showPage()
    cv.save()
    return buffer.getvalue()
