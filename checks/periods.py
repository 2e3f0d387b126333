"""Reporting periods: labels, bounds, deadlines, and the period a title speaks about."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}


@dataclass(frozen=True, order=True)
class Period:
    """A calendar period: frequency plus start and end dates (inclusive)."""

    start: dt.date
    end: dt.date
    frequency: str  # weekly | monthly | quarterly | half_yearly | yearly

    @cached_property  # periods are shared (period_of is memoised): the label is built once
    def label(self) -> str:
        if self.frequency == "weekly":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        if self.frequency == "monthly":
            return f"{self.start.year}-{self.start.month:02d}"
        if self.frequency == "quarterly":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.frequency == "half_yearly":
            return f"{self.start.year}-H{1 if self.start.month <= 6 else 2}"
        return str(self.start.year)

    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=n) for n in range((self.end - self.start).days + 1)]


def month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def add_months(year: int, month: int, n: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + n
    return index // 12, index % 12 + 1


_MONTHS_PER = {"monthly": 1, "quarterly": 3, "half_yearly": 6, "yearly": 12}


@lru_cache(maxsize=8192)
def period_of(day: dt.date, frequency: str) -> Period:
    """The period of ``frequency`` that contains ``day`` (memoised: periods are immutable, days repeat)."""
    if frequency == "weekly":
        start = day - dt.timedelta(days=day.weekday())
        return Period(start, start + dt.timedelta(days=6), "weekly")
    size = _MONTHS_PER[frequency]
    first_month = (day.month - 1) // size * size + 1
    last_year, last_month = add_months(day.year, first_month, size - 1)
    return Period(dt.date(day.year, first_month, 1), month_end(last_year, last_month), frequency)


def previous(period: Period) -> Period:
    return period_of(period.start - dt.timedelta(days=1), period.frequency)


def recent_periods(as_of: dt.date, frequency: str, count: int) -> list[Period]:
    """The period containing ``as_of`` and the ``count`` periods before it, oldest first."""
    periods = [period_of(as_of, frequency)]
    for _ in range(count):
        periods.append(previous(periods[-1]))
    return sorted(periods)


def deadline(period: Period, offset_months: int, due_day: int | str) -> dt.date:
    """Due date: day ``due_day`` ("end" = last day) of the month ``offset_months`` after the period's last month."""
    year, month = add_months(period.end.year, period.end.month, offset_months)
    if due_day == "end":
        return month_end(year, month)
    return min(dt.date(year, month, 1) + dt.timedelta(days=int(due_day) - 1), month_end(year, month))


# --------------------------------------------------------------------------- periods named in titles

_MONTH_RE = re.compile(r"(20\d{2})\s*年\s*(?:第\s*)?(\d{1,2})\s*月(?!\s*[—\-至到~～]\s*\d)")
_MONTH_RANGE_RE = re.compile(r"(20\d{2})\s*年\s*(\d{1,2})\s*[—\-至到~～]\s*(\d{1,2})\s*月")
_BARE_MONTH_RE = re.compile(r"(?<![\d年])(\d{1,2})\s*月(?:份)?(?!\s*\d{1,2}\s*日)")
_QUARTER_RE = re.compile(r"(20\d{2})\s*年\s*(?:度\s*)?第?\s*([一二三四1-4])\s*季度")
_HALF_RE = re.compile(r"(20\d{2})\s*年\s*(?:度\s*)?([上下])\s*半年")
_YEAR_RE = re.compile(r"(20\d{2})\s*年")


def title_period(title: str, frequency: str, published: dt.date | None = None) -> Period | None:
    """The period a title names for this frequency, e.g. "2026年10月城乡低保发放情况" → 2026-10.

    A month without a year ("10月份低保发放情况") is the latest such month not after ``published``.
    """
    found = _title_period(title or "", frequency)
    if type(found) is int:  # a bare month
        if not published:
            return None
        year = published.year if found <= published.month else published.year - 1
        return period_of(dt.date(year, found, 1), "monthly")
    return found  # type: ignore[return-value]


@lru_cache(maxsize=65536)
def _title_period(title: str, frequency: str) -> Period | int | None:
    """``title_period`` without the publication date: a period, a bare month number (1–12), or None.
    Memoised per title: the same list titles come back in every section and every run."""
    if frequency == "monthly":
        m = _MONTH_RE.search(title)
        if m and 1 <= int(m.group(2)) <= 12:
            return period_of(dt.date(int(m.group(1)), int(m.group(2)), 1), "monthly")
        r = _MONTH_RANGE_RE.search(title)  # "1-10月" cumulative reports cover the last month named
        if r and 1 <= int(r.group(3)) <= 12:
            return period_of(dt.date(int(r.group(1)), int(r.group(3)), 1), "monthly")
        bare = _BARE_MONTH_RE.search(title)
        if bare and 1 <= int(bare.group(1)) <= 12 and not _YEAR_RE.search(title):
            return int(bare.group(1))
        return None
    if frequency == "quarterly":
        m = _QUARTER_RE.search(title)
        if m:
            q = _CN_DIGITS[m.group(2)]
            return period_of(dt.date(int(m.group(1)), 3 * q - 2, 1), "quarterly")
        return None
    if frequency == "half_yearly":
        m = _HALF_RE.search(title)
        if m:
            return period_of(dt.date(int(m.group(1)), 1 if m.group(2) == "上" else 7, 1), "half_yearly")
        return None
    if frequency == "yearly":
        m = _YEAR_RE.search(title)
        if m:
            return period_of(dt.date(int(m.group(1)), 1, 1), "yearly")
    return None


def publication_period(published: dt.date, frequency: str, offset_months: int) -> Period:
    """The period a list published on ``published`` covers when its title names none."""
    year, month = add_months(published.year, published.month, -offset_months)
    return period_of(dt.date(year, month, 1), frequency)
