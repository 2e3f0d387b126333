"""Date parsing helpers shared by the list, article and URL extractors."""

from __future__ import annotations

import datetime as dt
import re

# 2016-11-22 09:53 | 2025-03-27 09:36:38 | 2007-08-20-23:59:59 | 2025年2月25日 | 2024.03.15 | 2024/3/5
_DATE = r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)(?:\s*日)?"
_TIME = r"(?:(?:[T-]|\s*)(\d{1,2})\s*[:：时]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2}))?)?"
DATETIME_RE = re.compile(_DATE + _TIME)
DATE_RE = re.compile(_DATE)

# Dates carried by URLs: TRS t20221104_38205, Hanweb /art/2016/11/22/, /20221104/, /202511/.
_URL_PATTERNS = (
    (re.compile(r"[/_]t((?:19|20)\d{2})(\d{2})(\d{2})_\d+"), 3),
    (re.compile(r"/art/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})/"), 3),
    (re.compile(r"/((?:19|20)\d{2})-?(\d{2})-?(\d{2})/"), 3),
    (re.compile(r"/((?:19|20)\d{2})(\d{2})/"), 2),
)


def _mk_date(y: str, m: str, d: str) -> dt.date | None:
    try:
        return dt.date(int(y), int(m), int(d))
    except ValueError:
        return None


def _from_match(m: re.Match[str]) -> dt.datetime | None:
    day = _mk_date(m.group(1), m.group(2), m.group(3))
    if day is None:
        return None
    hh, mm, ss = m.group(4), m.group(5), m.group(6)
    if hh is None:
        return dt.datetime(day.year, day.month, day.day)
    try:
        return dt.datetime(day.year, day.month, day.day, int(hh), int(mm), int(ss or 0))
    except ValueError:
        return dt.datetime(day.year, day.month, day.day)


def parse_datetime(text: str | None) -> dt.datetime | None:
    """First valid date(-time) in ``text`` as a naive local datetime (midnight when no time)."""
    if not text:
        return None
    for m in DATETIME_RE.finditer(text):
        value = _from_match(m)
        if value is not None:
            return value
    return None


def parse_date(text: str | None) -> dt.date | None:
    """First valid calendar date in ``text``."""
    value = parse_datetime(text)
    return value.date() if value else None


def date_from_url(url: str) -> dt.date | None:
    """Date carried by the URL path (last resort: URLs often hold the regeneration date).

    A month-only path (``/202511/``) gives the first day of that month.
    """
    path = url.split("?", 1)[0]
    for pattern, groups in _URL_PATTERNS:
        m = pattern.search(path)
        if not m:
            continue
        day = _mk_date(m.group(1), m.group(2), m.group(3) if groups == 3 else "1")
        if day is not None:
            return day
    return None


# Visible publication dates on article pages. The label must not be part of 成文日期,
# 页面生成时间, 更新时间 … (fixed-width look-behind over the two characters before it).
_PAGE_LABEL = re.compile(
    r"(?<!成文|生成|更新|修改|打印|截止|开始|结束|办结|答复|访问|登记|受理|失效|废止|生效|实施|印发)"
    r"(发布日期|发布时间|发布于|发表时间|发稿时间|上传时间|公开日期|公开时间|时间|日期)\s*[:：]?\s*"
)


def find_page_date(text: str) -> dt.datetime | None:
    """A date written after a publication label (发布日期/时间/日期 …) in visible text."""
    for m in _PAGE_LABEL.finditer(text):
        d = DATETIME_RE.match(text, m.end())
        if d:
            value = _from_match(d)
            if value is not None:
                return value
    return None
