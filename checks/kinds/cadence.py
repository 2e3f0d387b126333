"""cadence: every period must have its publication by its deadline.

weekly     every ISO week (``week = "iso"``) or every 工作周 (``week = "work"``: weeks without
           a single working day, e.g. 春节, are not required) up to as_of needs ≥1 item;
           a week is judged only once it is over.
monthly    the report for month M is due on ``due_day`` of month M+``due_offset_months``
(quarterly, half_yearly alike). The period an item covers is read from its title
           ("2026年10月城乡低保发放情况", "2026年三季度"); a title naming no period falls back to the
           publication month minus ``untitled_offset_months`` (payment lists for October are
           published in November). A list for the wrong month never counts for the missing one.
yearly     due ``due_month``/``due_day`` ("end" = last day of the month) of the year after the
           covered year (``covers = "previous_year"``) or of the covered year itself
           (``"current_year"``); matched by keywords and the year in the title.

Statuses per period: pass (published on time), fail (nothing by the deadline, or late with
``late = "fail"``), nothing at all for a period that is not yet due and still empty.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from checks.kinds import register
from checks.kinds.common import describe, get, item_evidence, params_for, relevant_items
from checks.model import Context, ItemView, Outcome, SectionData
from checks.packs import Indicator
from checks.periods import Period, deadline, period_of, publication_period, recent_periods, title_period

KIND = "cadence"
_NAMES = {"weekly": "周", "monthly": "月度", "quarterly": "季度", "half_yearly": "半年度", "yearly": "年度"}


@register(
    KIND,
    params={
        "frequency": ((str,), "monthly"),
        "week": ((str,), "iso"),  # iso | work
        "lookback": ((int,), -1),  # periods before the current one to judge (-1: per frequency)
        "due_day": ((int, str), "end"),
        "due_month": ((int,), 1),
        "due_offset_months": ((int,), 1),
        "untitled_offset_months": ((int,), 1),
        "covers": ((str,), "previous_year"),  # previous_year | current_year (yearly only)
        "late": ((str,), "fail"),  # fail | warn: what a publication after the deadline is
    },
    choices={"frequency": ("weekly", "monthly", "quarterly", "half_yearly", "yearly"), "week": ("iso", "work"),
             "covers": ("previous_year", "current_year"), "late": ("fail", "warn"),
             "due_month": tuple(range(1, 13)), "due_day": ("end", *range(1, 32))},
)
def cadence(ind: Indicator, section: SectionData, ctx: Context) -> list[Outcome]:
    """Every period has its publication by its deadline."""
    params = params_for(KIND, ind.params, section)
    frequency = get(KIND, params, "frequency")
    if frequency not in ("weekly", "monthly", "quarterly", "half_yearly", "yearly"):
        raise ValueError(f"{ind.id}: frequency `{frequency}` 不受支持")
    items = relevant_items(section, get(KIND, params, "keywords"))
    if frequency == "weekly":
        return _weekly(items, params, ctx)
    return _periodic(frequency, items, params, ctx)


def _lookback(params: dict[str, Any], frequency: str) -> int:
    value = get(KIND, params, "lookback")
    if value >= 0:
        return value
    return {"weekly": 4, "monthly": 3, "quarterly": 2, "half_yearly": 2, "yearly": 2}[frequency]


def judged_periods(frequency: str, params: dict[str, Any], as_of: dt.date) -> list[Period]:
    """The periods a check on ``as_of`` judges, oldest first (the current one and ``lookback`` before it)."""
    if frequency == "weekly":
        return recent_periods(as_of, "weekly", _lookback(params, "weekly"))
    # The periods whose deadline could already fall due: the one before "as_of" and earlier ones.
    anchor = as_of
    if frequency == "yearly" and get(KIND, params, "covers") == "previous_year":
        anchor = dt.date(as_of.year - 1, 12, 31)
    return recent_periods(anchor, frequency, _lookback(params, frequency))


def oldest_judged_day(params: dict[str, Any], as_of: dt.date) -> dt.date:
    """The earliest day a publication for the oldest period judged on ``as_of`` can carry.

    That is the period's first day, or its last day for a report on the previous year (the 2023
    年报 appears from the end of 2023 on). The crawler reads a section's list back to here
    (checks.horizon), so that a yearly rule looking three reports back is not judged on a list cut
    at the default 400 days.
    """
    frequency = get(KIND, params, "frequency")
    oldest = judged_periods(frequency, params, as_of)[0]
    if frequency == "yearly" and get(KIND, params, "covers") == "previous_year":
        return oldest.end
    return oldest.start


def _weekly(items: list[ItemView], params: dict[str, Any], ctx: Context) -> list[Outcome]:
    work_weeks = get(KIND, params, "week") == "work"
    out = []
    for week in judged_periods("weekly", params, ctx.as_of):
        found = [i for i in items if i.published and week.start <= i.published <= week.end]
        over = week.end < ctx.as_of
        uncertain = False
        if work_weeks:
            workdays, uncertain = ctx.calendar.workdays_in(week.days())
            if not workdays:
                out.append(Outcome("pass", f"{week.label} 全周为法定节假日，不要求更新", week.label, week.end,
                                   uncertain=uncertain, details={"exempt": True}))
                continue
        if found:
            out.append(Outcome("pass", f"{week.label} 已更新 {len(found)} 条，最新 {describe(found[-1])}",
                               week.label, week.end, item_evidence(found), uncertain,
                               {"items": len(found)}))
        elif over:
            undated = sum(1 for i in items if not i.published)
            msg = f"{week.label}（{week.start:%m月%d日}至{week.end:%m月%d日}）未发布任何信息"
            if undated:
                msg += f"；另有 {undated} 条信息无发布日期，不计为更新"
            out.append(Outcome("fail", msg, week.label, week.end, [], uncertain, {"items": 0, "undated": undated}))
    return out


def _covered(item: ItemView, frequency: str, params: dict[str, Any]) -> tuple[Period | None, str]:
    """The period an item covers and where that was read (title | published)."""
    period = title_period(item.title, frequency, item.published)
    if period is not None:
        return period, "title"
    if item.published is None:
        return None, "none"
    if frequency == "yearly":
        year = item.published.year - (1 if get(KIND, params, "covers") == "previous_year" else 0)
        return period_of(dt.date(year, 1, 1), "yearly"), "published"
    return publication_period(item.published, frequency, get(KIND, params, "untitled_offset_months")), "published"


def _due(period: Period, frequency: str, params: dict[str, Any]) -> dt.date:
    if frequency == "yearly":
        due_month = get(KIND, params, "due_month")
        offset = 12 if get(KIND, params, "covers") == "previous_year" else 0
        # deadline() counts months after the period's last month (December).
        return deadline(period, offset - 12 + due_month, get(KIND, params, "due_day"))
    return deadline(period, get(KIND, params, "due_offset_months"), get(KIND, params, "due_day"))


def _periodic(frequency: str, items: list[ItemView], params: dict[str, Any], ctx: Context) -> list[Outcome]:
    covered: dict[str, list[tuple[ItemView, str]]] = {}
    for item in items:
        period, source = _covered(item, frequency, params)
        if period is not None:
            covered.setdefault(period.label, []).append((item, source))
    periods = judged_periods(frequency, params, ctx.as_of)
    name = _NAMES[frequency]
    out = []
    for period in periods:
        due = _due(period, frequency, params)
        found = sorted(covered.get(period.label, []), key=lambda p: p[0].published or dt.date.max)
        on_time = [i for i, _ in found if i.published and i.published <= due]
        late = [i for i, _ in found if i.published and i.published > due and i.published <= ctx.as_of]
        details = {"covered_by": [{"title": i.title, "url": i.url, "published": i.published, "read_from": s}
                                  for i, s in found]}
        if on_time:
            out.append(Outcome("pass", f"{period.label} {name}信息已按时公开：{describe(on_time[0])}",
                               period.label, due, item_evidence(on_time), details=details))
        elif late:
            status = get(KIND, params, "late")
            out.append(Outcome(status, f"{period.label} {name}信息逾期公开：截止 {due.isoformat()}，"
                                       f"实际 {describe(late[0])}", period.label, due, item_evidence(late),
                               details={**details, "late": True}))
        elif due < ctx.as_of:
            others = sorted({lbl for lbl in covered if lbl != period.label})[-3:]
            msg = f"{period.label} {name}信息未公开（截止 {due.isoformat()}）"
            if others:
                msg += f"；已发布的为 {'、'.join(others)} 的信息，不能替代"
            out.append(Outcome("fail", msg, period.label, due, [], details=details))
    return out
