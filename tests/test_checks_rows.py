"""checks.rows.tuples: the driver's rows with SQLAlchemy's own conversions, equal to ``execute(...).all()``."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, insert, select

from checks.rows import tuples
from store.db import Database
from store.models import AvailabilityProbe, Page


def _fill(db: Database) -> None:
    with db.session() as session:
        session.execute(insert(Page), [
            {"id": n, "url": f"http://x/{n}", "site_id": "s", "fetched_at": dt.datetime(2026, 11, n % 3 + 1, 2, 30, n),
             "outcome": "ok", "meta": {"pubdate": f"2026-11-0{n % 3 + 1}"} if n % 2 else None,
             "written_date": dt.date(2026, 10, n % 2 + 1) if n % 4 else None}
            for n in range(1, 9)])
        session.execute(insert(AvailabilityProbe), [
            {"site_id": "s", "url": "http://x/", "probed_at": dt.datetime(2026, 11, 20, h), "ok": h % 3 != 0,
             "http_status": 200, "reason": "ok", "ipv6": None} for h in range(6)])


def test_tuples_equal_sqlalchemy_rows(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = Database(f"sqlite:///{tmp_path / 'r.db'}")
    _fill(db)
    pages = (select(Page.id, Page.url, Page.fetched_at, Page.meta, Page.written_date)
             .where(Page.id.in_(bindparam("ids", expanding=True)), Page.fetched_at < dt.datetime(2026, 11, 3))
             .order_by(Page.id))
    probes = select(AvailabilityProbe.probed_at, AvailabilityProbe.ok).order_by(AvailabilityProbe.probed_at)
    with db.session() as session:
        connection = session.connection()
        expected = [tuple(row) for row in connection.execute(pages, {"ids": [1, 2, 3, 4, 5, 7]}).all()]
        got = tuples(connection, pages, {"ids": [1, 2, 3, 4, 5, 7]})
        assert got == expected and len(got) == 4  # the datetime bound as SQLAlchemy binds it: 3 Nov excluded
        assert [type(v) for v in got[0]] == [type(v) for v in expected[0]]
        assert isinstance(got[0][2], dt.datetime) and got[0][3] == {"pubdate": "2026-11-02"}
        assert [r[0] for r in got] == [1, 3, 4, 7] and got[2][3] is None and got[2][4] is None
        assert got[0][3] is not got[1][3]  # JSON values are not shared between rows (mutable)
        flags = tuples(connection, probes)
        assert flags == [tuple(r) for r in connection.execute(probes).all()]
        assert [type(ok) for _, ok in flags] == [bool] * 6
        assert tuples(connection, pages, {"ids": [99]}) == []
    db.dispose()
