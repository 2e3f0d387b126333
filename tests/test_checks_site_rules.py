"""freshness windows and veto counts, home page, links, availability, metadata and presence."""

from __future__ import annotations

import datetime as dt

import pytest
from checks_builders import BASE, item_view, judge, page_view, section_data, site_data

from checks.model import LinkRefView, LinkView, ProbeView

D = dt.date
AS_OF = D(2026, 11, 22)


def _days_ago(n: int) -> dt.date:
    return AS_OF - dt.timedelta(days=n)


@pytest.mark.parametrize(
    ("category", "rule", "age", "expected"),
    [
        ("dynamic", "national.dynamic", 14, "pass"),
        ("dynamic", "national.dynamic", 15, "fail"),
        ("notice", "national.notice", 183, "pass"),
        ("notice", "national.notice", 184, "fail"),
        ("policy", "national.notice", 184, "fail"),
        ("personnel", "national.personnel", 365, "pass"),
        ("plan", "national.personnel", 366, "fail"),
    ],
)
def test_freshness_windows(category: str, rule: str, age: int, expected: str) -> None:
    sec = section_data("s", "generic.presence", [item_view("信息", _days_ago(age))], category=category)
    [result] = judge(site_data(sec), AS_OF, rule)
    assert result.status == expected and result.details["age_days"] == age


def test_freshness_applies_only_to_matching_categories() -> None:
    sec = section_data("s", "generic.presence", [item_view("信息", _days_ago(400))], category="static")
    results = judge(site_data(sec), AS_OF)
    assert not [r for r in results if r.rule in ("national.dynamic", "national.notice", "national.personnel")]


def test_blank_section_fails_freshness_and_presence() -> None:
    sec = section_data("s", "shanting.01", [], category="notice")
    results = {r.rule: r for r in judge(site_data(sec), AS_OF)}
    assert results["national.notice"].status == "fail" and "空白栏目" in results["national.notice"].message
    assert results["shanting.01"].status == "fail"


def test_presence_passes_with_content() -> None:
    sec = section_data("s", "shanting.02", [item_view("山亭区民政局2026年工作计划", D(2026, 3, 1))])
    [result] = judge(site_data(sec), AS_OF, "shanting.02")
    assert result.status == "pass"


def _veto_site(stale: int, blank: int, fresh: int = 1, unreadable: int = 0):
    sections = []
    for n in range(stale):
        sections.append(section_data(f"stale{n}", "generic.presence", [item_view("旧", _days_ago(30))],
                                     category="dynamic"))
    for n in range(blank):
        sections.append(section_data(f"blank{n}", "generic.presence", [], category="notice"))
    for n in range(fresh):
        sections.append(section_data(f"fresh{n}", "generic.presence", [item_view("新", _days_ago(1))],
                                     category="dynamic"))
    for n in range(unreadable):
        sections.append(section_data(f"bad{n}", "generic.presence", [], category="notice", outcome="blocked"))
    return site_data(*sections)


@pytest.mark.parametrize(
    ("stale", "blank", "unreadable", "expected"),
    [
        (4, 0, 0, "pass"),
        (5, 0, 0, "fail"),  # V4(a): ≥5 stale 动态/通知/政策
        (0, 4, 0, "pass"),
        (0, 5, 0, "fail"),  # V4(c): ≥5 blank
        (3, 4, 0, "pass"),  # stale 3 (<5), blank 4 (<5), long-stale 7 (<10)
        (4, 0, 1, "unknown"),  # one unreadable section could be the 5th
        (1, 0, 1, "pass"),  # even if unreadable, no line can be reached
    ],
)
def test_veto_counts(stale: int, blank: int, unreadable: int, expected: str) -> None:
    [result] = judge(_veto_site(stale, blank, unreadable=unreadable), AS_OF, "national.veto_columns")
    assert result.status == expected, result.message
    assert result.severity == "veto"


def test_veto_long_stale_line_is_a_parameter() -> None:
    from dataclasses import replace

    from checks_builders import REGISTRY

    from checks.packs import Registry

    registry = Registry(REGISTRY.packs, dict(REGISTRY.indicators))
    ind = registry.indicators["national.veto_columns"]
    registry.indicators[ind.id] = replace(ind, params={**ind.params, "long_stale_threshold": 7})
    [result] = judge(_veto_site(3, 4), AS_OF, "national.veto_columns", registry=registry)
    assert result.status == "fail" and result.details["counts"]["long_stale"] == 7


@pytest.mark.parametrize(("age", "expected"), [(14, "pass"), (15, "fail")])
def test_home_page_not_updated(age: int, expected: str) -> None:
    site = site_data(section_data("a", "generic.presence", [item_view("要闻", _days_ago(age))]),
                     section_data("b", "generic.presence", [item_view("无日期", None)]))
    [result] = judge(site, AS_OF, "national.home_update")
    assert result.status == expected


def test_home_page_unknown_when_a_section_is_unreadable_and_nothing_recent() -> None:
    site = site_data(section_data("a", "generic.presence", [item_view("要闻", _days_ago(30))]),
                     section_data("b", "generic.presence", [], outcome="timeout"))
    [result] = judge(site, AS_OF, "national.home_update")
    assert result.status == "unknown"


# --------------------------------------------------------------------------- links


def _link(url: str, verdict: str, source: str, section: str | None, home: bool = False) -> LinkView:
    return LinkView(url, verdict, "http_404" if verdict == "broken" else None, 404, dt.datetime(2026, 11, 21),
                    (LinkRefView(source, section, home, "a"),))


def test_broken_links_per_section_and_department_home_weighs_more() -> None:
    dibao = section_data("dibao", "shanting.19", [], department="mzj")
    gzdt = section_data("gzdt", "shanting.03", [])
    links = [
        _link(f"{BASE}/gone1.html", "broken", f"{BASE}/", None, home=True),
        _link(f"{BASE}/gone2.html", "broken", f"{BASE}/dibao/1.html", "dibao"),
        _link(f"{BASE}/gone3.html", "broken", f"{BASE}/dibao/2.html", "dibao"),
        _link(f"{BASE}/ok.html", "ok", f"{BASE}/gzdt/1.html", "gzdt"),
        _link("http://slow.example.gov.cn/", "blocked", f"{BASE}/gzdt/2.html", "gzdt"),
    ]
    results = {r.section: r for r in judge(site_data(dibao, gzdt, links=links), AS_OF, "national.links")}
    assert results[None].status == "fail" and results[None].details["points"] == 1.0
    assert results[None].department == "office" and "首页 1 处" in results[None].message
    assert results["dibao"].status == "fail" and results["dibao"].department == "mzj"
    assert results["dibao"].details["points"] == 0.2
    assert set(results["dibao"].details["by_page"]) == {f"{BASE}/dibao/1.html", f"{BASE}/dibao/2.html"}
    # the department can find each broken link: the page, the link and why, in the message
    assert (f"页面 {BASE}/dibao/1.html 上的 {BASE}/gone2.html（404 页面不存在）；"
            f"页面 {BASE}/dibao/2.html 上的 {BASE}/gone3.html（404 页面不存在）") in results["dibao"].message
    assert results[None].message.endswith(f"页面 {BASE}/ 上的 {BASE}/gone1.html（404 页面不存在）")
    assert results["gzdt"].status == "warn"  # blocked is reported with its reason, not as dead


def test_broken_link_message_is_bounded_and_evidence_starts_with_a_broken_page() -> None:
    sec = section_data("gzdt", "shanting.03", [])
    suspect = LinkView(f"{BASE}/flaky.html", "suspect", "timeout", None, dt.datetime(2026, 11, 21),
                       (LinkRefView(f"{BASE}/gzdt/0.html", "gzdt", False, "a"),))
    links = [suspect] + [_link(f"{BASE}/gone{n}.html", "broken", f"{BASE}/gzdt/{n}.html", "gzdt") for n in range(1, 6)]
    [result] = judge(site_data(sec, links=links), AS_OF, "national.links")
    assert result.status == "fail" and result.message.count("（404 页面不存在）") == 3
    assert result.message.endswith("等 5 处") and "flaky" not in result.message
    assert result.evidence[0]["url"] == f"{BASE}/gzdt/1.html"  # reports show the first evidence


def test_links_not_yet_checked_are_unknown() -> None:
    sec = section_data("gzdt", "shanting.03", [])
    links = [_link(f"{BASE}/x.html", "unknown", f"{BASE}/gzdt/1.html", "gzdt")]
    [result] = judge(site_data(sec, links=links), AS_OF, "national.links")
    assert result.status == "unknown"


# --------------------------------------------------------------------------- availability


def _probes(total: int, failures: int, days: int = 7, ipv6: str | None = None) -> list[ProbeView]:
    end = dt.datetime.combine(AS_OF, dt.time(16))
    step = dt.timedelta(days=days) / total
    return [ProbeView(f"{BASE}/", end - step * (n + 1), n >= failures, None, "timeout" if n < failures else "ok",
                      ipv6) for n in range(total)]


@pytest.mark.parametrize(
    ("total", "failures", "expected"),
    [(168, 8, "pass"), (168, 9, "fail"), (100, 5, "fail"), (10, 0, "unknown"), (10, 5, "fail")],
)
def test_availability_ratio(total: int, failures: int, expected: str) -> None:
    sec = section_data("a", "generic.presence", [])
    [result] = judge(site_data(sec, probes=_probes(total, failures)), AS_OF, "national.availability")
    assert result.status == expected, result.message
    assert result.severity == "veto"


def test_availability_ignores_probes_outside_the_window() -> None:
    sec = section_data("a", "generic.presence", [])
    old = [ProbeView(f"{BASE}/", dt.datetime(2026, 11, 1), False, None, "timeout", None) for _ in range(50)]
    [result] = judge(site_data(sec, probes=old + _probes(100, 0)), AS_OF, "national.availability")
    assert result.status == "pass" and result.details["probes"] == 100


@pytest.mark.parametrize(("ipv6", "expected"), [("reachable", "pass"), ("unreachable", "warn"), ("none", "warn")])
def test_ipv6_is_info(ipv6: str, expected: str) -> None:
    sec = section_data("a", "generic.presence", [])
    [result] = judge(site_data(sec, probes=_probes(30, 0, ipv6=ipv6)), AS_OF, "national.ipv6")
    assert result.status == expected and result.severity == "info"


# --------------------------------------------------------------------------- metadata

GOOD_META = {"articletitle": "关于…的通知", "pubdate": "2026-11-20 09:30", "contentsource": "区民政局",
             "sitename": "示范区人民政府", "sitedomain": "www.example.gov.cn", "siteidcode": "3704060001"}


@pytest.mark.parametrize(
    ("meta", "expected", "missing"),
    [
        (GOOD_META, "pass", None),
        ({**GOOD_META, "pubdate": "2026/11/20"}, "warn", "PubDate 格式"),  # info-level rules warn, never fail
        ({k: v for k, v in GOOD_META.items() if k != "siteidcode"}, "warn", "SiteIDCode"),
        ({**GOOD_META, "contentsource": "  "}, "warn", "ContentSource"),
    ],
)
def test_page_tags(meta: dict, expected: str, missing: str | None) -> None:
    item = item_view("通知", D(2026, 11, 20), page=page_view("http://x/1.html", meta=meta))
    [result] = judge(site_data(section_data("s", "generic.presence", [item])), AS_OF, "national.page_tags")
    assert result.status == expected
    if missing:
        assert missing in result.message


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"doc_number": "山政办发〔2026〕3号", "written_date": D(2026, 11, 1), "pubdate": dt.datetime(2026, 11, 3),
          "validity": "有效"}, "pass"),
        ({"xxgk": {"发文字号": "山政办发〔2026〕3号", "成文日期": "2026-11-01", "发布日期": "2026-11-03",
                   "有效性": "现行有效"}}, "pass"),
        ({"doc_number": "山政办发〔2026〕3号", "written_date": D(2026, 11, 1), "pubdate": dt.datetime(2026, 11, 3)},
         "fail"),
    ],
)
def test_normative_document_metadata(fields: dict, expected: str) -> None:
    item = item_view("规范性文件", D(2026, 11, 3), page=page_view("http://x/2.html", **fields))
    sec = section_data("gfxwj", "generic.presence", [item], category="policy")
    [result] = judge(site_data(sec), AS_OF, "national.normative_metadata")
    assert result.status == expected
    if expected == "fail":
        assert "有效性" in result.message


def test_metadata_unknown_when_no_page_was_read() -> None:
    item = item_view("规范性文件", D(2026, 11, 3), page=page_view("http://x/3.html", outcome="blocked"))
    sec = section_data("gfxwj", "generic.presence", [item], category="policy")
    [result] = judge(site_data(sec), AS_OF, "national.normative_metadata")
    assert result.status == "unknown"
