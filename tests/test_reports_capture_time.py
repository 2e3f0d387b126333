"""Report rows show evidence capture times in the configured zone with their offset.

The crawler stores naive UTC; a report that printed it bare read as Beijing time, 8 hours early.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from reports.model import finding_rows


def _row(captured_at: object) -> tuple:
    return (1, "generic.weekly", "deduct", "fail", dt.date(2026, 11, 20), "portal", "gzdt", "bgs", "2026-W47",
            "三周未更新", False, dt.datetime(2026, 11, 20, 1, 0), None, 0, "http://127.0.0.1/gzdt/", captured_at, None)


def test_naive_utc_capture_time_is_shown_in_the_configured_zone_with_offset() -> None:
    rows = finding_rows(
        [_row("2026-12-01T07:02:56"), _row("2026-11-20T06:00:00+08:00"), _row(None)],
        as_of=dt.date(2026, 12, 1), tz=ZoneInfo("Asia/Shanghai"), indicators={},
        department_names={}, site_names={}, section_names={},
    )
    assert sorted(r.captured_at for r in rows) == ["", "2026-11-20T06:00:00+08:00", "2026-12-01T15:02:56+08:00"]
