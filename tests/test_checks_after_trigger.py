"""after_trigger: 政策解读 within 3 working days (国庆, 春节 调休) and 主动公开 within 20 working days."""

from __future__ import annotations

import datetime as dt

import pytest
from checks_builders import BASE, item_view, judge, page_view, section_data, site_data

from checks.kinds.after_trigger import explains

D = dt.date
POLICY = "山亭区人民政府办公室关于印发《山亭区城乡低保实施办法》的通知"
POLICY_URL = f"{BASE}/zcwj/2026/policy1.html"


def scenario(policy_day: dt.date, interps: list[tuple[str, dt.date | None]], as_of: dt.date, *, linked: bool = False):
    policy = item_view(POLICY, policy_day, url=POLICY_URL)
    interp_items = []
    for title, day in interps:
        page = page_view(f"{BASE}/zcjd/{title}.html", links=frozenset({POLICY_URL})) if linked else None
        interp_items.append(item_view(title, day, page=page))
    site = site_data(section_data("zcwj", "generic.presence", [policy], category="policy"),
                     section_data("zcjd", "shanting.04", interp_items))
    return judge(site, as_of, "shanting.04")


@pytest.mark.parametrize(
    ("case", "policy_day", "interp_day", "as_of", "expected"),
    [
        # 国庆 2026: 10-01..10-07 off; working days after 09-30: 10-08, 10-09, 10-10 (Sat 调休), 10-12.
        ("3rd working day after 国庆 (调休 Saturday)", D(2026, 9, 30), D(2026, 10, 10), D(2026, 10, 20), "pass"),
        ("4th working day after 国庆", D(2026, 9, 30), D(2026, 10, 12), D(2026, 10, 20), "fail"),
        ("same day (三同步)", D(2026, 9, 30), D(2026, 9, 30), D(2026, 10, 20), "pass"),
        ("none yet, on the deadline itself", D(2026, 9, 30), None, D(2026, 10, 10), None),
        ("none, the day after the deadline", D(2026, 9, 30), None, D(2026, 10, 11), "fail"),
        # 春节 2026: 02-14 (Sat) and 02-28 (Sat) 调休; 02-15..02-23 off.
        ("春节: Friday policy, due 02-25", D(2026, 2, 13), D(2026, 2, 25), D(2026, 3, 10), "pass"),
        ("春节: one working day late", D(2026, 2, 13), D(2026, 2, 26), D(2026, 3, 10), "fail"),
        ("春节: 调休 Saturday is a working day", D(2026, 2, 13), D(2026, 2, 14), D(2026, 3, 10), "pass"),
    ],
)
def test_interpretation_deadline(case: str, policy_day: dt.date, interp_day: dt.date | None, as_of: dt.date,
                                 expected: str | None) -> None:
    interps = [("《山亭区城乡低保实施办法》政策解读", interp_day)] if interp_day else []
    results = scenario(policy_day, interps, as_of)
    statuses = [r.status for r in results]
    assert statuses == ([expected] if expected else []), (case, [r.message for r in results])


def test_late_interpretation_message_counts_working_days() -> None:
    [result] = scenario(D(2026, 9, 30), [("《山亭区城乡低保实施办法》政策解读", D(2026, 10, 12))], D(2026, 10, 20))
    assert result.due == D(2026, 10, 10)
    assert result.details["working_days"] == 4
    assert "第 4 个工作日" in result.message
    assert [e["url"] for e in result.evidence][0] == POLICY_URL


def test_unrelated_interpretation_does_not_count() -> None:
    [result] = scenario(D(2026, 9, 30), [("《山亭区殡葬管理办法》解读", D(2026, 10, 8))], D(2026, 10, 20))
    assert result.status == "fail" and "未发布解读" in result.message


def test_interpretation_matched_by_link() -> None:
    [result] = scenario(D(2026, 9, 30), [("图解：一图读懂新政", D(2026, 10, 9))], D(2026, 10, 20), linked=True)
    assert result.status == "pass"
    assert result.details["interpretations"][0]["matched_by"] == "link"


@pytest.mark.parametrize(
    ("interp", "how"),
    [
        ("《山亭区城乡低保实施办法》政策解读", "quote"),
        ("山亭区城乡低保实施办法解读", "title"),
        ("关于城乡低保实施办法的问答", "keywords"),
        ("2026年秋季学期开学通知解读", None),
    ],
)
def test_explains(interp: str, how: str | None) -> None:
    assert explains(item_view(interp, D(2026, 10, 9)), item_view(POLICY, D(2026, 9, 30)), 3) == how


def test_unreadable_policy_section_makes_interpretation_unknown() -> None:
    policy = item_view(POLICY, D(2026, 9, 30))
    site = site_data(section_data("zcwj", "generic.presence", [policy], category="policy", outcome="timeout"),
                     section_data("zcjd", "shanting.04", []))
    [result] = judge(site, D(2026, 10, 20), "shanting.04")
    assert result.status == "unknown" and "zcwj" in result.message


# --------------------------------------------------------------------------- 主动公开 20 个工作日 (ogi)

# 20 working days after 成文 2026-09-01: 中秋 09-25 off, Sunday 09-20 调休 on → due 09-29.
@pytest.mark.parametrize(
    ("published", "expected"),
    [(D(2026, 9, 28), "pass"), (D(2026, 9, 29), "pass"), (D(2026, 9, 30), "fail")],
)
def test_active_disclosure_within_20_working_days(published: dt.date, expected: str) -> None:
    item = item_view("关于做好秋季森林防火工作的通知", published, written=D(2026, 9, 1))
    site = site_data(section_data("tzgg", "generic.presence", [item], category="notice"))
    [result] = judge(site, D(2026, 10, 20), "ogi.active_disclosure")
    assert result.status == expected
    assert result.period == "2026-09"
    if expected == "fail":
        assert result.details["late"][0]["due"] == D(2026, 9, 29)


def test_active_disclosure_in_2027_is_uncertain() -> None:
    item = item_view("关于做好春季防火工作的通知", D(2027, 3, 1), written=D(2027, 2, 1))
    site = site_data(section_data("tzgg", "generic.presence", [item], category="notice"))
    [result] = judge(site, D(2027, 3, 10), "ogi.active_disclosure")
    assert result.uncertain and result.status == "pass"


def test_items_without_written_date_are_not_judged() -> None:
    site = site_data(section_data("tzgg", "generic.presence", [item_view("通知", D(2026, 9, 30))], category="notice"))
    assert judge(site, D(2026, 10, 20), "ogi.active_disclosure") == []
