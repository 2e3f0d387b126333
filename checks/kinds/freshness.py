"""freshness: the national update windows (国办秘函〔2019〕19号, 2015 普查).

Section scope: the newest dated item must be within ``window_days`` of as_of; a section with
no item at all is a 空白栏目. Site scope (``mode``):
  "veto"  counts over the site's categorised sections — V4(a) 动态 stale 2 weeks + 通知公告/政策
          stale 6 months together ≥ ``stale_threshold`` (5); V4(b) 应更新但长期未更新 (blank or
          beyond its window) ≥ ``long_stale_threshold`` (10); V4(c) blank ≥ ``blank_threshold`` (5).
  "home"  V3: no new item on the home page for ``window_days`` (14). The home page is the
          section listed in ``home_sections`` or, by default, the union of the site's sections
          (a portal home page shows their newest items). Items without a date do not count.
Unreadable sections are never counted as stale or blank; they are listed as unknown.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from checks.kinds import register
from checks.kinds.common import describe, get, item_evidence, params_for
from checks.model import Context, Outcome, SectionData, SiteData
from checks.packs import Indicator

KIND = "freshness"
WINDOWS = {"dynamic": 14, "notice": 183, "policy": 183, "personnel": 365, "plan": 365}
_LABELS = {"dynamic": "动态要闻类", "notice": "通知公告类", "policy": "政策文件类", "personnel": "人事类",
           "plan": "规划计划类"}


@register(
    KIND,
    scopes=("section", "site"),
    params={
        "window_days": ((int,), 0),  # 0: by section category (WINDOWS)
        "mode": ((str,), "section"),  # section | veto | home
        "stale_threshold": ((int,), 5),
        "long_stale_threshold": ((int,), 10),
        "blank_threshold": ((int,), 5),
        "home_sections": ((list,), []),
    },
    choices={"mode": ("section", "veto", "home")},
)
def freshness(ind: Indicator, target: SectionData | SiteData, ctx: Context) -> list[Outcome]:
    """Update windows per section, and the site-level veto counts."""
    if isinstance(target, SectionData):
        params = params_for(KIND, ind.params, target)
        return [_section(target, params, ctx)]
    params = dict(ind.params)
    mode = get(KIND, params, "mode")
    if mode == "home":
        return [_home(target, params, ctx)]
    return [_veto(target, params, ctx)]


def _window(section: SectionData, params: dict[str, Any]) -> int | None:
    window = get(KIND, params, "window_days")
    return window or WINDOWS.get(section.config.category or "")


def _age(section: SectionData, as_of: dt.date) -> int | None:
    latest = section.last_published()
    return (as_of - latest.published).days if latest and latest.published else None


def _section(section: SectionData, params: dict[str, Any], ctx: Context) -> Outcome:
    window = _window(section, params)
    latest = section.last_published()
    if window is None:
        return Outcome("pass", "栏目未分类，不考核更新时限", details={"category": section.config.category})
    if not section.items:
        return Outcome("fail", "空白栏目：栏目开设以来没有任何信息", evidence=list(section.list_evidence),
                       details={"blank": True, "window_days": window})
    if latest is None:
        return Outcome("fail", f"栏目 {len(section.items)} 条信息均无发布日期，视为未更新",
                       evidence=list(section.list_evidence), details={"window_days": window, "undated": True})
    age = (ctx.as_of - latest.published).days  # type: ignore[operator]
    details = {"window_days": window, "age_days": age, "latest": latest.published}
    due = latest.published + dt.timedelta(days=window)  # type: ignore[operator]
    if age > window:
        return Outcome("fail", f"栏目已 {age} 天未更新（时限 {window} 天），最新 {describe(latest)}",
                       due=due, evidence=section.list_evidence + item_evidence([latest], 1), details=details)
    return Outcome("pass", f"栏目 {age} 天前更新（时限 {window} 天），最新 {describe(latest)}",
                   due=due, evidence=section.list_evidence + item_evidence([latest], 1), details=details)


def _veto(site: SiteData, params: dict[str, Any], ctx: Context) -> Outcome:
    stale_short, long_stale, blank, unknown = [], [], [], []
    for sec in site.sections:
        category = sec.config.category
        if category not in WINDOWS:
            continue
        if not sec.readable:
            unknown.append(sec.config.id)
            continue
        if not sec.items:
            blank.append(sec.config.id)
            long_stale.append(sec.config.id)
            continue
        age = _age(sec, ctx.as_of)
        over = age is None or age > WINDOWS[category]
        if over:
            long_stale.append(sec.config.id)
            if category in ("dynamic", "notice", "policy"):
                stale_short.append(sec.config.id)
    limits = {"stale": get(KIND, params, "stale_threshold"), "long_stale": get(KIND, params, "long_stale_threshold"),
              "blank": get(KIND, params, "blank_threshold")}
    counts = {"stale": len(stale_short), "long_stale": len(long_stale), "blank": len(blank)}
    details = {"counts": counts, "limits": limits, "stale": stale_short, "long_stale_sections": long_stale,
               "blank_sections": blank, "unknown_sections": unknown}
    hits = [k for k in counts if counts[k] >= limits[k]]
    text = (f"动态/通知/政策类超期未更新 {counts['stale']} 个（否决线 {limits['stale']}），"
            f"应更新但长期未更新 {counts['long_stale']} 个（否决线 {limits['long_stale']}），"
            f"空白栏目 {counts['blank']} 个（否决线 {limits['blank']}）")
    if hits:
        return Outcome("fail", "栏目不更新触及单项否决：" + text, details=details)
    if unknown:
        # The missing sections could push a count over its line: only a sure pass is a pass.
        worst = max(counts[k] + len(unknown) - limits[k] for k in counts)
        if worst >= 0:
            return Outcome("unknown", f"{len(unknown)} 个栏目无法读取，无法判断是否触及否决线；" + text,
                           details=details)
    return Outcome("pass", text, details=details)


def _home(site: SiteData, params: dict[str, Any], ctx: Context) -> Outcome:
    window = get(KIND, params, "window_days") or 14
    wanted = set(get(KIND, params, "home_sections"))
    sections = [s for s in site.sections if not wanted or s.config.id in wanted]
    if not sections:
        return Outcome("unknown", "未配置可代表首页的栏目，无法判断首页更新", details={"window_days": window})
    readable = [s for s in sections if s.readable]
    latest = max((s.last_published() for s in readable if s.last_published()),
                 key=lambda i: i.published, default=None)  # type: ignore[arg-type,return-value]
    details: dict[str, Any] = {"window_days": window, "sections": [s.config.id for s in sections]}
    if latest is not None and (ctx.as_of - latest.published).days <= window:  # type: ignore[operator]
        age = (ctx.as_of - latest.published).days  # type: ignore[operator]
        return Outcome("pass", f"首页 {age} 天前有更新：{describe(latest)}", evidence=item_evidence([latest], 1),
                       details={**details, "age_days": age})
    if len(readable) < len(sections):
        return Outcome("unknown", f"{len(sections) - len(readable)} 个首页栏目无法读取，无法判断首页是否更新",
                       details=details)
    if latest is None:
        return Outcome("fail", "首页栏目没有任何带发布日期的信息，视为首页不更新", details=details)
    age = (ctx.as_of - latest.published).days  # type: ignore[operator]
    return Outcome("fail", f"首页已 {age} 天无新信息（时限 {window} 天），最新 {describe(latest)}",
                   evidence=item_evidence([latest], 1), details={**details, "age_days": age})
