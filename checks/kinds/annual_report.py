"""annual_report: the content and arithmetic of each listed 政府信息公开工作年度报告 (rules.md §D7, §E).

Runs on sections whose own indicator is one of ``for_indicators`` (the 年报 columns); the
pack binds it with ``applies_to = "sections"``. For every report year from as_of's previous
year back ``years`` years it finds the listed report (title names the year and 年度报告/年报),
reads the stored page or document attachment from the WARC evidence and verifies the six
parts, 表二至表四, the sums (R1–R4) and the carry-over from the previous year's report.

One outcome per report year (period = the year): ``fail`` naming the first problems and
their count, ``pass`` when everything adds up, ``unknown`` with the reason when the report
cannot be read, nothing when no report for the year is listed (the cadence rule reports
absence and lateness, so the deadline is left out unless ``check_deadline`` is set).
"""

from __future__ import annotations

from typing import Any

from checks.annual_report.section import find_item, verify_section
from checks.annual_report.verify import due_date
from checks.kinds import register
from checks.kinds.common import get, item_evidence, params_for
from checks.model import Context, ItemView, Outcome, SectionData
from checks.packs import Indicator

KIND = "annual_report"
SHOWN = 3  # problems named in the message; the rest are counted
_DOC_EXTS = ("pdf", "docx", "doc", "wps", "ofd")
_ORDER = {"fail": 0, "unknown": 1, "warn": 2}


@register(
    KIND,
    params={
        "for_indicators": ((list,), []),  # sections bound to these indicators hold the reports
        "government_indicators": ((list,), []),  # ... of these: 本级政府 reports (due 3月31日)
        "years": ((int,), 2),  # report years judged: as_of's previous year and the ones before it
        "check_deadline": ((bool,), False),  # also judge the publication date (normally the cadence rule's job)
    },
)
def annual_report(ind: Indicator, section: SectionData, ctx: Context) -> list[Outcome]:
    """Each listed 年报 has the six parts and tables of the format and its numbers add up."""
    params = params_for(KIND, ind.params, section)
    own = section.config.indicator or ""
    if own not in get(KIND, params, "for_indicators"):
        return []
    government = own in get(KIND, params, "government_indicators")
    out = []
    for year in range(ctx.as_of.year - 1, ctx.as_of.year - 1 - max(get(KIND, params, "years"), 0), -1):
        item = find_item(section, year)
        if item is None:
            continue  # no report for the year: the cadence rule says whether that is late
        out.append(_judge(section, item, year, government, ctx, get(KIND, params, "check_deadline")))
    return out


def _judge(section: SectionData, item: ItemView, year: int, government: bool, ctx: Context,
           check_date: bool) -> Outcome:
    details: dict[str, Any] = {"title": item.title, "url": item.url, "year": year, "government": government}
    if ctx.config is None:
        return Outcome("unknown", f"无法核验《{item.title}》：未配置证据目录，读不到保存的年报", str(year),
                       due_date(year, government), item_evidence([item]), details=details)
    result = verify_section(section, year, evidence_dir=ctx.config.evidence_dir, government=government,
                            check_date=check_date)
    problems = list(result.details.get("problems", []))
    details.update(result.details)
    evidence = result.evidence or item_evidence([item])
    if result.status == "pass":
        message = f"《{item.title}》六个部分、表二至表四及勾稽关系核验通过"
    elif any(p.get("check") == "unreadable" for p in problems):
        message = f"无法核验《{item.title}》：{_why_unreadable(item)}"
    else:
        message = _problems_message(item.title, problems)
    return Outcome(result.status, message, str(year), result.due, evidence, details=details)


def _problems_message(title: str, problems: list[dict[str, Any]]) -> str:
    """The first problems (most serious first) by table, row, column and numbers, and their count."""
    ranked = sorted(problems, key=lambda p: _ORDER.get(p.get("status", "fail"), 3))
    shown = "；".join(p["message"] for p in ranked[:SHOWN])
    more = "等" if len(ranked) > SHOWN else ""
    return f"《{title}》核验发现 {len(ranked)} 处问题：{shown}{more}"


def _why_unreadable(item: ItemView) -> str:
    """Why no report could be read from the stored page or its attachments."""
    page = item.page
    if page is None:
        return "文章页面未抓取或未保存"
    if page.outcome != "ok":
        return f"文章页面抓取结果为 {page.outcome}" + (f"（{page.reason}）" if page.reason else "")
    if page.evidence.get("warc_file") is None:
        return "文章页面的原始内容未保存（无 WARC 记录）"
    files = [a for a in page.attachments if (a.ext or "").lower() in _DOC_EXTS]
    failed = [a for a in files if a.outcome != "ok" or a.evidence.get("warc_file") is None]
    if failed:
        a = failed[0]
        why = a.outcome if a.outcome != "ok" else "原始内容未保存"
        return f"附件《{a.name or a.url}》未能读取（{why}" + (f"：{a.reason}" if a.reason else "") + "）"
    where = "页面及其附件" if files else "页面"
    return f"{where}中未能解析出年报的六个部分和表格"
