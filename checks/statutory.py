"""The statutory public holidays of 《全国年节及纪念日放假办法》 (revised 2024, in force 1 January 2025).

A year's days off are known from the law before the State Council announces its arrangement; the
调休 working weekends and the days given in lieu are not, so a calendar built from these alone stays
marked uncertain. Lunar dates come from ``lunardate`` (tables 1900–2099), 清明 from chinesecalendar's
solar terms.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

from chinese_calendar import get_solar_terms
from lunardate import LunarDate

D = dt.date


@cache
def statutory_holidays(year: int) -> dict[dt.date, str]:
    """Day -> holiday name: 元旦 1, 春节 4 (除夕 to 初三), 清明 1, 劳动节 2, 端午 1, 中秋 1, 国庆 3 days."""
    days: dict[dt.date, str] = {D(year, 1, 1): "元旦", D(year, 5, 1): "劳动节", D(year, 5, 2): "劳动节"}
    days.update({D(year, 10, n): "国庆节" for n in (1, 2, 3)})
    try:
        new_year = LunarDate(year, 1, 1).to_solar_date()
        days.update({new_year + dt.timedelta(days=n): "春节" for n in (-1, 0, 1, 2)})
        days[LunarDate(year, 5, 5).to_solar_date()] = "端午节"
        days[LunarDate(year, 8, 15).to_solar_date()] = "中秋节"
    except (ValueError, IndexError):  # outside lunardate's tables: the solar-dated holidays only
        pass
    try:
        terms = get_solar_terms(D(year, 4, 1), D(year, 4, 10))
    except NotImplementedError:  # outside chinesecalendar's 1900–2100
        terms = []
    days.update({day: "清明节" for day, name in terms if name == "清明"})
    return days
