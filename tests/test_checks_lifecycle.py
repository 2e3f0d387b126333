"""Findings lifecycle (persist → resolve → reopen; unknown never clears a fail) and as-of cutoffs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from checks_builders import Store, make_config
from sqlalchemy import select

from checks.engine import FindingResult, run_checks
from checks.lifecycle import record_results
from store.db import Database
from store.models import Finding, FindingEvent

D = dt.date


def result(status: str, period: str = "2026-10", rule: str = "shanting.19") -> FindingResult:
    return FindingResult(rule=rule, kind="cadence", site="portal", section="dibao", department="mzj", status=status,
                         period=period, due=D(2026, 11, 30), message=f"状态 {status}",
                         evidence=[{"url": "http://127.0.0.1/x", "captured_at": "2026-12-01T00:00:00"}],
                         details={"when": D(2026, 12, 1)})


def finding(db: Database, key: str = "shanting.19|portal|dibao|2026-10") -> Finding | None:
    with db.session() as s:
        return s.scalar(select(Finding).where(Finding.key == key))


def events(db: Database) -> list[tuple[str | None, str]]:
    with db.session() as s:
        return [(e.old_status, e.new_status) for e in s.scalars(select(FindingEvent).order_by(FindingEvent.id))]


def at(day: int) -> dt.datetime:
    return dt.datetime(2026, 12, day, 1, 0)


def test_persist_resolve_reopen(db_url: str) -> None:
    db = Database(db_url)
    record_results(db, [result("fail")], D(2026, 12, 1), now=at(1))
    record_results(db, [result("fail")], D(2026, 12, 2), now=at(2))
    f = finding(db)
    assert f and f.status == "fail" and f.first_detected == at(1) and f.last_confirmed == at(2)
    assert f.details == {"when": "2026-12-01"}

    record_results(db, [result("unknown")], D(2026, 12, 3), now=at(3))
    f = finding(db)
    assert f.status == "fail" and f.resolved_at is None and f.last_confirmed == at(2)

    record_results(db, [result("pass")], D(2026, 12, 4), now=at(4))
    f = finding(db)
    assert f.status == "pass" and f.resolved_at == at(4) and f.first_detected == at(1)

    record_results(db, [result("unknown")], D(2026, 12, 5), now=at(5))
    assert finding(db).status == "pass"  # unknown does not reopen either

    record_results(db, [result("fail")], D(2026, 12, 6), now=at(6))
    f = finding(db)
    assert f.status == "fail" and f.resolved_at is None and f.reopened_count == 1 and f.first_detected == at(1)
    assert events(db) == [(None, "fail"), ("fail", "pass"), ("pass", "fail")]
    db.dispose()


def test_pass_without_history_is_not_stored_and_unknown_is(db_url: str) -> None:
    db = Database(db_url)
    record_results(db, [result("pass", "2026-09"), result("unknown", "2026-10")], D(2026, 12, 1), now=at(1))
    assert finding(db, "shanting.19|portal|dibao|2026-09") is None
    assert finding(db).status == "unknown"
    record_results(db, [result("pass", "2026-10")], D(2026, 12, 2), now=at(2))
    f = finding(db)
    assert f.status == "pass" and f.resolved_at == at(2)
    db.dispose()


def test_an_older_as_of_does_not_rewrite_history(db_url: str) -> None:
    db = Database(db_url)
    record_results(db, [result("fail")], D(2026, 12, 5), now=at(5))
    record_results(db, [result("pass")], D(2026, 12, 1), now=at(6))
    assert finding(db).status == "fail"
    db.dispose()


def test_warn_fail_switch_is_an_event(db_url: str) -> None:
    db = Database(db_url)
    record_results(db, [result("warn")], D(2026, 12, 1), now=at(1))
    record_results(db, [result("fail")], D(2026, 12, 2), now=at(2))
    assert finding(db).status == "fail" and finding(db).reopened_count == 0
    assert events(db) == [(None, "warn"), ("warn", "fail")]
    db.dispose()


# --------------------------------------------------------------------------- the engine sees only what was stored by then


def test_as_of_sees_only_rows_stored_by_then_and_records(tmp_path: Path) -> None:
    config = make_config(tmp_path, [{"id": "dibao", "indicator": "shanting.19", "department": "mzj",
                                     "params": '{ keywords = [] }'}])
    store = Store(config)
    store.crawl("dibao", D(2026, 11, 20), "blocked", "瑞数 HTTP 412")
    store.crawl("dibao", D(2026, 12, 2))
    store.item("dibao", "2026年9月城乡低保发放情况", D(2026, 10, 10), seen=D(2026, 11, 20))
    # Published (by its date) on 11-28 but first seen by the monitor only on 12-02:
    store.item("dibao", "2026年10月城乡低保发放情况", D(2026, 11, 28), seen=D(2026, 12, 2))

    def status(as_of: dt.date, period: str = "2026-10", record: bool = False) -> str | None:
        got = {r.period: r for r in run_checks(config, store.db, as_of, record=record) if r.rule == "shanting.19"}
        return got[period].status if period in got else None

    assert status(D(2026, 11, 21), "2026-09") == "unknown"  # the only crawl by then was blocked
    assert status(D(2026, 12, 1)) == "unknown"  # still the blocked crawl: never a fail
    assert status(D(2026, 12, 2)) == "pass"  # the 12-02 crawl saw the October list (dated 11-28)
    assert status(D(2026, 12, 2), "2026-09") == "pass"

    run_checks(config, store.db, D(2026, 12, 1), record=True)
    f = finding(store.db)
    assert f is not None and f.status == "unknown" and f.department_id == "mzj"
    run_checks(config, store.db, D(2026, 12, 2), record=True)
    f = finding(store.db)
    assert f.status == "pass" and f.resolved_at is not None
    assert f.evidence and f.evidence[0]["url"].endswith(".html") and f.evidence[0]["captured_at"]
    store.close()


def test_list_evidence_carries_warc_pointer(tmp_path: Path) -> None:
    config = make_config(tmp_path, [{"id": "gzdt", "indicator": "shanting.01"}])
    store = Store(config)
    store.crawl("gzdt", D(2026, 11, 20), "empty")
    [r] = [r for r in run_checks(config, store.db, D(2026, 11, 22), record=False) if r.rule == "shanting.01"]
    assert r.status == "fail"  # an empty list that was read is a blank section
    assert r.evidence[0]["warc_file"] == "portal/2026.warc.gz" and r.evidence[0]["captured_at"]
    store.close()


def test_list_evidence_is_the_first_page_of_the_newest_crawl(tmp_path: Path) -> None:
    from checks_builders import local

    from checks.queries import list_evidence
    from store.models import ListSnapshot

    config = make_config(tmp_path, [{"id": "gzdt", "indicator": "shanting.01"}])
    store = Store(config)
    store.crawl("gzdt", D(2026, 11, 20))
    with store.db.session() as s:
        run_id = s.scalar(select(ListSnapshot.run_id))
        s.add(ListSnapshot(run_id=run_id, site_id="portal", section_id="gzdt", page_no=1, outcome="ok",
                           url="http://127.0.0.1:8765/gzdt/index_1.html", captured_at=local(D(2026, 11, 20), 7)))
    store.crawl("gzdt", D(2026, 11, 25))  # after the cutoff below: invisible
    with store.db.session() as s:
        [ev] = list_evidence(s, "portal", "gzdt", local(D(2026, 11, 21), 0))
    assert ev["url"] == "http://127.0.0.1:8765/gzdt/index.html"
    assert ev["captured_at"] == local(D(2026, 11, 20), 6).isoformat()
    store.close()


def test_absence_findings_carry_the_list_page_they_were_judged_on(tmp_path: Path) -> None:
    """"未公开" is judged on the list: that capture is its evidence, for every kind that reports absence."""
    config = make_config(tmp_path, [{"id": "dibao", "indicator": "shanting.19", "department": "mzj"}])
    store = Store(config)
    store.crawl("dibao", D(2026, 11, 20))
    store.item("dibao", "2026年8月城乡低保发放情况", D(2026, 9, 5), seen=D(2026, 11, 20))
    results = [r for r in run_checks(config, store.db, D(2026, 11, 22), record=False) if r.rule == "shanting.19"]
    missing = [r for r in results if r.status == "fail"]
    assert missing, [(r.period, r.status) for r in results]
    for r in missing:
        assert r.evidence, r.message
        assert r.evidence[0]["warc_file"] == "portal/2026.warc.gz" and r.evidence[0]["captured_at"]
    store.close()


def test_rewritten_findings_keep_or_change_their_department(db_url: str) -> None:
    """A rewrite leaves department_id out of the UPDATE when it is the stored one, and writes a changed one."""
    from dataclasses import replace

    from checks.lifecycle import plan_batch

    db = Database(db_url)
    other = result("fail", period="2026-09")
    record_results(db, [result("fail"), other], D(2026, 12, 1), now=at(1))
    moved = replace(other, department="czj", message="部门已变")
    with db.session() as s:
        plan = plan_batch(s, [result("fail"), moved], D(2026, 12, 2), at(2))
    assert len(plan.same_department) == 1 and len(plan.full) == 1
    record_results(db, [result("fail"), moved], D(2026, 12, 2), now=at(2))
    kept, changed = finding(db), finding(db, "shanting.19|portal|dibao|2026-09")
    assert kept is not None and kept.department_id == "mzj" and kept.last_confirmed == at(2)
    assert changed is not None and changed.department_id == "czj" and changed.message == "部门已变"
    assert changed.last_confirmed == at(2)
