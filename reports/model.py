"""Report contents as plain data: finding rows, department rows, scores. No SQL, no clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from checks.packs import Indicator
from zwgk.exports import capture_time

STATUS_LABELS = {"fail": "未通过", "warn": "预警", "unknown": "无法判断", "pass": "通过"}
SEVERITY_LABELS = {"veto": "单项否决", "deduct": "扣分", "info": "提示"}
OPEN_STATUSES = ("fail", "warn", "unknown")
_STATUS_RANK = {"fail": 0, "unknown": 1, "warn": 2, "pass": 3}


def local_date(value: dt.datetime | None, tz: ZoneInfo) -> dt.date | None:
    """A naive-UTC timestamp as a local calendar date."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC).astimezone(tz).date()


def local_day_end_utc(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    """The first instant after ``day`` (local) as naive UTC."""
    start = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return start.astimezone(dt.UTC).replace(tzinfo=None)


def safe_link(url: str | None) -> str | None:
    """Only http(s) URLs become links; anything else (javascript:, data:) is shown as text only."""
    if url and url.lower().startswith(("http://", "https://")):
        return url
    return None


@dataclass
class FindingRow:
    """One finding as every report shows it."""

    id: int
    rule: str
    rule_name: str
    basis: str
    severity: str
    department_id: str
    department_name: str
    place: str  # 网站 / 栏目
    status: str
    period: str
    due: dt.date | None
    overdue_days: int | None
    message: str
    evidence_url: str | None
    evidence_link: str | None
    captured_at: str
    uncertain: bool
    first_detected: dt.date | None
    resolved: dt.date | None
    reopened_count: int
    deduct: float | None = None  # a per-finding deduction given by the check (details.deduct)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def severity_label(self) -> str:
        return SEVERITY_LABELS.get(self.severity, self.severity)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES and self.resolved is None

    @property
    def sort_key(self) -> tuple[Any, ...]:
        """Worst first: failing vetoes, fails, unknowns, warnings; then most overdue, earliest due."""
        veto = 0 if (self.severity == "veto" and self.status == "fail") else 1
        return (
            veto,
            _STATUS_RANK.get(self.status, 9),
            -(self.overdue_days or 0),
            self.due or dt.date.max,
            self.department_id,
            self.id,
        )


@dataclass
class DepartmentRow:
    id: str
    name: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(("fail", "warn", "unknown", "pass"), 0))
    overdue: int = 0
    veto: int = 0

    @property
    def status_label(self) -> str:
        if self.veto:
            return "不合格（单项否决）"
        if self.counts["fail"]:
            return "存在未通过项"
        if self.counts["unknown"]:
            return "部分无法判断"
        if self.counts["warn"]:
            return "有预警"
        return "正常"

    @property
    def sort_key(self) -> tuple[Any, ...]:
        return (-self.veto, -self.counts["fail"], -self.overdue, -self.counts["unknown"], -self.counts["warn"], self.id)


def finding_rows(
    findings: Iterable[Any],
    *,
    as_of: dt.date,
    tz: ZoneInfo,
    indicators: dict[str, Indicator],
    department_names: dict[str, str],
    site_names: dict[str, str],
    section_names: dict[tuple[str, str], str],
) -> list[FindingRow]:
    """Turn finding rows (``reports.queries.findings_known_by``, columns in its FINDING_COLUMNS order)
    into report rows (sorted worst first)."""
    rows = []
    # Dates and timestamps may come as stored text (reports.queries.RAW_DATES): parsed once per value.
    local: dict[object, dt.date | None] = {None: None}  # findings of one run share timestamps
    dates: dict[object, dt.date | None] = {None: None}

    def day(value: dt.datetime | str | None) -> dt.date | None:
        if value not in local:
            local[value] = local_date(_timestamp(value), tz)
        return local[value]

    def date(value: dt.date | str | None) -> dt.date | None:
        if value not in dates:
            dates[value] = dt.date.fromisoformat(value) if isinstance(value, str) else value
        return dates[value]

    shown: dict[object, str] = {None: "", "": ""}

    def captured(value: object) -> str:  # stored naive UTC (crawler) -> the configured zone, with its offset
        if value not in shown:
            shown[value] = capture_time(value, tz) or ""
        return shown[value]

    keys: list[tuple[int, str, int]] = []  # FindingRow.sort_key, packed (see _packed_key)
    for (fid, rule, severity, status, due, site_id, section_id, dep, period, message, uncertain, first_detected,
         resolved_at, reopened_count, evidence_url, captured_at, deduct) in findings:  # unpacked: Row attributes cost
        indicator = indicators.get(rule)
        severity = severity or (indicator.severity if indicator else "deduct")
        due = date(due)
        overdue = None
        if status in ("fail", "warn") and due and due < as_of:
            overdue = (as_of - due).days
        keys.append((_packed_key(severity, status, overdue, due), dep or "", fid))
        url = str(evidence_url or "") or None
        place = site_names.get(site_id or "", site_id or "")
        if section_id:
            place += " / " + section_names.get((site_id or "", section_id), section_id)
        dep = dep or ""
        rows.append(
            FindingRow(
                id=fid,
                rule=rule,
                rule_name=indicator.name if indicator else rule,
                basis=indicator.basis if indicator and indicator.basis else "（规则包未载明依据）",
                severity=severity,
                department_id=dep,
                department_name=department_names.get(dep, dep or "（未指定部门）"),
                place=place,
                status=status,
                period=period or "",
                due=due,
                overdue_days=overdue,
                message=message,
                evidence_url=url,
                evidence_link=safe_link(url),
                captured_at=captured(captured_at),
                uncertain=bool(uncertain),
                first_detected=day(first_detected),
                resolved=day(resolved_at),
                reopened_count=reopened_count or 0,
                deduct=_deduct(deduct),
            )
        )
    # The order of rows.sort(key=FindingRow.sort_key): the same fields in the same order, a stable sort.
    return [rows[i] for i in sorted(range(len(rows)), key=keys.__getitem__)]


_BITS = 22  # every ordinal (date.max: 3,652,059) and every overdue count (< that) is below 2**22
_MAX_ORDINAL = dt.date.max.toordinal()


def _packed_key(severity: str, status: str, overdue: int | None, due: dt.date | None) -> int:
    """FindingRow.sort_key's first four fields as one integer in the same order.

    A province's 136,000 rows sort faster on (int, department, id) than on the six-field tuple
    with dates, and the key needs no property call per row. ``overdue``: None or the days
    from ``due`` to as_of (0 < days < 2**22).
    """
    veto = 0 if (severity == "veto" and status == "fail") else 1
    ordinal = due.toordinal() if due else _MAX_ORDINAL
    head = veto * 10 + _STATUS_RANK.get(status, 9)
    return (((head << _BITS) | (2**_BITS - 1 - (overdue or 0))) << _BITS) | ordinal


def department_rows(
    rows: Iterable[FindingRow], departments: Iterable[tuple[str, str]]
) -> list[DepartmentRow]:
    """Counts by status per department (configured departments always appear), worst first."""
    by_id = {dep_id: DepartmentRow(dep_id, name) for dep_id, name in departments}
    for r in rows:
        dep = by_id.setdefault(r.department_id, DepartmentRow(r.department_id, r.department_name))
        status = r.status if r.is_open or r.status == "pass" else "pass"
        dep.counts[status] = dep.counts.get(status, 0) + 1
        if r.is_open and r.overdue_days:
            dep.overdue += 1
        if r.is_open and r.status == "fail" and r.severity == "veto":
            dep.veto += 1
    return sorted(by_id.values(), key=lambda d: d.sort_key)


def overall_status(deps: Iterable[DepartmentRow]) -> str:
    deps = list(deps)
    if any(d.veto for d in deps):
        return "存在单项否决问题"
    if any(d.counts["fail"] for d in deps):
        return "存在未通过项"
    if any(d.counts["unknown"] for d in deps):
        return "部分栏目无法判断"
    return "全部通过"


def _timestamp(value: dt.datetime | str | None) -> dt.datetime | None:
    """A stored naive timestamp: SQLite text (``2026-11-20 01:02:03.000000``) or the driver's datetime."""
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    return value


def _deduct(value: Any) -> float | None:
    """A finding's own deduction (``details.deduct``) when it is a non-negative number."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return None
