"""Chinese working days: chinesecalendar data, settings overrides, and a marked fallback.

Order of precedence for one date:
1. ``[calendar] holidays`` / ``workdays`` in settings.toml (override and extend the data);
2. the chinesecalendar package (holidays and 调休 working weekends, 2004 up to its last year);
3. Monday–Friday less the statutory holidays of that year (``checks.statutory``: 元旦, 春节, 清明,
   劳动节, 端午, 中秋, 国庆 by the law, without the yet unknown 调休), with ``uncertain=True`` so a finding
   can say the calendar was guessed.

A year that appears in the settings lists counts as fully configured (its other days follow
Monday–Friday without the uncertain mark): enter the whole 国务院办公厅 notice for that year.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import chinese_calendar

from checks.statutory import statutory_holidays
from zwgk.config import CalendarConfig


class WorkCalendar:
    """Working-day arithmetic; every answer comes with an ``uncertain`` flag."""

    def __init__(self, config: CalendarConfig | None = None) -> None:
        config = config or CalendarConfig()
        self.holidays = frozenset(config.holidays)
        self.workdays = frozenset(config.workdays)
        # Years the settings file covers explicitly count as known, even beyond the package data.
        self.configured_years = frozenset(d.year for d in (*self.holidays, *self.workdays))
        # chinese_calendar validates every date against its whole table (min/max over dicts):
        # answers are memoised per date, and add_working_days per (start, n).
        self._days: dict[dt.date, tuple[bool, bool]] = {}
        self._added: dict[tuple[dt.date, int], tuple[dt.date, bool]] = {}

    def is_workday(self, day: dt.date) -> tuple[bool, bool]:
        """(is a working day, uncertain)."""
        known = self._days.get(day)
        if known is None:
            known = self._days[day] = self._is_workday(day)
        return known

    def _is_workday(self, day: dt.date) -> tuple[bool, bool]:
        if day in self.workdays:
            return True, False
        if day in self.holidays:
            return False, False
        try:
            return bool(chinese_calendar.is_workday(day)), False
        except NotImplementedError:
            if day.year in self.configured_years:
                return day.weekday() < 5, False
            return day.weekday() < 5 and day not in statutory_holidays(day.year), True

    def add_working_days(self, start: dt.date, n: int) -> tuple[dt.date, bool]:
        """The n-th working day after ``start`` (start itself not counted); n=0 returns start."""
        known = self._added.get((start, n))
        if known is None:
            known = self._added[(start, n)] = self._add_working_days(start, n)
        return known

    def _add_working_days(self, start: dt.date, n: int) -> tuple[dt.date, bool]:
        day, uncertain, count = start, False, 0
        while count < n:
            day += dt.timedelta(days=1)
            work, unsure = self.is_workday(day)
            uncertain |= unsure
            if work:
                count += 1
        return day, uncertain

    def working_days_between(self, start: dt.date, end: dt.date) -> tuple[int, bool]:
        """Working days in (start, end]: how many working days ``end`` lies after ``start``."""
        count, uncertain, day = 0, False, start
        while day < end:
            day += dt.timedelta(days=1)
            work, unsure = self.is_workday(day)
            uncertain |= unsure
            count += work
        return count, uncertain

    def workdays_in(self, days: Iterable[dt.date]) -> tuple[list[dt.date], bool]:
        """The working days among ``days``."""
        out, uncertain = [], False
        for day in days:
            work, unsure = self.is_workday(day)
            uncertain |= unsure
            if work:
                out.append(day)
        return out, uncertain
