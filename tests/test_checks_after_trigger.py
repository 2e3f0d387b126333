"""after_trigger: 政策解读 within 3 working days (国庆, 春节 调休) and 主动公开 within 20 working days."""

from __future__ import annotations

import datetime as dt

import pytest
from checks_builders import BASE, item_view, judge, page_view, section_data, site_data

from checks.kinds.after_trigger import explains
from checks.kinds.after_trigger_match import common_terms, terms

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


# --------------------------------------------------------------------------- matching: topical overlap only

# Policies of one district, all in the common 关于印发…的通知 / 实施办法 / 实施意见 wrappers.
DIBAO = "山亭区人民政府办公室关于印发《山亭区城乡低保实施办法》的通知"
BINZANG = "山亭区人民政府办公室关于印发山亭区殡葬管理实施办法的通知"
WEIFANG = "山亭区人民政府关于进一步加强农村危房改造工作的实施意见"
FANGHUO = "关于做好山亭区秋季森林防火工作的通知"


@pytest.mark.parametrize(
    ("case", "interp", "expected"),
    [
        ("quoted policy: only that policy", "《山亭区城乡低保实施办法》政策解读", {DIBAO: "quote"}),
        ("same wrapper, core named: only that policy", "关于印发山亭区殡葬管理实施办法的政策解读", {BINZANG: "title"}),
        ("same wrapper, topic named: only that policy", "关于山亭区殡葬管理若干问题的问答", {BINZANG: "keywords"}),
        ("topic named without quotes", "图解：山亭区城乡低保怎么申请", {DIBAO: "keywords"}),
        ("topic named in a 问答", "山亭区农村危房改造政策问答", {WEIFANG: "keywords"}),
        ("district and issuer only", "山亭区人民政府办公室关于印发《山亭区政务公开工作要点》的解读", {}),
        ("another subject of the same district", "图解：山亭区2026年秋季学期义务教育招生实施办法", {}),
        ("form words only", "关于进一步加强和做好实施办法有关工作的政策解读", {}),
    ],
)
def test_interpretation_is_tied_only_to_the_policy_it_is_about(case: str, interp: str,
                                                               expected: dict[str, str]) -> None:
    days = {DIBAO: D(2026, 9, 21), BINZANG: D(2026, 9, 22), WEIFANG: D(2026, 9, 23), FANGHUO: D(2026, 9, 24)}
    policies = [item_view(t, day, url=f"{BASE}/zcwj/{n}.html") for n, (t, day) in enumerate(days.items())]
    site = site_data(section_data("zcwj", "generic.presence", policies, category="policy"),
                     section_data("zcjd", "shanting.04", [item_view(interp, D(2026, 9, 25))]))
    results = judge(site, D(2026, 10, 20), "shanting.04")
    got = {r.details["policy"]["title"]: r.details["interpretations"][0]["matched_by"]
           for r in results if r.details["interpretations"]}
    assert got == expected, case
    # a policy without its own 解读 is a finding, never passed on another policy's interpretation
    assert {r.details["policy"]["title"]: r.status for r in results} == {
        t: ("pass" if t in expected and days[t] >= D(2026, 9, 22) else "fail") for t in days}, case


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("关于印发城乡低保实施办法的通知", {"城乡", "乡低", "低保"}),
        ("关于印发《秸秆禁烧工作方案》的通知", {"秸秆", "秆禁", "禁烧"}),
        ("山亭区人民政府办公室关于进一步加强养老服务工作的实施意见", {"山亭", "亭区", "养老", "老服", "服务"}),
        ("《2026年高标准农田建设实施细则》政策解读", {"高标", "标准", "准农", "农田", "田建", "建设"}),
        ("关于做好有关工作的通知", set()),
    ],
)
def test_terms_stay_inside_what_is_left_between_boilerplate_words(title: str, expected: set[str]) -> None:
    assert terms(title) == expected


def test_common_terms_are_those_of_more_than_a_third_of_the_policies_and_of_the_site_name() -> None:
    titles = ["山亭区城乡低保实施办法", "山亭区殡葬管理实施细则", "秸秆禁烧工作方案", "养老服务设施建设方案",
              "城乡低保资金管理规定", "公共租赁住房管理实施细则"]
    # 山亭区 in 2 of 6 titles (not more than a third), 管理 in 3 of 6, 城乡低保 in 2 of 6
    assert common_terms(titles) == {"管理"}
    assert common_terms(titles, ["山亭区民政局"]) == {"管理", "山亭", "亭区", "区民", "民政", "政局"}
    assert common_terms(titles[:1]) == frozenset()  # one policy: nothing is common yet
    assert common_terms(titles[:2]) == {"山亭", "亭区"}
    # the same pair tied or not by what the pool makes common
    interp, policy = item_view("城乡低保政策问答", D(2026, 9, 25)), item_view(titles[0], D(2026, 9, 21))
    assert explains(interp, policy, 3) == "keywords"
    assert explains(interp, policy, 3, common_terms(titles + ["城乡低保审批规定"])) is None


def test_yitu_dudong_counts_as_an_interpretation() -> None:
    """一图读懂 is a common 解读 form without the word 解读; it must not be judged as a policy of its own."""
    results = scenario(D(2026, 9, 30), [("一图读懂《山亭区城乡低保实施办法》", D(2026, 10, 9))], D(2026, 10, 20))
    assert [r.status for r in results] == ["pass"], [r.message for r in results]
