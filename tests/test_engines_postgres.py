"""The store, the lease and the whole pipeline on PostgreSQL (a server of our own, see engines_support)."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from apscheduler.triggers.interval import IntervalTrigger
from engines_support import PostgresServer, fresh_postgres_url, postgres_server, postgres_url  # noqa: F401
from scheduler_support import local_site, seed_success, wait_for, write_settings
from sqlalchemy import func, inspect, select, update

import scheduler
from store import jobs as jobstore
from store.db import Database
from store.models import CrawlRun, Finding, Item, Link, LinkRef, Lock, Page, utcnow
from zwgk.app import open_app
from zwgk.cli import main
from zwgk.config import load_config

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.engines


def test_migrations_apply_on_postgres(fresh_postgres_url: str) -> None:  # noqa: F811
    db = Database(fresh_postgres_url)
    try:
        tables = set(inspect(db.engine).get_table_names())
        assert {"items", "findings", "locks", "alembic_version"} <= tables, tables
        Database(fresh_postgres_url).dispose()  # a second open is a no-op migration
    finally:
        db.dispose()


# --------------------------------------------------------------------------- the pipeline on both engines


def _settings(tmp_path: Path, port: int, database_url: str) -> Path:
    """The committed settings.toml on the demo server's port, a private var/ and the given database."""
    text = (ROOT / "settings.toml").read_text(encoding="utf-8")
    text = text.replace("http://127.0.0.1:8765/", f"http://127.0.0.1:{port}/")
    for key in ("evidence_dir", "reports_dir", "outbox_dir"):
        text = re.sub(rf'^{key} = "var/', f'{key} = "{tmp_path.as_posix()}/var/', text, flags=re.M)
    text, n = re.subn(r'^database_url = ".*?"', f'database_url = "{database_url}"', text, count=1, flags=re.M)
    assert n == 1
    text += "\n[links]\nrecheck_delay_seconds = 1\nper_host_rate = 200.0\nper_host_concurrency = 8\n"
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return path


@dataclass
class EngineRun:
    config_path: Path
    items: list[tuple]
    pages: list[tuple]
    stamps: list[dt.datetime]
    findings: list[tuple]
    results: list[tuple]
    reports: list[Path]


def _gather(config_path: Path) -> None:
    """Crawl, probe and check links: the day's evidence."""
    from zwgk import pipeline
    from zwgk.app import open_app

    app = open_app(config_path)
    try:
        crawl = pipeline.crawl(app)
        assert crawl and all(getattr(o, "ok", True) for o in crawl), crawl
        pipeline.probe_availability(app)
        pipeline.check_links(app)
    finally:
        app.close()


def _judge(config_path: Path, today: dt.date) -> EngineRun:
    """Checks and reports as of ``today`` and the stored rows they left."""
    from zwgk import pipeline
    from zwgk.app import open_app

    app = open_app(config_path)
    try:
        results = pipeline.check(app, today)
        reports = list(pipeline.report(app, "daily", today) or [])
        reports += list(pipeline.report(app, "department", today, department_id="mzj") or [])
        with app.db.session() as s:
            items = sorted(tuple(r) for r in s.execute(select(Item.site_id, Item.section_id, Item.url,
                                                              Item.published, Item.date_source,
                                                              Item.published_at)))
            pages = sorted(tuple(r) for r in s.execute(select(Page.url, Page.outcome, Page.pubdate,
                                                              Page.pubdate_source, Page.doc_number,
                                                              Page.written_date)))
            stamps = [t for t in s.scalars(select(CrawlRun.started_at))]
            stamps += [t for t in s.scalars(select(Finding.first_detected))]
            findings = sorted((tuple(r) for r in s.execute(select(Finding.rule, Finding.site_id, Finding.section_id,
                                                                  Finding.period, Finding.status))), key=repr)
    finally:
        app.close()
    verdicts = sorted(((r.rule, r.site, r.section, r.period, r.status) for r in results), key=repr)
    return EngineRun(config_path, items, pages, stamps, findings, verdicts, [Path(p) for p in reports])


@pytest.fixture(scope="module")
def both_engines(tmp_path_factory, postgres_server: PostgresServer) -> dict[str, EngineRun]:  # noqa: F811
    from zwgk.demo.server import serve
    from zwgk.demo.site import build_site

    today = dt.datetime.now(load_config(ROOT / "settings.toml").general.tz).date()
    server = serve(build_site(today), host="127.0.0.1", port=0)
    try:
        paths = {}
        pg_url = postgres_server.create_database("pipeline")
        for name, url in (("sqlite", None), ("postgresql", pg_url)):
            tmp = tmp_path_factory.mktemp(name)
            paths[name] = _settings(tmp, server.port, url or f"sqlite:///{tmp.as_posix()}/zwgk.db")
            _gather(paths[name])
    finally:
        server.stop()
    # Judged as of the day after both crawls: a run that crossed midnight is still inside it.
    judged = dt.datetime.now(load_config(ROOT / "settings.toml").general.tz).date()
    return {name: _judge(path, judged) for name, path in paths.items()}


def test_pipeline_gives_the_same_items_and_findings_on_postgres(both_engines: dict[str, EngineRun]) -> None:
    lite, pg = both_engines["sqlite"], both_engines["postgresql"]
    assert load_config(pg.config_path).database_url.startswith("postgresql+psycopg://")
    assert len(lite.items) > 50 and any(i[3] is not None for i in lite.items), lite.items[:5]
    assert pg.items == lite.items
    assert len(lite.pages) > 20 and pg.pages == lite.pages
    # Stored times are naive UTC on both (the server's own timezone is Asia/Shanghai: no shift).
    for run in (lite, pg):
        assert run.stamps and all(t.tzinfo is None and abs(utcnow() - t) < dt.timedelta(minutes=10)
                                  for t in run.stamps), run.stamps
    assert {f[4] for f in lite.findings} >= {"fail"}, lite.findings
    assert pg.findings == lite.findings
    assert pg.results == lite.results
    assert any(p.suffix == ".html" for p in pg.reports), pg.reports


def _findings_json(config_path: Path, capsys) -> list[tuple]:  # type: ignore[no-untyped-def]
    assert main(["findings", "--config", str(config_path), "--status", "all", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["findings"]
    return sorted(((r["rule"], r["site"], r["section"], r["period"], r["status"]) for r in rows), key=repr)


def test_cli_status_and_findings_read_postgres(both_engines: dict[str, EngineRun], capsys) -> None:
    lite, pg = both_engines["sqlite"], both_engines["postgresql"]
    capsys.readouterr()
    code = main(["status", "--config", str(pg.config_path)])
    status = capsys.readouterr().out
    assert code in (0, 1), status
    assert "portal" in status and "成功" in status, status  # the crawl run stored on PostgreSQL
    listed = _findings_json(pg.config_path, capsys)
    assert listed and listed == _findings_json(lite.config_path, capsys)
    assert len(listed) == len(pg.findings)


# --------------------------------------------------------------------------- the scheduler lease on PostgreSQL

STALE = dt.timedelta(seconds=90)


def _race(db: Database, holders: list[str]) -> list[str]:
    """All holders try to take the lease at the same moment; returns the winners."""
    barrier = threading.Barrier(len(holders))
    won: list[str] = []

    def contend(holder: str) -> None:
        barrier.wait()
        if jobstore.acquire_lock(db, "scheduler", holder, stale_after=STALE):
            won.append(holder)

    threads = [threading.Thread(target=contend, args=(h,)) for h in holders]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    return won


def test_only_one_contender_gets_the_lease_on_postgres(fresh_postgres_url: str) -> None:  # noqa: F811
    db = Database(fresh_postgres_url)
    try:
        won = _race(db, [f"host{i}:1" for i in range(6)])
        assert len(won) == 1, won
        assert jobstore.lock_info(db, "scheduler").holder == won[0]
        assert not jobstore.acquire_lock(db, "scheduler", "late:1", stale_after=STALE)
        # A stale lease: again exactly one of the contenders takes it over.
        with db.session() as s:
            s.execute(update(Lock).values(heartbeat_at=utcnow() - dt.timedelta(seconds=120)))
        won2 = _race(db, [f"next{i}:2" for i in range(6)])
        assert len(won2) == 1, won2
        info = jobstore.lock_info(db, "scheduler")
        assert info.holder == won2[0] and info.heartbeat_at > utcnow() - dt.timedelta(seconds=60)
        assert not jobstore.heartbeat(db, "scheduler", won[0])  # the old holder learns it lost
        assert jobstore.release_lock(db, "scheduler", won2[0])
        assert jobstore.lock_info(db, "scheduler") is None
    finally:
        db.dispose()


def test_second_scheduler_on_postgres_is_refused(tmp_path: Path, fresh_postgres_url: str) -> None:  # noqa: F811
    with local_site() as (base, list_url, indicator):
        settings = write_settings(tmp_path, base, list_url, indicator)
        text = settings.read_text(encoding="utf-8").replace('database_url = "sqlite:///zwgk.db"',
                                                            f'database_url = "{fresh_postgres_url}"')
        settings.write_text(text, encoding="utf-8")
        config = load_config(settings)
        assert config.database_url == fresh_postgres_url
        app = open_app(settings, config=config)
        jobs = ["crawl:local", "availability", "report_daily", "report_weekly", "outbox"]
        seed_success(app.db, jobs)
        hourly = {k: IntervalTrigger(hours=1) for k in ("crawl", "availability", "report_daily", "report_weekly",
                                                        "outbox")}
        first = scheduler.Daemon(app, scheduler.build_specs(config, hourly), heartbeat_seconds=0.5)
        codes: list[int] = []
        thread = threading.Thread(target=lambda: codes.append(first.serve()), daemon=True)
        thread.start()
        try:
            wait_for(lambda: jobstore.lock_info(app.db, scheduler.LOCK_NAME), 20, "the first scheduler's lease")
            second = subprocess.run(
                [sys.executable, "-m", "zwgk", "schedule", "--config", str(settings), "--max-runtime", "20"],
                cwd=ROOT, capture_output=True, text=True, timeout=60,
            )
            assert second.returncode == 2, second.stderr
            assert "调度器未启动" in second.stderr and first.holder in second.stderr
            assert jobstore.lock_info(app.db, scheduler.LOCK_NAME).holder == first.holder
        finally:
            first.stop("test")
            thread.join(30)
            app.close()
    assert codes == [0]


# --------------------------------------------------------------------------- column limits PostgreSQL enforces


@pytest.fixture(params=["sqlite", "postgresql"])
def any_engine_url(request, tmp_path: Path) -> str:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'zwgk.db'}"
    return request.getfixturevalue("fresh_postgres_url")


def test_overlong_crawled_values_do_not_sink_the_batch(any_engine_url: str) -> None:
    """A share link carrying a whole title, a huge ETag: the rest of the batch is still stored (PG limits)."""
    from crawler.sink import Sink

    db = Database(any_engine_url)
    try:
        sink = Sink(db, run_id=1, site_id="portal")
        page = "http://127.0.0.1/art/1.html"
        sink.add_page(page, outcome="ok", title="通知", etag='"' + "e" * 400 + '"', last_modified="x" * 150)
        sink.add_link(page, "http://127.0.0.1/ok.html", kind="a", text="正常", section_id=None, on_home_page=False)
        sink.add_link(page, "http://service.example.cn/share?title=" + "%E9%80%9A" * 300, kind="a", text="分享",
                      section_id=None, on_home_page=False)
        sink.flush()
        with db.session() as s:
            assert list(s.scalars(select(Link.url))) == ["http://127.0.0.1/ok.html"]
            stored = s.scalars(select(Page)).one()
            assert (stored.url, stored.title, stored.etag, stored.last_modified) == (page, "通知", None, None)
        assert sink.stats["links_too_long"] == 1
    finally:
        db.dispose()


def test_a_redone_list_request_keeps_the_first_snapshot(any_engine_url: str) -> None:
    """A Redis worker died after writing a list page's rows but before committing its claim; another worker
    redoes the request: the run keeps one snapshot of that page and the items point at it."""
    from crawler.sink import ListedRow, Sink
    from store.models import ListSnapshot

    db = Database(any_engine_url)
    try:
        with db.session() as s:
            s.add(CrawlRun(id=7, site_id="portal"))
        url, seen = "http://127.0.0.1/col/dibao/index.html", utcnow()
        for attempt in ("dead worker", "redoing worker"):
            sink = Sink(db, run_id=7, site_id="portal", reuse_snapshots=True)
            key = sink.add_snapshot(section_id="dibao", url=url, page_no=0, outcome="ok", reason=attempt)
            sink.add_item(ListedRow("dibao", "http://127.0.0.1/art/1.html", "低保名单", dt.date(2026, 11, 2),
                                    "list", key, seen))
            sink.flush()
        with db.session() as s:
            [(snapshot_id, reason)] = s.execute(select(ListSnapshot.id, ListSnapshot.reason)).all()
            [item] = s.scalars(select(Item)).all()
        assert reason == "dead worker" and item.first_snapshot_id == item.last_snapshot_id == snapshot_id
        assert sink.stats["snapshots_reused"] == 1
    finally:
        db.dispose()


def test_newest_annual_report_ignores_undated_items_on_every_engine(any_engine_url: str) -> None:
    """ORDER BY published DESC puts NULL last on SQLite but first on PostgreSQL: the query says which."""
    from checks.annual_report.queries import find_report

    db = Database(any_engine_url)
    try:
        with db.session() as s:
            title = "示范区2025年政府信息公开工作年度报告"
            s.add(Item(site_id="portal", section_id="ndbg", url="http://127.0.0.1/ndbg/dated.html", title=title,
                       published=dt.date(2026, 1, 20), date_source="page"))
            s.add(Item(site_id="portal", section_id="ndbg", url="http://127.0.0.1/ndbg/undated.html", title=title,
                       published=None, date_source="none"))
        with db.session() as s:
            found = find_report(s, "portal", "ndbg", 2025)
        assert found is not None and found.url.endswith("/dated.html"), found
    finally:
        db.dispose()


def test_evidence_offsets_past_2_gib_are_stored(any_engine_url: str) -> None:
    """One WARC file per crawl run can pass 2 GiB; INTEGER is 32-bit on PostgreSQL."""
    db = Database(any_engine_url)
    try:
        offset = 3 * 2**30
        with db.session() as s:
            s.add(Page(url="http://127.0.0.1/big.html", site_id="portal", warc_file="2026/11/22/portal-1.warc.gz",
                       warc_offset=offset, warc_length=1234))
        with db.session() as s:
            assert s.scalars(select(Page.warc_offset)).one() == offset
    finally:
        db.dispose()


def test_a_flush_that_loses_a_race_on_a_unique_key_is_written_again(any_engine_url: str) -> None:
    """Two crawl workers (or parallel sites) insert the same link: the loser's batch is written again, not lost."""
    from sqlalchemy import event

    from crawler.sink import Sink

    db = Database(any_engine_url)
    other = Database(any_engine_url, run_migrations=False)
    shared, page = "http://127.0.0.1/shared.html", "http://127.0.0.1/art/1.html"
    raced: list[str] = []

    def other_writer_first(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        """Right after our read of the links, another writer commits one of them."""
        if not raced and statement.lstrip().upper().startswith("SELECT") and "FROM links" in statement:
            raced.append(statement)
            with other.session() as s:
                s.add(Link(url=shared, host="127.0.0.1", first_seen=utcnow()))

    try:
        sink = Sink(db, run_id=1, site_id="portal")
        sink.add_link(page, shared, kind="a", text="共享", section_id=None, on_home_page=False)
        sink.add_link(page, "http://127.0.0.1/own.html", kind="a", text="本页", section_id=None, on_home_page=False)
        event.listen(db.engine, "after_cursor_execute", other_writer_first)
        sink.flush()
        assert raced and sink.stats["flush_retries"] == 1 and sink.stats["flushes"] == 1
        with db.session() as s:
            assert sorted(s.scalars(select(Link.url))) == ["http://127.0.0.1/own.html", shared]
            assert s.scalar(select(func.count()).select_from(LinkRef).where(LinkRef.source_url == page)) == 2
    finally:
        event.remove(db.engine, "after_cursor_execute", other_writer_first)
        db.dispose()
        other.dispose()
