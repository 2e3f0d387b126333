"""Assemble the three reports (daily, weekly, department) from the database as plain data."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from checks.packs import Indicator, load_registry
from reports import history, queries
from reports.model import (
    DepartmentRow,
    FindingRow,
    department_rows,
    finding_rows,
    local_date,
    local_day_end_utc,
    overall_status,
)
from reports.scoring import FORMULA, Score, iso_week, rank, score_department
from store.models import HOME_SECTION, OutboxMessage
from zwgk.config import Config

TREND_WEEKS = 8
DEPARTMENT_SHEETS_MAX = 60  # per-department sheets in the daily/weekly workbook up to this many departments
# The weekly body lists each department's overdue items, worst first, about this many rows in all
# (at least OVERDUE_MIN per department, at most the usual list limit); the XLSX has every row.
# A province (500 departments) made a 48 MB HTML mail; a district's lists stay complete.
OVERDUE_BUDGET = 2500
OVERDUE_MIN = 10


@dataclass
class Report:
    """One rendered-to-be report and what its delivery needs."""

    kind: str  # daily | weekly | department
    period: str  # 2026-11-20 | 2026-W47
    as_of: dt.date
    title: str
    stem: str  # file name without extension
    context: dict[str, Any]
    sheets: list[Any]  # reports.xlsx.Sheet
    summary: str  # short plain Chinese summary (webhooks)
    department_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Snapshot:
    """Everything the reports need, read once."""

    config: Config
    as_of: dt.date
    indicators: dict[str, Indicator]
    rows: list[FindingRow]
    departments: list[tuple[str, str]]
    share: tuple[str, ...] | None = None  # only these departments' findings (None: every finding)
    _groups: dict[str, dict[str, list[FindingRow]]] = field(default_factory=dict, repr=False)
    _sheets: dict[str, list[Any]] = field(default_factory=dict, repr=False)

    @property
    def department_names(self) -> dict[str, str]:
        return dict(self.departments)

    def by_department(self, *, open_only: bool = False) -> dict[str, list[FindingRow]]:
        """Rows grouped by department id, each group in the snapshot's (worst-first) order."""
        key = "open" if open_only else "all"
        if key not in self._groups:
            groups: dict[str, list[FindingRow]] = {}
            for r in self.rows:
                if not open_only or r.is_open:
                    groups.setdefault(r.department_id, []).append(r)
            self._groups[key] = groups
        return self._groups[key]


def snapshot(config: Config, session: Session, as_of: dt.date, department_ids: list[str] | None = None) -> Snapshot:
    """The findings known by the end of ``as_of`` (local), as report rows.

    ``department_ids``: only these departments' findings, for building their own reports (a
    department's rows and their order are the same as in the whole snapshot).
    """
    tz = config.general.tz
    indicators = load_registry(config).indicators
    sites, sections = queries.place_names(session)
    for site in config.sites:
        sites.setdefault(site.id, site.name)
        for sec in site.sections:
            sections.setdefault((site.id, sec.id), sec.name)
    departments = [(d.id, d.name) for d in config.departments]
    until = local_day_end_utc(as_of, tz)
    findings = history.rewind(session, queries.findings_known_by(session, until, department_ids, judged_by=as_of),
                              as_of, until)
    rows = finding_rows(
        findings,
        as_of=as_of,
        tz=tz,
        indicators=indicators,
        department_names=dict(departments),
        site_names=sites,
        section_names=sections,
    )
    share = None if department_ids is None else tuple(department_ids)
    return Snapshot(config, as_of, indicators, rows, departments, share)


def _whole(snap: Snapshot | None, as_of: dt.date) -> Snapshot | None:
    """A snapshot given to a district report: it must hold every department's findings as of that day."""
    if snap is not None and (snap.share is not None or snap.as_of != as_of):
        raise ValueError("district reports need the whole snapshot of their day")
    return snap


def _district(config: Config) -> str:
    office = config.office
    return office.name if office else "区政府办公室"


def daily(config: Config, session: Session, as_of: dt.date, *, snap: Snapshot | None = None) -> Report:
    """The district office's daily scorecard (``snap``: the whole snapshot, already read for this as_of)."""
    from reports.xlsx import summary_sheet

    snap = _whole(snap, as_of) or snapshot(config, session, as_of)
    period = as_of.isoformat()
    prev_text = queries.previous_period(session, "daily", period)
    since = dt.date.fromisoformat(prev_text) if prev_text else as_of - dt.timedelta(days=1)
    open_rows = [r for r in snap.rows if r.is_open]
    new = [r for r in open_rows if r.first_detected and since < r.first_detected <= as_of]
    resolved = [r for r in snap.rows if r.resolved and since < r.resolved <= as_of]
    deps = department_rows(snap.rows, snap.departments)
    failed = _failed_deliveries(session)
    crawl_problems = _crawl_problems(config, session, as_of)
    fails = sum(1 for r in open_rows if r.status == "fail")
    title = f"政务公开每日监测通报（{as_of:%Y年%m月%d日}）"
    context = {
        "title": title,
        "as_of": as_of,
        "since": since,
        "district": _district(config),
        "overall": overall_status(deps),
        "departments": deps,
        "new": new,
        "open": open_rows,
        "fails": fails,  # counted here: a template filter over a province's 100,000+ open rows is slow
        "overdue": [r for r in open_rows if r.overdue_days],
        "resolved": resolved,
        "failed_deliveries": failed,
        "crawl_problems": crawl_problems,
    }
    summary = (
        f"{title}：{context['overall']}。未通过 {fails} 项（新增 {len(new)} 项），"
        f"逾期 {len(context['overdue'])} 项，无法判断 {sum(1 for r in open_rows if r.status == 'unknown')} 项，"
        f"已整改 {len(resolved)} 项。"
    )
    whole = sum(1 for c in crawl_problems if not c.partial)
    if whole:
        summary += f"{whole} 个网站最近一次抓取未成功，相关结论基于此前的数据。"
    if len(crawl_problems) > whole:
        summary += f"{len(crawl_problems) - whole} 个网站有栏目未能抓取，这些栏目记为无法判断。"
    sheets = [summary_sheet(deps), *_district_sheets(config, snap, open_rows)]
    return Report("daily", period, as_of, title, "daily", context, sheets, summary)


def weekly(config: Config, session: Session, as_of: dt.date, *, snap: Snapshot | None = None) -> Report:
    """The weekly scorecard: a score per department, ranking, change and trend; stores ScoreRecords.

    ``snap``: the whole snapshot, already read for this as_of.
    """
    from reports.xlsx import scores_sheet

    snap = _whole(snap, as_of) or snapshot(config, session, as_of)
    period = iso_week(as_of)
    previous = iso_week(as_of - dt.timedelta(days=7))
    open_rows = [r for r in snap.rows if r.is_open]
    scores = compute_scores(snap)
    queries.save_scores(session, period, [(sc.department_id, sc.score, sc.vetoed, sc.details()) for sc in scores])
    session.flush()
    weeks = [iso_week(as_of - dt.timedelta(days=7 * i)) for i in range(TREND_WEEKS - 1, -1, -1)]
    records = {(r.period, r.department_id): r for r in queries.score_records(session, weeks)}
    names = snap.department_names
    ranking = []
    open_by_dep = snap.by_department(open_only=True)
    for position, score in rank(scores):
        mine = open_by_dep.get(score.department_id, [])
        prev = records.get((previous, score.department_id))
        change = None if prev is None else round(score.score - prev.score, 2)
        trend = []
        for week in weeks:
            rec = records.get((week, score.department_id))
            trend.append({"week": week, "score": None if rec is None else rec.score, "vetoed": bool(rec and rec.vetoed)})
        ranking.append(
            {
                "rank": position,
                "department_id": score.department_id,
                "name": names.get(score.department_id, score.department_id),
                "score": score,
                "change": change,
                "trend": trend,
                "overdue": [r for r in mine if r.overdue_days],
                "vetoes": [r for r in mine if r.status == "fail" and r.severity == "veto"],
            }
        )
    title = f"政务公开每周考评通报（{period}，截至 {as_of:%Y年%m月%d日}）"
    context = {
        "title": title,
        "as_of": as_of,
        "period": period,
        "previous": previous,
        "district": _district(config),
        "formula": FORMULA,
        "ranking": ranking,
        "weeks": weeks,
        "unknown": [r for r in open_rows if r.status == "unknown"],
        "overdue_limit": overdue_limit(len(ranking)),
    }
    failing = [r for r in ranking if r["score"].verdict != "合格"]
    summary = (
        f"{title}：{len(ranking)} 个部门参评，不合格 {len(failing)} 个，"
        f"逾期未整改 {sum(len(r['overdue']) for r in ranking)} 项。"
    )
    sheets = [scores_sheet(ranking), *_district_sheets(config, snap, open_rows)]
    return Report("weekly", period, as_of, title, "weekly", context, sheets, summary)


def overdue_limit(departments: int) -> int:
    """How many overdue items the weekly body lists per department (see OVERDUE_BUDGET)."""
    from reports.render import LIST_LIMIT

    return min(LIST_LIMIT, max(OVERDUE_MIN, OVERDUE_BUDGET // max(1, departments)))


def _district_sheets(config: Config, snap: Snapshot, open_rows: list[FindingRow]) -> list[Any]:
    """The district sheet (every open finding with its department) and the per-department sheets.

    They are the same in the daily and the weekly workbook: built once per snapshot, their rows'
    XML written once (``shared``; each workbook still numbers its own shared strings).
    """
    from reports.xlsx import findings_sheet

    if "district" not in snap._sheets:
        district = findings_sheet(_district(config), open_rows, with_department=True, shared=True)
        snap._sheets["district"] = [district, *_department_sheets(snap)]
    return snap._sheets["district"]


def _department_sheets(snap: Snapshot) -> list[Any]:
    """One sheet per department in the district workbooks, for a district-sized list of departments.

    Beyond DEPARTMENT_SHEETS_MAX (a province) the district sheet with its 部门 column and
    autofilter is the view, and every department gets its own report and workbook anyway.
    """
    from reports.xlsx import department_sheet

    if len(snap.departments) > DEPARTMENT_SHEETS_MAX:
        return []
    open_by_dep = snap.by_department(open_only=True)
    return [department_sheet(name, open_by_dep.get(dep_id, []), shared=True) for dep_id, name in snap.departments]


def compute_scores(snap: Snapshot) -> list[Score]:
    """Score every configured department (and any other department that has findings)."""
    dep_ids = [d for d, _ in snap.departments]
    dep_ids += sorted({r.department_id for r in snap.rows} - set(dep_ids))
    open_by_dep = snap.by_department(open_only=True)
    scores = []
    for dep_id in dep_ids:
        failures = []
        for r in open_by_dep.get(dep_id, []):
            if r.status != "fail":
                continue
            indicator = snap.indicators.get(r.rule)
            points = float(indicator.points) if indicator else 1.0
            each = r.deduct if r.deduct is not None else points
            failures.append((r.rule, r.rule_name, r.severity, each, points))
        scores.append(score_department(dep_id, failures))
    return scores


def department(config: Config, session: Session, as_of: dt.date, department_id: str, *,
               snap: Snapshot | None = None) -> Report:
    """One department's own report: only its findings, with basis, evidence and due date.

    ``snap``: a snapshot already read for this as_of (building every department's report): the
    whole one or a share that holds this department.
    """
    from reports.xlsx import department_sheet

    if snap is not None and (snap.as_of != as_of or (snap.share is not None and department_id not in snap.share)):
        raise ValueError(f"the snapshot does not hold department `{department_id}` as of {as_of}")
    snap = snap or snapshot(config, session, as_of)
    name = snap.department_names.get(department_id, department_id)
    mine = snap.by_department().get(department_id, [])
    open_rows = [r for r in mine if r.is_open]
    week_ago = as_of - dt.timedelta(days=7)
    resolved = [r for r in mine if r.resolved and week_ago < r.resolved <= as_of]
    row = department_rows(mine, [(department_id, name)])[0] if mine else DepartmentRow(department_id, name)
    title = f"{name}政务公开问题清单（{as_of:%Y年%m月%d日}）"
    context = {
        "title": title,
        "as_of": as_of,
        "department": row,
        "open": open_rows,
        "resolved": resolved,
        "since": week_ago,
    }
    fails = sum(1 for r in open_rows if r.status == "fail")
    overdue = sum(1 for r in open_rows if r.overdue_days)
    summary = f"{title}：未通过 {fails} 项，逾期 {overdue} 项，待处理共 {len(open_rows)} 项。"
    sheets = [department_sheet(name, open_rows)]
    return Report(
        "department", as_of.isoformat(), as_of, title, f"department-{department_id}", context, sheets, summary,
        department_id=department_id,
    )


CRAWL_STATUS_LABELS = {"failed": "抓取失败", "timeout": "抓取超时", "partial": "部分栏目未能抓取"}


@dataclass
class CrawlProblem:
    """A site whose latest crawl before the report did not succeed: the report's findings may be old."""

    site: str
    started: str  # local time of the failed run
    status_label: str
    reason: str
    last_ok: dt.date | None  # local date of the latest successful crawl (None: never)
    partial: bool = False  # some sections unreadable: the others were judged on this run's data


_SECTION_REASON = re.compile(r"^(?P<section>[\w.-]+): \w+（(?P<why>.*)）$", re.S)


def readable_reason(reason: str | None, section_names: dict[str, str]) -> str:
    """A run's reason with section names instead of ``id: outcome（why）`` (crawler.child.run_status)."""
    if not reason:
        return "未记录原因"
    parts = []
    for part in reason.split("；"):
        m = _SECTION_REASON.match(part)
        if m and m["section"] in section_names:
            parts.append(f"{section_names[m['section']]}：{m['why'] or '原因未记录'}")
        else:
            parts.append(part)
    return "；".join(parts)


def _crawl_problems(config: Config, session: Session, as_of: dt.date) -> list[CrawlProblem]:
    tz = config.general.tz
    history = queries.crawl_history(session, [s.id for s in config.sites], local_day_end_utc(as_of, tz))
    out = []
    for site in config.sites:
        if site.id not in history:
            continue
        run, last_ok = history[site.id]
        if run.status == "ok":
            continue
        started = run.started_at.replace(tzinfo=dt.UTC).astimezone(tz)
        names = {HOME_SECTION: "首页"} | {sec.id: sec.name for sec in site.sections}
        out.append(
            CrawlProblem(
                site=site.name,
                started=f"{started:%Y-%m-%d %H:%M}",
                status_label=CRAWL_STATUS_LABELS.get(run.status, run.status),
                reason=readable_reason(run.reason, names)[:300],
                last_ok=local_date(last_ok, tz),
                partial=run.status == "partial",
            )
        )
    return out


def _failed_deliveries(session: Session) -> list[OutboxMessage]:
    return queries.failed_messages(session)
