"""Annual-report verification: HTML (merged cells) and PDF (text layout) reports built here.

Each broken variant must yield exactly the expected problems, named by table/row/column.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from audit_reportgen import ReportSpec, build_docx, build_html, build_pdf, build_pdf_word_layout, t3_values

from checks.annual_report import parse_bytes, verify_document
from checks.annual_report.result import findings, outcome

FILES = Path(__file__).parent / "files" / "audit"

_CACHE: dict[str, bytes] = {}


def _cached(builder):
    """Build each distinct report once per session (DOCX and PDF building dominate the runtime)."""

    def build(spec: ReportSpec) -> bytes:
        key = f"{builder.__name__}:{spec!r}"
        if key not in _CACHE:
            _CACHE[key] = builder(spec)
        return _CACHE[key]

    return build


BUILDERS = {"html": build_html, "pdf": _cached(build_pdf), "docx": _cached(build_docx)}


def problems(data: bytes, **kwargs) -> set[tuple]:
    result = verify_document(data, **kwargs)
    return {(p.check, p.status, p.table, p.row, p.column) for p in result.problems}


def wrong_sum_spec() -> ReportSpec:
    values = t3_values()
    values["一"][-1] += 1  # 一、本年新收 总计 printed one too high
    return ReportSpec(t3=values)


@pytest.fixture(params=["html", "pdf"])
def build(request):
    return BUILDERS[request.param]


def test_correct_report_parses_every_row_and_passes(build) -> None:
    spec = ReportSpec()
    data = build(spec)
    report = parse_bytes(data)
    assert report.year == 2025
    assert report.part_order == ["一", "二", "三", "四", "五", "六"]
    assert len(report.t3.rows) == 25
    assert report.t3.rows["四"]["总计"] == spec.cell("四", "总计")
    assert report.t3.rows["三.六.3"]["自然人"] == 0
    assert report.t4.values["行政复议·总计"] == 2
    assert set(report.t2.rows) == {
        "规章",
        "行政规范性文件",
        "行政许可",
        "行政处罚",
        "行政强制",
        "行政事业性收费",
    }
    assert problems(data, published=dt.date(2026, 1, 20)) == set()


def test_wrong_sum_names_row_column_and_both_numbers(build) -> None:
    spec = wrong_sum_spec()
    result = verify_document(build(spec), published=dt.date(2026, 1, 20))
    got = {(p.check, p.table, p.row, p.column, p.expected, p.actual) for p in result.problems}
    total_one = spec.cell("一", "总计")
    assert got == {
        ("R3", "表三", "一、本年新收政府信息公开申请数量", "总计", total_one - 1, total_one),
        (
            "R1",
            "表三",
            None,
            "总计",
            total_one + spec.cell("二", "总计"),
            total_one - 1 + spec.cell("二", "总计"),
        ),
    }
    r3 = next(p for p in result.problems if p.check == "R3")
    assert (
        r3.message
        == f"表三 “一、本年新收政府信息公开申请数量”行 “总计”列：填报 {total_one}，各申请人列之和为 {total_one - 1}"
    )


def test_wrong_review_and_litigation_total(build) -> None:
    """表四: each group's 总计 must equal 维持 + 纠正 + 其他 + 尚未审结 (E6)."""
    t4 = list(ReportSpec().t4)
    t4[9] += 2  # 行政诉讼（未经复议直接起诉）·总计 printed as 3; its parts sum to 1
    result = verify_document(build(ReportSpec(t4=t4)), published=dt.date(2026, 1, 20))
    got = [(p.check, p.status, p.table, p.column, p.expected, p.actual) for p in result.problems]
    assert got == [("t4_sum", "fail", "表四", "行政诉讼（未经复议直接起诉）·总计", 1, 3)]
    assert "填报 3" in result.problems[0].message and "之和为 1" in result.problems[0].message


def test_missing_part(build) -> None:
    data = build(ReportSpec(omit_parts=("五",)))
    assert problems(data, published=dt.date(2026, 1, 20)) == {
        ("part_missing", "fail", None, "五、存在的主要问题及改进情况", None)
    }


def test_missing_table(build) -> None:
    data = build(ReportSpec(omit_tables=("表四",)))
    assert problems(data, published=dt.date(2026, 1, 20)) == {("table_missing", "fail", "表四", None, None)}


def test_swapped_columns_are_reported_and_numbers_still_read_by_header(build) -> None:
    columns = ("自然人", "科研机构", "商业企业", "社会公益组织", "法律服务机构", "其他", "总计")
    data = build(ReportSpec(columns=columns))
    result = verify_document(data, published=dt.date(2026, 1, 20))
    assert [(p.check, p.status, p.table) for p in result.problems] == [("columns", "warn", "表三")]
    assert "第2列应为“商业企业”，实际为“科研机构”" in result.problems[0].message
    report = parse_bytes(data)
    assert report.t3.rows["一"]["商业企业"] == ReportSpec().cell("一", "商业企业")


def test_carry_over_against_last_years_report() -> None:
    last = t3_values()
    this = t3_values({**{k: v[:6] for k, v in t3_values().items()}, "二": [3, 1, 0, 0, 0, 0]})
    # last year's 四 is [2, 1, 0, 0, 0, 0, 3]: 自然人 differs (3 vs 2), 总计 differs (4 vs 3)
    data = build_html(ReportSpec(t3=this))
    prev = build_html(ReportSpec(year=2024, title="区民政局2024年政府信息公开工作年度报告", t3=last))
    result = verify_document(data, published=dt.date(2026, 1, 20), previous=prev)
    carry = {(p.column, p.expected, p.actual) for p in result.problems if p.check == "carry"}
    assert carry == {("自然人", 2, 3), ("总计", 3, 4)}
    assert "2024年年报" in next(p.message for p in result.problems if p.check == "carry")


def test_deadline_department_vs_government() -> None:
    data = build_html(ReportSpec(pubdate="2026-02-05 09:00"))
    late = verify_document(data)
    assert [(p.check, p.status) for p in late.problems] == [("deadline", "fail")]
    assert "2026年01月31日" in late.problems[0].message
    assert verify_document(data, government=True).problems == []
    undated = verify_document(build_pdf(ReportSpec()))
    assert [(p.check, p.status) for p in undated.problems] == [("deadline", "unknown")]


def test_unreadable_is_unknown_not_fail() -> None:
    result = verify_document(b"%PDF-1.4 garbage", year=2025)
    assert result.status == "unknown"
    assert result.problems[0].message.startswith("年报无法读取")


def test_findings_shape_and_outcome() -> None:
    spec = wrong_sum_spec()
    result = verify_document(build_html(spec), published=dt.date(2026, 1, 20))
    out = findings(result, url="http://127.0.0.1/nb.html", site="mz", section="nb")
    assert {f.status for f in out} == {"fail"}
    first = out[0]
    assert first.rule == "ogi.annual_report_department" and first.kind == "annual_report"
    assert first.period == "2025" and first.due == dt.date(2026, 1, 31)
    assert first.evidence[0]["url"] == "http://127.0.0.1/nb.html"
    assert first.details["table"] == "表三"
    ok = findings(verify_document(build_html(ReportSpec())), url="u")
    assert [f.status for f in ok] == ["pass"]
    folded = outcome(result)
    assert folded.status == "fail" and "另有 1 处问题" in folded.message
    assert len(folded.details["problems"]) == 2
    assert dataclasses.is_dataclass(first)


def test_docx_report_with_merged_cells() -> None:
    """Word reports: merged cells (python-docx) read like HTML rowspan/colspan."""
    assert problems(build_docx(ReportSpec()), published=dt.date(2026, 1, 20)) == set()
    spec = wrong_sum_spec()
    got = {
        (p.check, p.row, p.column)
        for p in verify_document(build_docx(spec), published=dt.date(2026, 1, 20)).problems
    }
    assert got == {("R3", "一、本年新收政府信息公开申请数量", "总计"), ("R1", None, "总计")}


def test_gbk_report_with_th_nbsp_fullwidth_digits_and_a_blank_cell() -> None:
    """A hand-shaped page (tests/files/audit): GBK, <th>, <p> in cells, ０-９, a ragged row, one blank cell."""
    data = (FILES / "report_gbk_fancy.html").read_bytes()
    report = parse_bytes(data)
    assert report.published == dt.date(2026, 1, 28) and report.year == 2025
    assert report.t3.rows["一"]["商业企业"] == ReportSpec().cell("一", "商业企业")
    result = verify_document(data)
    assert [(p.check, p.table, p.row, p.column) for p in result.problems] == [
        ("R4", "表三", "三（一）予以公开", "科研机构")
    ]
    assert "应为非负整数，实际为“空白”" in result.problems[0].message


def test_pdf_word_layout_wrapped_labels_and_centred_group_labels() -> None:
    """PDF text as Word prints tables: labels wrapped over two lines, group labels on a middle row."""
    data = build_pdf_word_layout(ReportSpec())
    report = parse_bytes(data)
    assert len(report.t3.rows) == 25 and not report.t3.width_errors
    assert report.t3.rows["三.三.2"]["总计"] == 0 and report.t3.rows["三.四.1"]["总计"] == 3
    only_t3 = {("table_missing", "fail", "表二", None, None), ("table_missing", "fail", "表四", None, None)}
    assert problems(data, published=dt.date(2026, 1, 20)) == only_t3  # this builder draws 表三 only
    result = verify_document(build_pdf_word_layout(wrong_sum_spec()), published=dt.date(2026, 1, 20))
    got = {(p.check, p.column) for p in result.problems if p.table == "表三"}
    assert got == {("R3", "总计"), ("R1", "总计")}
