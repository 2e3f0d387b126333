"""Several sites in one worker process (crawler/worker.py): same results as one child per site, a hanging
site times out alone, a killed worker fails only its unfinished sites, sites sharing a host never overlap."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from crawl_support import SiteServer, add_gbk_site, add_hanweb_site, add_trs_site, site_block, write_settings
from sqlalchemy import select

import crawler.runner as runner
from crawler.runner import crawl_sites, pool_shape
from store.db import Database
from store.models import CrawlRun, Item, Page, SectionCrawl
from zwgk.config import load_config

ROOT = Path(__file__).resolve().parent.parent


def _servers(n: int) -> list[SiteServer]:
    return [SiteServer() for _ in range(n)]


def _three_sites(tmp: Path) -> tuple[Path, list[SiteServer]]:
    """trs, hanweb and gbk sites, each on its own server (distinct hosts, so they may run together)."""
    tmp.mkdir(parents=True, exist_ok=True)
    trs, hanweb, gbk = srvs = _servers(3)
    add_trs_site(trs, horizon_days=40)
    add_hanweb_site(hanweb)
    add_gbk_site(gbk)
    for srv in srvs:
        srv.start()
    blocks = [
        site_block("trs", trs.base + "/trs/", [("tzgg", trs.base + "/trs/tzgg/index.html")]),
        site_block("hanweb", hanweb.base + "/hanweb/", [("zcwj", hanweb.base + "/col/col100/index.html")],
                   cms="hanweb"),
        site_block("gbk", gbk.base + "/gbk/", [("gg", gbk.base + "/gbk/list.html")]),
    ]
    return write_settings(tmp, blocks), srvs


def _snapshot(db: Database) -> dict[str, Any]:
    """What a crawl stored, without ids and times."""
    with db.session() as s:
        items = {(i.site_id, i.section_id, i.url, i.title, i.published, i.date_source, i.list_date, i.page_id is None)
                 for i in s.scalars(select(Item))}
        pages = {(p.site_id, p.url, p.outcome, p.title, p.pubdate, p.text) for p in s.scalars(select(Page))}
        sections = {(r.site_id, r.section_id, r.outcome, r.items_found, r.pages_fetched)
                    for r in s.scalars(select(SectionCrawl))}
    return {"items": items, "pages": pages, "sections": sections}


def _worker_pids() -> set[int]:
    """Our child processes that are crawl workers."""
    pids = set()
    for children in Path(f"/proc/{os.getpid()}/task").glob("*/children"):
        for pid in children.read_text().split():
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"--worker" in cmd:
                pids.add(int(pid))
    return pids


def test_pool_shape_one_worker_per_core() -> None:
    assert pool_shape(2, 20, cores=2) == (2, 1)
    assert pool_shape(8, 20, cores=2) == (2, 4)
    assert pool_shape(8, 1, cores=2) == (1, 8)
    assert pool_shape(1, 20, cores=4) == (1, 1)


def test_sites_in_one_worker_match_one_child_per_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path, srvs = _three_sites(tmp_path / "workers")
    try:
        monkeypatch.setattr(runner, "pool_shape", lambda *_a, **_k: (1, 3))  # one worker, three sites at once
        config = load_config(path)
        outcomes = crawl_sites(config)
        # The same sites crawled the old way: one `python -m crawler --site` process each, into another store.
        alone = tmp_path / "alone"
        alone.mkdir()
        alone_path = alone / "settings.toml"
        alone_path.write_text(path.read_text().replace(str(tmp_path / "workers"), str(alone)), encoding="utf-8")
        for site_id in ("trs", "hanweb", "gbk"):
            subprocess.run([sys.executable, "-m", "crawler", "--config", str(alone_path), "--site", site_id],
                           cwd=ROOT, check=True, capture_output=True)
    finally:
        for srv in srvs:
            srv.stop()
    assert [o.status for o in outcomes] == ["ok", "ok", "ok"], outcomes
    db, db_alone = Database(config.database_url), Database(load_config(alone_path).database_url)
    try:
        with db.session() as s:
            runs = s.scalars(select(CrawlRun)).all()
        assert len({r.stats["worker_pid"] for r in runs}) == 1  # all three in one process
        assert max(r.started_at for r in runs) < min(r.finished_at for r in runs)  # and at the same time
        ours, theirs = _snapshot(db), _snapshot(db_alone)
        assert len(ours["items"]) >= 20 and len(ours["pages"]) >= 20
        assert ours == theirs
    finally:
        db.dispose()
        db_alone.dispose()


def test_hanging_site_times_out_while_the_others_finish(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    trs, hang = srvs = _servers(2)
    expect = add_trs_site(trs, horizon_days=40)
    hang.add("/hang/", "<html></html>", delay=30)
    for srv in srvs:
        srv.start()
    blocks = [
        site_block("hang", hang.base + "/hang/", [("s1", hang.base + "/hang/")]),
        site_block("trs", trs.base + "/trs/", [("tzgg", trs.base + "/trs/tzgg/index.html")]),
    ]
    path = write_settings(tmp_path, blocks)
    # The page answers after 30 s and a download may take 20 s: only the site's 8 s budget stops it.
    path.write_text(path.read_text().replace("download_timeout = 1.0", "download_timeout = 20.0"))
    monkeypatch.setattr(runner, "pool_shape", lambda *_a, **_k: (1, 2))
    config = load_config(path)
    started = time.monotonic()
    try:
        hung, ok = crawl_sites(config, timeout=8)
    finally:
        for srv in srvs:
            srv.stop()
    assert time.monotonic() - started < 8 + runner.KILL_GRACE_SECONDS
    assert hung.status == "timeout" and "超时" in hung.reason and "8" in hung.reason
    assert {s["outcome"] for s in hung.sections} == {"timeout"}
    assert {s["section_id"] for s in hung.sections} == {"_home", "s1"}
    assert ok.status == "ok"
    assert hung.stats["worker_pid"] == ok.stats["worker_pid"]  # the same worker went on with the other site
    db = Database(config.database_url)
    with db.session() as s:
        urls = set(s.scalars(select(Item.url).where(Item.site_id == "trs")))
    db.dispose()
    assert set(expect.items) <= urls


def test_killed_worker_fails_only_its_unfinished_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, slow, last = srvs = _servers(3)
    add_trs_site(first, horizon_days=40)
    add_gbk_site(last)
    slow.add("/slow/", "<html><body><ul><li><a href='/a.html'>通知</a></li></ul></body></html>", delay=30)
    for srv in srvs:
        srv.start()
    blocks = [
        site_block("first", first.base + "/trs/", [("tzgg", first.base + "/trs/tzgg/index.html")]),
        site_block("slow", slow.base + "/slow/", [("s1", slow.base + "/slow/")]),
        site_block("last", last.base + "/gbk/", [("gg", last.base + "/gbk/list.html")]),
    ]
    path = write_settings(tmp_path, blocks)
    path.write_text(path.read_text().replace("download_timeout = 1.0", "download_timeout = 20.0"))
    monkeypatch.setattr(runner, "pool_shape", lambda *_a, **_k: (1, 1))  # one worker, one site at a time
    config = load_config(path)
    result: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: result.update(out=crawl_sites(config)))
    thread.start()
    killed: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        # The slow server logs a request when it answers: robots.txt at once, its pages after 30 s.
        while not slow.requests("/robots.txt") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert slow.requests("/robots.txt"), "the slow site was never reached"
        time.sleep(1.0)  # its pages are requested now, and hang
        killed = _worker_pids()
        assert len(killed) == 1
        for pid in killed:
            os.kill(pid, signal.SIGKILL)
        thread.join(90)
    finally:
        for srv in srvs:
            srv.stop()
    assert not thread.is_alive()
    done, failed, after = result["out"]
    assert done.status == "ok" and done.stats["worker_pid"] in killed  # finished before the kill: kept
    assert failed.status == "failed" and "SIGKILL" in failed.reason
    assert {s["outcome"] for s in failed.sections} == {"connection"}
    assert all("SIGKILL" in s["reason"] for s in failed.sections)
    assert after.status == "ok" and after.stats["worker_pid"] not in killed  # a fresh worker took the rest


def test_sites_on_one_host_never_overlap(tmp_path: Path) -> None:
    srv = SiteServer()
    add_trs_site(srv, horizon_days=40)
    add_gbk_site(srv)
    srv.start()
    b = srv.base
    blocks = [
        site_block("trs", b + "/trs/", [("tzgg", b + "/trs/tzgg/index.html")]),
        site_block("gbk", b + "/gbk/", [("gg", b + "/gbk/list.html")]),
    ]
    config = load_config(write_settings(tmp_path, blocks))  # parallel_sites = 2
    try:
        outcomes = crawl_sites(config)
    finally:
        srv.stop()
    assert [o.status for o in outcomes] == ["ok", "ok"]
    db = Database(config.database_url)
    with db.session() as s:
        first, second = s.scalars(select(CrawlRun).order_by(CrawlRun.id)).all()
    db.dispose()
    assert second.started_at >= first.finished_at  # the host saw one site's crawl at a time


def test_fast_deprecated_class_names_the_same_module() -> None:
    """crawler.fastimport: Scrapy's deprecated TLS classes keep the module name inspect.stack() gave them."""
    code = ("from crawler import fastimport; fastimport.install(); "
            "from scrapy.core.downloader import contextfactory, tls; "
            "print(contextfactory.ScrapyClientContextFactory.__module__, tls.ScrapyClientTLSOptions.__module__)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True).stdout
    assert out.split() == ["scrapy.core.downloader.contextfactory", "scrapy.core.downloader.tls"]


def test_worker_is_replaced_after_its_share_of_sites(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path, srvs = _three_sites(tmp_path)
    monkeypatch.setattr(runner, "pool_shape", lambda *_a, **_k: (1, 1))
    monkeypatch.setattr(runner, "SITES_PER_WORKER", 2)
    try:
        outcomes = crawl_sites(load_config(path))
    finally:
        for srv in srvs:
            srv.stop()
    assert [o.status for o in outcomes] == ["ok", "ok", "ok"]
    pids = [o.stats["worker_pid"] for o in outcomes]
    assert pids[0] == pids[1] != pids[2]


def test_a_worker_retired_after_its_share_is_not_counted_as_a_death(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """A recycled worker closes its output before its process has exited: wait for it, never kill or count it.

    (Counted as deaths, recycling failed every site after the restart budget: 1,200 of 2,000 in the bench.)
    """
    path, srvs = _three_sites(tmp_path)
    monkeypatch.setattr(runner, "pool_shape", lambda *_a, **_k: (1, 1))
    monkeypatch.setattr(runner, "SITES_PER_WORKER", 1)
    monkeypatch.setattr(runner, "EXTRA_RESTARTS", 0)  # one counted death would fail the sites left
    caplog.set_level(logging.WARNING, logger="crawler.runner")
    try:
        outcomes = crawl_sites(load_config(path))
    finally:
        for srv in srvs:
            srv.stop()
    assert [o.status for o in outcomes] == ["ok", "ok", "ok"], [o.reason for o in outcomes]
    assert len({o.stats["worker_pid"] for o in outcomes}) == 3
    assert not [r for r in caplog.records if "抓取进程" in r.getMessage()], caplog.text


@pytest.fixture
def keep_workers() -> Any:
    """Keep idle crawl workers as the scheduler does; afterwards none is left."""
    from crawler.idle import IDLE

    IDLE.configure(60)
    yield IDLE
    IDLE.configure(0)
    assert IDLE.pids() == []


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(") ")[-1][:1] != "Z"  # a zombie has exited


def _wait_gone(pid: int, seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _pid_alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_kept_worker_serves_the_next_crawl(tmp_path: Path, keep_workers: Any) -> None:
    """The scheduler crawls each site in its own job: the second crawl reuses the first one's worker."""
    path, srvs = _three_sites(tmp_path)
    config = load_config(path)
    try:
        first = crawl_sites(config, ["trs"])
        parked = keep_workers.pids()
        second = crawl_sites(config, ["gbk"])
        third = crawl_sites(config, ["trs"])  # a recrawl in a reused worker: same results as the first
    finally:
        for srv in srvs:
            srv.stop()
    assert [o.status for o in (*first, *second, *third)] == ["ok", "ok", "ok"]
    assert parked == [first[0].stats["worker_pid"]]
    assert second[0].stats["worker_pid"] == third[0].stats["worker_pid"] == parked[0]
    assert third[0].sections[-1]["items_found"] == first[0].sections[-1]["items_found"] > 0
    keep_workers.configure(0)
    assert _wait_gone(parked[0]), "closing the idle workers must end their processes"


def test_without_keeping_each_crawl_starts_its_own_worker(tmp_path: Path) -> None:
    from crawler.idle import IDLE

    assert not IDLE.keeping  # the default outside the scheduler
    path, srvs = _three_sites(tmp_path)
    config = load_config(path)
    try:
        first = crawl_sites(config, ["trs"])
        second = crawl_sites(config, ["gbk"])
    finally:
        for srv in srvs:
            srv.stop()
    assert first[0].stats["worker_pid"] != second[0].stats["worker_pid"]
    assert _wait_gone(first[0].stats["worker_pid"]) and IDLE.pids() == []


def test_idle_worker_exits_after_the_keep_time(tmp_path: Path, keep_workers: Any) -> None:
    path, srvs = _three_sites(tmp_path)
    keep_workers.configure(2)
    try:
        outcome, = crawl_sites(load_config(path), ["gbk"])
        kept = keep_workers.pids()
    finally:
        for srv in srvs:
            srv.stop()
    pid = outcome.stats["worker_pid"]
    assert kept == [pid]
    assert _wait_gone(pid) and keep_workers.pids() == []


def test_changed_settings_file_gets_a_fresh_worker(tmp_path: Path, keep_workers: Any) -> None:
    """A worker read settings.toml when it started: after the file changes, it is not reused."""
    path, srvs = _three_sites(tmp_path)
    try:
        first, = crawl_sites(load_config(path), ["gbk"])
        path.write_text(path.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
        second, = crawl_sites(load_config(path), ["gbk"])
    finally:
        for srv in srvs:
            srv.stop()
    assert first.status == second.status == "ok"
    assert first.stats["worker_pid"] != second.stats["worker_pid"]
    assert keep_workers.pids() == [first.stats["worker_pid"], second.stats["worker_pid"]]


def test_scheduler_keeps_workers_between_its_crawl_jobs_and_closes_them_at_exit(tmp_path: Path) -> None:
    """Each site is its own crawl job: their crawls share kept workers instead of one start-up per job."""
    from apscheduler.triggers.interval import IntervalTrigger
    from scheduler_support import seed_success

    import scheduler
    from crawler.idle import IDLE
    from zwgk.app import open_app

    path, srvs = _three_sites(tmp_path)
    with path.open("a", encoding="utf-8") as fh:
        fh.write("\n[links]\nenabled = false\n")  # the crawl jobs' link stage would re-check for 30 s
    config = load_config(path)
    specs = scheduler.build_specs(config)
    app = open_app(path, config=config)
    seed_success(app.db, [spec.id for spec in specs])  # nothing due at start: only the triggers crawl
    app.close()
    hourly = {kind: IntervalTrigger(hours=1) for kind in ("availability", "report_daily", "report_weekly", "outbox")}
    try:
        code = scheduler.run(config, triggers_override={**hourly, "crawl": IntervalTrigger(seconds=2)},
                             max_runtime=20, heartbeat_seconds=0.5)
    finally:
        for srv in srvs:
            srv.stop()
    assert code == 0
    db = Database(config.database_url)
    with db.session() as s:
        runs = [(r.site_id, r.status, (r.stats or {}).get("worker_pid")) for r in s.scalars(select(CrawlRun))]
    db.dispose()
    assert len(runs) >= 5 and {site for site, _, _ in runs} == {"trs", "hanweb", "gbk"}, runs
    assert all(status == "ok" for _, status, _ in runs), runs
    pids = {pid for _, _, pid in runs}
    # At most parallel_sites crawl jobs run at once, so that many workers serve every crawl of the run.
    assert None not in pids and len(pids) <= config.crawl.parallel_sites < len(runs), runs
    assert not IDLE.keeping and IDLE.pids() == []
    assert all(_wait_gone(pid) for pid in pids), "the scheduler's exit closes its idle workers"


def test_crawl_settings_load_only_the_extensions_a_crawl_uses(tmp_path: Path) -> None:
    """Scrapy imports every extension its settings list (even one set to None): a worker would import aiohttp
    for RemoteControl at each start-up. Checked in a fresh interpreter, as a worker starts."""
    path = write_settings(tmp_path, [site_block("a", "http://127.0.0.1:9/", [("s", "http://127.0.0.1:9/list.html")])])
    probe = (
        "import sys\n"
        "from pathlib import Path\n"
        "from scrapy.settings import Settings\n"
        "from crawler.settings import scrapy_settings\n"
        "from zwgk.config import load_config\n"
        f"config = load_config(Path({str(path)!r}))\n"
        "settings = Settings(scrapy_settings(config, config.sites[0]))\n"
        "names = [str(n).rsplit('.', 1)[-1] for n in settings.get_component_priority_dict_with_base('EXTENSIONS')]\n"
        "print(json.dumps([sorted(names), 'aiohttp' in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", "import json\n" + probe], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    assert json.loads(out) == [["AutoThrottle", "CoreStats", "LogCount", "LogStats"], False], out
