"""cadence: weekly / monthly / quarterly / half-yearly / yearly deadlines at their edges."""

from __future__ import annotations

import datetime as dt

import pytest
from checks_builders import by_period, item_view, judge, section_data, site_data

D = dt.date


def run(indicator: str, items: list, as_of: dt.date, **kw) -> dict:
    return by_period(judge(site_data(section_data("sec", indicator, items, **kw)), as_of, indicator))


# --------------------------------------------------------------------------- monthly (城乡低保, shanting.19)

SEPT = ("2026年9月城乡低保发放情况", D(2026, 10, 15))


@pytest.mark.parametrize(
    ("case", "items", "as_of", "period", "expected"),
    [
        ("last day before the deadline", [SEPT], D(2026, 11, 29), "2026-10", None),
        ("the deadline itself", [SEPT], D(2026, 11, 30), "2026-10", None),
        ("the day after the deadline", [SEPT], D(2026, 12, 1), "2026-10", "fail"),
        ("published on the deadline", [SEPT, ("2026年10月城乡低保发放情况", D(2026, 11, 30))], D(2026, 12, 1),
         "2026-10", "pass"),
        ("published a day late", [SEPT, ("2026年10月份城乡低保发放情况", D(2026, 12, 1))], D(2026, 12, 2),
         "2026-10", "fail"),
        ("published early, before it is due", [("2026年11月城乡低保发放情况", D(2026, 11, 20))], D(2026, 11, 22),
         "2026-11", "pass"),
        ("a month with no list", [SEPT, ("2026年10月城乡低保发放情况", D(2026, 11, 5))], D(2026, 11, 22),
         "2026-08", "fail"),
        ("a list for the wrong month", [("2026年9月城乡低保发放情况（更正）", D(2026, 11, 20))], D(2026, 12, 1),
         "2026-10", "fail"),
        ("the wrong-month list still counts for its own month", [("2026年9月城乡低保发放情况", D(2026, 10, 30))],
         D(2026, 12, 1), "2026-09", "pass"),
        ("untitled list: publication month minus one", [("城乡低保资金发放名单", D(2026, 11, 5))], D(2026, 12, 1),
         "2026-10", "pass"),
        ("other indicators' lists do not count", [("2026年10月特困人员供养发放情况", D(2026, 11, 5))],
         D(2026, 12, 1), "2026-10", "fail"),
        ("month without a year in the title", [("10月份城乡低保发放情况", D(2026, 11, 5))], D(2026, 12, 1),
         "2026-10", "pass"),
        ("month without a year, across the new year", [("12月份城乡低保发放情况", D(2027, 1, 6))], D(2027, 2, 1),
         "2026-12", "pass"),
        ("a day-of-month date is no period: publication month minus one", [("城乡低保工作会议11月5日召开", D(2026, 11, 6))], D(2026, 12, 1),
         "2026-10", "pass"),
        ("cumulative 1-10月 report names October", [("2026年1-10月城乡低保资金支出情况", D(2026, 11, 12))],
         D(2026, 12, 1), "2026-10", "pass"),
    ],
)
def test_monthly(case: str, items: list, as_of: dt.date, period: str, expected: str | None) -> None:
    got = run("shanting.19", [item_view(t, p) for t, p in items], as_of)
    assert got.get(period) == expected, (case, got)


def test_monthly_message_names_the_missing_month_and_the_wrong_one() -> None:
    results = judge(site_data(section_data("sec", "shanting.19", [item_view("2026年9月城乡低保发放情况", D(2026, 11, 20))])),
                    D(2026, 12, 1), "shanting.19")
    fail = next(r for r in results if r.period == "2026-10")
    assert fail.due == D(2026, 11, 30)
    assert "2026-10" in fail.message and "2026-09" in fail.message and "不能替代" in fail.message


def test_section_params_override_pack_keywords() -> None:
    items = [item_view("10月份发放情况", D(2026, 11, 5))]  # a dedicated section: titles omit "低保"
    assert run("shanting.19", items, D(2026, 12, 1)).get("2026-10") == "fail"
    assert run("shanting.19", items, D(2026, 12, 1), params={"keywords": []}).get("2026-10") == "pass"


# --------------------------------------------------------------------------- weekly (工作动态)

NOV2 = ("工作动态：区政府召开常务会议", D(2026, 11, 2))  # Monday of 2026-W45


@pytest.mark.parametrize(
    ("case", "indicator", "items", "as_of", "period", "expected"),
    [
        ("week not over on its Saturday", "shanting.03", [NOV2], D(2026, 11, 14), "2026-W46", None),
        ("week not over on its Sunday (the deadline)", "shanting.03", [NOV2], D(2026, 11, 15), "2026-W46", None),
        ("the day after the week", "shanting.03", [NOV2], D(2026, 11, 16), "2026-W46", "fail"),
        ("a week with an item", "shanting.03", [NOV2], D(2026, 11, 16), "2026-W45", "pass"),
        ("current week with an item already passes", "shanting.03", [("动态", D(2026, 11, 17))], D(2026, 11, 18),
         "2026-W47", "pass"),
        ("春节 week, ISO weeks: required", "generic.weekly", [], D(2026, 2, 24), "2026-W08", "fail"),
        ("春节 week, 工作周: exempt (no working day)", "generic.work_weekly", [], D(2026, 2, 24), "2026-W08", "pass"),
        ("国庆 week 2026-W40 still has working days", "generic.work_weekly", [], D(2026, 10, 12), "2026-W40",
         "fail"),
        ("a 调休 Saturday item counts for its week", "generic.work_weekly", [("动态", D(2026, 10, 10))],
         D(2026, 10, 12), "2026-W41", "pass"),
    ],
)
def test_weekly(case: str, indicator: str, items: list, as_of: dt.date, period: str, expected: str | None) -> None:
    got = run(indicator, [item_view(t, p) for t, p in items], as_of)
    assert got.get(period) == expected, (case, got)


def test_undated_items_do_not_count_as_updates() -> None:
    results = judge(site_data(section_data("sec", "shanting.03", [item_view("无日期动态", None)])),
                    D(2026, 11, 16), "shanting.03")
    week = next(r for r in results if r.period == "2026-W46")
    assert week.status == "fail" and "无发布日期" in week.message


def test_work_weeks_in_2027_are_uncertain() -> None:
    results = judge(site_data(section_data("sec", "generic.work_weekly", [item_view("动态", D(2027, 3, 2))])),
                    D(2027, 3, 10), "generic.work_weekly")
    assert results and all(r.uncertain for r in results)
    assert by_period(results)["2027-W09"] == "pass"


# --------------------------------------------------------------------------- quarterly / half-yearly


@pytest.mark.parametrize(
    ("indicator", "items", "as_of", "period", "expected"),
    [
        ("generic.quarterly", [("2026年第三季度财政预算执行情况", D(2026, 10, 20))], D(2026, 11, 1), "2026-Q3", "pass"),
        ("generic.quarterly", [("2026年第三季度财政预算执行情况", D(2026, 10, 20))], D(2026, 11, 1), "2026-Q2", "fail"),
        ("generic.quarterly", [("2026年二季度情况", D(2026, 7, 31))], D(2026, 8, 1), "2026-Q2", "pass"),
        ("generic.quarterly", [], D(2026, 10, 31), "2026-Q3", None),  # due 10-31: not yet
        ("generic.half_yearly", [("2026年上半年工作总结", D(2026, 7, 20))], D(2026, 8, 1), "2026-H1", "pass"),
        ("generic.half_yearly", [], D(2026, 8, 1), "2026-H1", "fail"),
    ],
)
def test_quarterly_and_half_yearly(indicator: str, items: list, as_of: dt.date, period: str,
                                   expected: str | None) -> None:
    assert run(indicator, [item_view(t, p) for t, p in items], as_of).get(period) == expected


# --------------------------------------------------------------------------- yearly with deadlines

REPORT_2025 = "山亭区民政局2025年政府信息公开工作年度报告"


@pytest.mark.parametrize(
    ("indicator", "items", "as_of", "period", "expected"),
    [
        ("ogi.annual_report_department", [], D(2026, 1, 30), "2025", None),
        ("ogi.annual_report_department", [], D(2026, 1, 31), "2025", None),
        ("ogi.annual_report_department", [], D(2026, 2, 1), "2025", "fail"),
        ("ogi.annual_report_department", [(REPORT_2025, D(2026, 1, 31))], D(2026, 2, 1), "2025", "pass"),
        ("ogi.annual_report_department", [(REPORT_2025, D(2026, 2, 3))], D(2026, 2, 5), "2025", "fail"),
        ("ogi.annual_report_department", [("2024年政府信息公开工作年度报告", D(2026, 1, 20))], D(2026, 2, 1),
         "2025", "fail"),
        ("ogi.annual_report_government", [], D(2026, 3, 31), "2025", None),
        ("ogi.annual_report_government", [], D(2026, 4, 1), "2025", "fail"),
        ("ogi.annual_report_government", [("2025年政府信息公开工作年度报告", D(2026, 3, 30))], D(2026, 4, 1),
         "2025", "pass"),
        ("shanting.07", [("2026年区民政局权责清单", D(2026, 3, 15))], D(2026, 4, 1), "2026", "pass"),
        ("shanting.07", [], D(2026, 3, 31), "2026", None),
        ("shanting.07", [], D(2026, 4, 1), "2026", "fail"),
        ("shanting.06", [("2025年法治政府建设情况报告", D(2026, 2, 28))], D(2026, 3, 1), "2025", "pass"),
        ("shanting.34", [("2025年度区级决算报告", D(2026, 10, 31))], D(2026, 11, 1), "2025", "pass"),
    ],
)
def test_yearly(indicator: str, items: list, as_of: dt.date, period: str, expected: str | None) -> None:
    assert run(indicator, [item_view(t, p) for t, p in items], as_of).get(period) == expected


def test_unreadable_section_is_unknown_never_pass_or_fail() -> None:
    items = [item_view(*SEPT)]
    results = judge(site_data(section_data("sec", "shanting.19", items, outcome="blocked", reason="瑞数 HTTP 412")),
                    D(2026, 12, 1), "shanting.19")
    assert results and {r.status for r in results} == {"unknown"}
    assert all("瑞数 HTTP 412" in r.message for r in results)
    assert {r.period for r in results} >= {"2026-09", "2026-10"}  # same slots a readable crawl would fill


def test_never_crawled_section_is_unknown() -> None:
    results = judge(site_data(section_data("sec", "shanting.19", [], outcome="")), D(2026, 12, 1), "shanting.19")
    assert results and {r.status for r in results} == {"unknown"}
    assert "尚无抓取记录" in results[0].message
