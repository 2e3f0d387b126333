"""Working days: chinesecalendar's 2025/2026 data, settings overrides, and the 2027+ fallback."""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import pytest

from checks.calendar import WorkCalendar
from checks.statutory import statutory_holidays
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


def test_2027_falls_back_to_weekdays_less_statutory_holidays_and_says_so() -> None:
    assert CAL.is_workday(D(2027, 3, 1)) == (True, True)  # Monday
    assert CAL.is_workday(D(2027, 3, 6)) == (False, True)  # Saturday
    assert CAL.is_workday(D(2027, 1, 1)) == (False, True)  # 元旦, a Friday
    assert CAL.add_working_days(D(2026, 12, 30), 3) == (D(2027, 1, 5), True)  # 12-31, 01-04, 01-05
    # 春节 2027: 除夕 5 February (Friday) to 初三 8 February (Monday); 中秋 15 September (Wednesday).
    assert [CAL.is_workday(D(2027, 2, d))[0] for d in (4, 5, 8, 9)] == [True, False, False, True]
    assert CAL.is_workday(D(2027, 9, 15)) == (False, True)


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_statutory_holidays_are_official_holidays_in_the_years_with_data(year: int) -> None:
    """The fallback's days off by the law (2024 revision: 13 days) are all holidays in the State Council's
    arrangements that chinesecalendar holds; lunar 春节, 端午, 中秋 and solar-term 清明 included."""
    days = statutory_holidays(year)
    assert len(days) == 13 and set(days.values()) == {"元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"}
    assert [d for d in days if not chinese_calendar.is_holiday(d)] == []


def test_statutory_holidays_outside_the_lunar_tables_keep_the_solar_dated_days() -> None:
    assert sorted(statutory_holidays(2150).values()) == ["元旦", "劳动节", "劳动节", "国庆节", "国庆节", "国庆节"]


def test_configured_holidays_and_workdays_override_and_extend() -> None:
    cal = WorkCalendar(CalendarConfig(holidays=(D(2027, 2, 8), D(2026, 11, 20)), workdays=(D(2027, 2, 6),)))
    assert cal.is_workday(D(2027, 2, 8)) == (False, False)  # configured 春节 holiday, Monday
    assert cal.is_workday(D(2027, 2, 6)) == (True, False)  # configured 调休 Saturday
    assert cal.is_workday(D(2027, 2, 9)) == (True, False)  # a year the settings cover counts as known
    assert cal.is_workday(D(2026, 11, 20)) == (False, False)  # override beats the package data
    assert cal.add_working_days(D(2027, 2, 5), 1) == (D(2027, 2, 6), False)
    assert cal.add_working_days(D(2027, 2, 6), 1) == (D(2027, 2, 9), False)
    assert WorkCalendar().is_workday(D(2027, 2, 9)) == (True, True)
