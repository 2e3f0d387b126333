"""Rule packs: all 44 山亭 indicators load and each is exercised; validation of pack files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from checks_builders import REGISTRY, item_view, judge, section_data, site_data

from checks.packs import PackError, load_pack_file, load_registry
from checks.periods import month_end
from zwgk.config import parse_config

D = dt.date
SHANTING = [f"shanting.{n:02d}" for n in range(1, 45)]


def test_all_44_shanting_indicators_load() -> None:
    assert sorted(i for i in REGISTRY.indicators if i.startswith("shanting.")) == SHANTING
    assert {REGISTRY.indicators[i].department for i in SHANTING} >= {"区民政局", "区财政局", "区国资事务服务中心"}
    assert all(REGISTRY.indicators[i].basis.startswith("山政办发〔2022〕2号") for i in SHANTING)


def _scenario(ident: str, satisfied: bool) -> tuple[list, dt.date, str | None]:
    """Items, as_of and the period to look at, so that ``ident`` passes (or fails)."""
    ind = REGISTRY.indicators[ident]
    p = ind.params
    keyword = (p.get("keywords") or [""])[0]
    if ind.kind == "presence":
        return ([item_view(f"{ind.name}", D(2026, 3, 1))] if satisfied else []), D(2026, 11, 22), None
    if ind.kind == "after_trigger":
        return [], D(2026, 10, 20), None  # built separately (needs a policy section)
    if p["frequency"] == "weekly":
        items = [item_view(f"{ind.name}：会议召开", D(2026, 11, 10))] if satisfied else []
        return items, D(2026, 11, 16), "2026-W46"
    if p["frequency"] == "monthly":
        items = [item_view(f"2026年10月{keyword}情况", D(2026, 11, 10))] if satisfied else []
        return items, D(2026, 12, 1), "2026-10"
    year = 2025 if p["covers"] == "previous_year" else 2026
    due = month_end(2026, p["due_month"]) if p["due_day"] == "end" else D(2026, p["due_month"], p["due_day"])
    items = [item_view(f"{year}年{keyword}", due)] if satisfied else []
    return items, due + dt.timedelta(days=1), str(year)


@pytest.mark.parametrize("ident", SHANTING)
@pytest.mark.parametrize("satisfied", [True, False])
def test_every_shanting_indicator_judges(ident: str, satisfied: bool) -> None:
    ind = REGISTRY.indicators[ident]
    items, as_of, period = _scenario(ident, satisfied)
    if ind.kind == "after_trigger":
        policy = item_view("关于印发《山亭区城乡低保实施办法》的通知", D(2026, 9, 30))
        interps = [item_view("《山亭区城乡低保实施办法》政策解读", D(2026, 10, 9))] if satisfied else []
        site = site_data(section_data("zcwj", "generic.presence", [policy], category="policy"),
                         section_data("sec", ident, interps))
    else:
        site = site_data(section_data("sec", ident, items))
    results = [r for r in judge(site, as_of, ident) if period is None or r.period == period]
    assert len(results) == 1, [(r.period, r.status) for r in judge(site, as_of, ident)]
    assert results[0].status == ("pass" if satisfied else "fail"), results[0].message
    assert results[0].rule == ident and results[0].kind == ind.kind


def test_national_and_ogi_indicators() -> None:
    ids = set(REGISTRY.indicators)
    assert {"national.availability", "national.home_update", "national.veto_columns", "national.links",
            "national.privacy", "national.page_tags", "national.ipv6", "ogi.annual_report_department",
            "ogi.annual_report_government", "ogi.active_disclosure"} <= ids
    assert {"generic.weekly", "generic.monthly", "generic.quarterly", "generic.half_yearly", "generic.yearly"} <= ids
    vetoes = {i.id for i in REGISTRY.indicators.values() if i.severity == "veto"}
    assert vetoes == {"national.availability", "national.home_update", "national.veto_columns"}
    assert REGISTRY.indicators["national.veto_columns"].params["blank_threshold"] == 5
    assert REGISTRY.indicators["ogi.active_disclosure"].params["within_working_days"] == 20


PACK_HEAD = '[pack]\nid = "district"\nname = "区自定义"\n'


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[[indicators]]\nid = "d.1"\nname = "x"\nkind = "cadence"\nfrequncy = "monthly"\n', "未知键"),
        ('[[indicators]]\nid = "d.1"\nname = "x"\nkind = "cadence"\nparams = { frequncy = "monthly" }\n', "frequncy"),
        ('[[indicators]]\nid = "d.1"\nname = "x"\nkind = "cadense"\n', "未知的规则类型"),
        ('[[indicators]]\nid = "d.1"\nname = "x"\nkind = "cadence"\nparams = { lookback = "3" }\n', "lookback"),
        ('[[indicators]]\nid = "d.1"\nname = "x"\nkind = "cadence"\nseverity = "fatal"\n', "severity"),
        ('[[indicators]]\nid = "d.1"\nname = "x"\nkind = "cadence"\nparams = { frequency = "daily" }\n', "daily"),
        ('[[indicators]]\nid = "d.1"\nname = "x"\nkind = "cadence"\nparams = { due_day = "last" }\n', "last"),
        ('[[indicators]]\nid = "d.1"\nname = "x"\nkind = "cadence"\nparams = { due_month = 13 }\n', "13"),
        ('[[indicators]]\nid = "d.1"\nname = "x"\nkind = "links"\n', "applies_to"),
        ('[[indicators]]\nid = "d.1"\nkind = "presence"\n', "缺少 `name`"),
        ('[[indicatorz]]\nid = "d.1"\n', "未知的表"),
    ],
)
def test_bad_pack_files_are_errors(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "district.toml"
    path.write_text(PACK_HEAD + body, encoding="utf-8")
    with pytest.raises(PackError, match=message):
        load_pack_file(path, type(REGISTRY)())


def test_unknown_pack_table_key(tmp_path: Path) -> None:
    path = tmp_path / "district.toml"
    path.write_text(PACK_HEAD + 'owner = "x"\n', encoding="utf-8")
    with pytest.raises(PackError, match="owner"):
        load_pack_file(path, type(REGISTRY)())


def _config(tmp_path: Path, rules: str):
    text = f"""
[rules]
{rules}
[[departments]]
id = "office"
name = "区政府办公室"
[[sites]]
id = "portal"
name = "门户"
base_url = "http://127.0.0.1:8765/"
department = "office"
"""
    return parse_config(text, tmp_path / "settings.toml", check_indicators=False)


def test_params_override_from_settings(tmp_path: Path) -> None:
    config = _config(tmp_path, '[rules.params]\n"national.veto_columns.blank_threshold" = 3\n'
                               '"shanting.19.due_day" = 10\n')
    registry = load_registry(config)
    assert registry.indicators["national.veto_columns"].params["blank_threshold"] == 3
    assert registry.indicators["shanting.19"].params["due_day"] == 10
    assert "generic.weekly" in registry.indicators  # always loaded


def test_bad_override_is_an_error(tmp_path: Path) -> None:
    config = _config(tmp_path, '[rules.params]\n"shanting.19.due_dya" = 10\n')
    with pytest.raises(PackError, match="due_dya"):
        load_registry(config)


def test_extra_pack_file_from_settings(tmp_path: Path) -> None:
    (tmp_path / "district.toml").write_text(
        PACK_HEAD + '[[indicators]]\nid = "district.qjd"\nname = "季度信息"\nkind = "cadence"\n'
                    'params = { frequency = "quarterly" }\n', encoding="utf-8")
    config = _config(tmp_path, 'pack_files = ["district.toml"]\n')
    assert load_registry(config).indicators["district.qjd"].pack == "district"
