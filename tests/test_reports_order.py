"""finding_rows sorts by a packed key: the same order as FindingRow.sort_key (worst first)."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

from reports.model import finding_rows

AS_OF = dt.date(2026, 11, 20)


def _findings(rng: random.Random, n: int) -> list[tuple]:
    out = []
    for fid in rng.sample(range(1, 10 * n), n):
        due = rng.choice([None, "0001-01-01", "2026-11-19", "2026-11-20", "2026-11-21", "9999-12-31",
                          (AS_OF - dt.timedelta(days=rng.randint(0, 400))).isoformat()])
        out.append((fid, rng.choice(["r.a", "r.b"]), rng.choice([None, "veto", "deduct", "info"]),
                    rng.choice(["fail", "warn", "unknown", "pass", "odd"]), due, "s1", rng.choice([None, "c1"]),
                    rng.choice([None, "", "d1", "d2", "d10"]), "2026-W46", f"m{fid}", 0, "2026-11-01 00:00:00.000000",
                    None, 0, None, None, None))
    return out


def _rows(findings: list[tuple]) -> list:
    return finding_rows(findings, as_of=AS_OF, tz=ZoneInfo("Asia/Shanghai"), indicators={}, department_names={},
                        site_names={}, section_names={})


def test_packed_order_equals_the_sort_key_order() -> None:
    rng = random.Random(5)
    for n in (0, 1, 2, 50, 3000):
        rows = _rows(_findings(rng, n))
        assert [r.id for r in rows] == [r.id for r in sorted(rows, key=lambda r: r.sort_key)]


def test_the_longest_overdue_and_the_latest_due_keep_their_places() -> None:
    rng = random.Random(6)
    findings = _findings(rng, 200)
    findings[7] = (findings[7][0], "r.a", "deduct", "fail", "0001-01-01", *findings[7][5:])  # 739,939 days overdue
    findings[8] = (findings[8][0], "r.a", "veto", "fail", "0001-01-01", *findings[8][5:])
    rows = _rows(findings)
    assert [r.id for r in rows] == [r.id for r in sorted(rows, key=lambda r: r.sort_key)]
    assert rows[0].id == findings[8][0] and rows[0].overdue_days == (AS_OF - dt.date.min).days
