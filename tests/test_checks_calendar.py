"""Working days: chinesecalendar's 2025/2026 data, settings overrides, and the 2027+ fallback."""

from __future__ import annotations

import datetime as dt

import pytest

from checks.calendar import WorkCalendar
from zwgk.config import CalendarConfig

D = dt.date
CAL = WorkCalendar()


@pytest.mark.parametrize(
    ("day", "workday"),
    [
        (D(2026, 10, 1), False),  # 国庆 2026: 10-01..10-07
        (D(2026, 10, 7), False),
        (D(2026, 10, 8), True),
        (D(2026, 10, 10), True),  # Saturday 调休 working day
        (D(2026, 9, 20), True),  # Sunday 调休 working day
        (D(2026, 9, 27), False),  # Sunday, 中秋 holiday (not a 调休 day)
        (D(2026, 2, 14), True),  # Saturday before 春节, 调休
        (D(2026, 2, 16), False),  # 春节 2026-02-15..02-23
        (D(2026, 2, 23), False),
        (D(2026, 2, 24), True),
        (D(2026, 2, 28), True),  # Saturday 调休
        (D(2025, 9, 28), True),  # Sunday 调休 before 国庆 2025
        (D(2025, 10, 8), False),
        (D(2025, 10, 11), True),  # Saturday 调休
    ],
)
def test_chinesecalendar_facts(day: dt.date, workday: bool) -> None:
    assert CAL.is_workday(day) == (workday, False)


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        (D(2026, 9, 30), 3, D(2026, 10, 10)),  # 10-08, 10-09, 10-10 (Sat 调休)
        (D(2026, 9, 30), 4, D(2026, 10, 12)),
        (D(2026, 2, 13), 1, D(2026, 2, 14)),  # Friday → Saturday 调休
        (D(2026, 2, 14), 1, D(2026, 2, 24)),  # across 春节
        (D(2026, 2, 14), 4, D(2026, 2, 27)),
        (D(2026, 2, 14), 5, D(2026, 2, 28)),  # Saturday 调休
        (D(2026, 11, 20), 0, D(2026, 11, 20)),
    ],
)
def test_add_working_days(start: dt.date, n: int, due: dt.date) -> None:
    assert CAL.add_working_days(start, n) == (due, False)


def test_working_days_between_counts_end_not_start() -> None:
    assert CAL.working_days_between(D(2026, 9, 30), D(2026, 10, 12)) == (4, False)
    assert CAL.working_days_between(D(2026, 9, 30), D(2026, 9, 30)) == (0, False)


def test_2027_falls_back_to_weekdays_and_says_so() -> None:
    assert CAL.is_workday(D(2027, 3, 1)) == (True, True)  # Monday
    assert CAL.is_workday(D(2027, 3, 6)) == (False, True)  # Saturday
    assert CAL.add_working_days(D(2026, 12, 30), 3) == (D(2027, 1, 4), True)  # 12-31, 01-01 (Fri), 01-04


def test_configured_holidays_and_workdays_override_and_extend() -> None:
    cal = WorkCalendar(CalendarConfig(holidays=(D(2027, 2, 8), D(2026, 11, 20)), workdays=(D(2027, 2, 6),)))
    assert cal.is_workday(D(2027, 2, 8)) == (False, False)  # configured 春节 holiday, Monday
    assert cal.is_workday(D(2027, 2, 6)) == (True, False)  # configured 调休 Saturday
    assert cal.is_workday(D(2027, 2, 9)) == (True, False)  # a year the settings cover counts as known
    assert cal.is_workday(D(2026, 11, 20)) == (False, False)  # override beats the package data
    assert cal.add_working_days(D(2027, 2, 5), 1) == (D(2027, 2, 6), False)
    assert cal.add_working_days(D(2027, 2, 6), 1) == (D(2027, 2, 9), False)
    assert WorkCalendar().is_workday(D(2027, 2, 9)) == (True, True)
