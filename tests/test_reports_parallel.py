"""Department reports built in two processes are the same as built in one (files, outbox rows, messages)."""

from __future__ import annotations

import email
from email.policy import default
from pathlib import Path

from reports_dataset import AS_OF, populate, write_settings
from sqlalchemy import select

from reports import build
from store.models import OutboxMessage


def _run(tmp: Path, workers: int) -> tuple[list[str], dict[str, bytes], dict[str, tuple]]:
    tmp.mkdir()
    config = write_settings(tmp)
    db = populate(config)
    try:
        paths = build.build_and_queue(config, db, "department", AS_OF, workers=workers)
        files = {p.name: p.read_bytes() for p in paths}
        with db.session() as s:
            rows = {}
            for m in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)):
                msg = email.message_from_bytes(m.payload, policy=default)
                parts = [(p.get_content_type(), p.get_content()) for p in msg.walk() if not p.is_multipart()]
                rows[m.idem_key] = (m.recipient, m.subject, m.kind, m.period, msg["To"], msg["Subject"], parts)
    finally:
        db.dispose()
    return [p.name for p in paths], files, rows


def test_two_processes_build_the_same_department_reports(tmp_path: Path) -> None:
    names_one, files_one, rows_one = _run(tmp_path / "one", 1)
    names_two, files_two, rows_two = _run(tmp_path / "two", 2)
    assert names_one == names_two and len(names_one) == 9  # config order: 3 departments × html, txt, xlsx
    assert files_one == files_two  # XLSX bytes too: the writer is deterministic
    assert rows_one == rows_two and rows_one
    assert {k.split("|")[0] for k in rows_two} >= {"department:mzj", "department:czj"}


def test_workers_default_by_department_count() -> None:
    assert build._workers(None, 3) == 1
    assert build._workers(None, build.PARALLEL_MIN) >= 1
    assert build._workers(3, 1) == 3 and build._workers(0, 500) == 1


def test_shares_balance_the_work_not_the_count() -> None:
    ids = [f"d{i:03d}" for i in range(10)]
    weights = {dep: (2000 if i % 2 == 0 else 30) for i, dep in enumerate(ids)}  # every other one is big
    shares = build.balanced_shares(ids, weights, 2)
    assert sorted(sum(shares, [])) == ids and all(s == sorted(s) for s in shares)
    loads = [sum(weights[d] + build.DEPARTMENT_COST for d in s) for s in shares]
    assert max(loads) - min(loads) <= 2000 + build.DEPARTMENT_COST  # by position: 10,000 against 150
    assert build.balanced_shares(ids, {}, 3) == [ids[0::3], ids[1::3], ids[2::3]]  # no findings: by count
