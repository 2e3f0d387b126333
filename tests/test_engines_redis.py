"""Distributed crawl over a real redis-server: the demo district crawled once by the embedded
one-process crawl, then by two `zwgk crawl-worker` processes on a shared PostgreSQL database and
evidence directory (the README's deployment), and by two workers of which one is SIGKILLed mid-crawl:
every run must give the same items, sections and findings."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from crawl_support import check_day
from engines_support import (  # noqa: F401 - pytest fixtures
    PostgresServer,
    RedisServer,
    postgres_server,
    redis_server,
)
from sqlalchemy import select

from zwgk.config import ConfigError, load_config, parse_config

pytestmark = pytest.mark.engines
ROOT = Path(__file__).resolve().parent.parent
# The district's date, as the product judges (Asia/Shanghai in settings.toml): the machine's UTC date is a
# day behind from 16:00 UTC, when a check "as of today" would see no crawl yet.
TODAY = check_day()  # the demo site's date; judged days are read after the crawls


def write_settings(tmp: Path, site_url: str, scale: str = "") -> Path:
    """The committed settings.toml on the demo server's port, a private var/ directory, local politeness."""
    text = (ROOT / "settings.toml").read_text(encoding="utf-8").replace("http://127.0.0.1:8765/", site_url)
    for key in ("evidence_dir", "reports_dir", "outbox_dir"):
        text = re.sub(rf'^{key} = "var/', f'{key} = "{tmp.as_posix()}/var/', text, flags=re.M)
    text = re.sub(r'^database_url = "sqlite:///var/zwgk.db"', f'database_url = "sqlite:///{tmp.as_posix()}/zwgk.db"',
                  text, flags=re.M)
    text += "\n[links]\nper_host_rate = 200.0\nper_host_concurrency = 8\n" + scale
    path = tmp / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return path


def scale_table(url: str, prefix: str, heartbeat: float = 10, workers: int = 2) -> str:
    return (f'\n[scale]\nredis_url = "{url}"\ncrawl_workers = {workers}\nkey_prefix = "{prefix}"\n'
            f"worker_heartbeat_seconds = {heartbeat}\n")


class PacedSite:
    """The demo site, answering every request ``delay`` seconds late (0 by default) so that a worker holds
    requests long enough to be killed while holding them."""

    def __init__(self, site: Any) -> None:
        self.site = site
        self.delay = 0.0

    def get(self, path: str, query: dict[str, str] | None = None) -> Any:
        time.sleep(self.delay)
        return self.site.get(path, query)

    def post(self, path: str, query: dict[str, str], form: dict[str, str]) -> Any:
        time.sleep(self.delay)
        return self.site.post(path, query, form)


@dataclass
class Demo:
    url: str
    site: PacedSite


@pytest.fixture(scope="module")
def demo() -> Iterator[Demo]:
    from zwgk.demo import build_site
    from zwgk.demo.server import serve

    site = PacedSite(build_site(TODAY))
    running = serve(site)  # type: ignore[arg-type] - duck-typed: the handler calls get/post only
    try:
        yield Demo(running.url, site)
    finally:
        running.stop()


@pytest.fixture(scope="module")
def demo_url(demo: Demo) -> str:
    return demo.url


def start_workers(config_path: Path, names: list[str], log_dir: Path) -> list[subprocess.Popen[bytes]]:
    env = dict(os.environ)
    env.pop("ZWGK_REDIS_URL", None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    procs = []
    for name in names:
        log = open(log_dir / f"{name}.log", "wb")  # noqa: SIM115 - the child keeps it
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "zwgk", "crawl-worker", "--config", str(config_path), "--id", name,
             "--log-level", "INFO"],
            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT,
        ))
        log.close()
    return procs


def stop_workers(procs: list[subprocess.Popen[bytes]]) -> list[int]:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    codes = []
    for proc in procs:
        try:
            codes.append(proc.wait(timeout=20))
        except subprocess.TimeoutExpired:
            proc.kill()
            codes.append(proc.wait())
    return codes


def crawl(config_path: Path) -> list[Any]:
    from zwgk import pipeline
    from zwgk.app import open_app

    app = open_app(config_path)
    try:
        return pipeline.crawl(app, timeout=90)
    finally:
        app.close()


def stored_items(config_path: Path) -> set[tuple[Any, ...]]:
    from store.models import Item
    from zwgk.app import open_app

    app = open_app(config_path)
    try:
        with app.db.session() as s:
            return {(i.site_id, i.section_id, i.url, i.published, i.date_source)
                    for i in s.scalars(select(Item).where(Item.gone_at.is_(None)))}
    finally:
        app.close()


def findings_of(config_path: Path, as_of: dt.date) -> list[tuple[Any, ...]]:
    from zwgk import pipeline
    from zwgk.app import open_app

    app = open_app(config_path)
    try:
        return sorted(((f.rule, f.site, f.section, f.period, f.status, f.message)
                       for f in pipeline.check(app, as_of, record=False)), key=repr)
    finally:
        app.close()


def sections(outcome: Any) -> list[tuple[Any, ...]]:
    return [(s["section_id"], s["outcome"], s["items_found"], s["pages_fetched"], s["declared_total"])
            for s in outcome.sections]


def worker_logs(tmp: Path, names: list[str]) -> dict[str, str]:
    return {name: (tmp / f"{name}.log").read_text(errors="replace")[-3000:] for name in names}


@pytest.fixture(scope="module")
def embedded(tmp_path_factory, demo_url) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("embedded")
    path = write_settings(tmp, demo_url)
    outcomes = crawl(path)
    return {"path": path, "outcomes": outcomes, "items": stored_items(path)}


# --------------------------------------------------------------------------- the deployment: PostgreSQL + 2 workers


def evidence_mismatches(config_path: Path) -> tuple[int, list[str]]:
    """Read every stored page's WARC record back from the shared evidence directory: (pages read, mismatches)."""
    from store.models import Page
    from store.warc import read_response
    from zwgk.app import open_app

    app = open_app(config_path)
    try:
        with app.db.session() as s:
            pages = s.execute(select(Page.url, Page.warc_file, Page.warc_offset, Page.warc_length)
                              .where(Page.warc_file.is_not(None))).all()
        bad = [url for url, warc_file, offset, length in pages
               if read_response(app.config.evidence_dir, warc_file, offset, length).url != url]
    finally:
        app.close()
    return len(pages), bad


@pytest.fixture(scope="module")
def deployed(tmp_path_factory, demo_url, redis_server: RedisServer,  # noqa: F811
             postgres_server: PostgresServer) -> dict[str, Any]:  # noqa: F811
    """`zwgk crawl` and two workers sharing one PostgreSQL database and one evidence directory."""
    import redis

    tmp = tmp_path_factory.mktemp("deployed")
    pg_url = postgres_server.create_database("deployed")
    path = write_settings(tmp, demo_url, scale_table(redis_server.url, "t1"))
    text = path.read_text(encoding="utf-8")
    text, n = re.subn(r'^database_url = ".*?"', f'database_url = "{pg_url}"', text, count=1, flags=re.M)
    assert n == 1
    path.write_text(text, encoding="utf-8")
    workers = start_workers(path, ["w1", "w2"], tmp)
    try:
        wait_for_workers(redis.Redis.from_url(redis_server.url), "t1", ["w1", "w2"], workers, tmp)
        outcomes = crawl(path)
    finally:
        codes = stop_workers(workers)
    items = stored_items(path)
    leftover = sorted(k.decode() for k in redis.Redis.from_url(redis_server.url).keys("t1:run:*"))
    return {"path": path, "outcomes": outcomes, "items": items, "codes": codes,
            "logs": worker_logs(tmp, ["w1", "w2"]), "leftover": leftover}


def test_postgres_and_two_redis_workers_give_the_same_items_and_findings(embedded, deployed):
    [one], [two] = embedded["outcomes"], deployed["outcomes"]
    assert load_config(deployed["path"]).database_url.startswith("postgresql+psycopg://")
    assert one.status == "ok", one.reason
    assert two.status == "ok", (two.reason, deployed["logs"])
    assert "mode" not in one.stats and two.stats["mode"] == "redis"
    assert "dead_workers" not in two.stats
    assert sections(two) == sections(one)
    assert len(embedded["items"]) > 100
    assert deployed["items"] == embedded["items"]
    as_of = check_day()
    expected = findings_of(embedded["path"], as_of)
    assert any(f[4] == "fail" for f in expected)
    assert findings_of(deployed["path"], as_of) == expected


def test_both_workers_fetched_pages_into_the_shared_evidence_and_redis_is_clean(deployed):
    [two] = deployed["outcomes"]
    workers = two.stats["workers"]
    assert set(workers) == {"w1", "w2"}, deployed["logs"]
    assert all(n > 0 for n in workers.values()), workers
    assert sum(workers.values()) == two.stats["downloader/response_count"]
    assert len(two.stats["warc_files"]) == 2
    read, bad = evidence_mismatches(deployed["path"])
    assert read > 100 and bad == [], bad[:5]
    assert deployed["codes"] == [0, 0], deployed["logs"]
    # Only the finished run's status is kept (for late workers), with an expiry.
    assert deployed["leftover"] == [f"t1:run:{two.run_id}:meta"]


# --------------------------------------------------------------------------- a worker dies mid-crawl


def wait_for_workers(server: Any, prefix: str, names: list[str], procs: list[subprocess.Popen[bytes]],
                     log_dir: Path) -> None:
    """Until every worker's heartbeat is in Redis (a loaded machine takes a while to start Scrapy)."""
    deadline = time.monotonic() + 60
    while not all(server.exists(f"{prefix}:worker:{name}") for name in names):
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs), worker_logs(log_dir, names)
        time.sleep(0.1)


def _claims_of(server: Any, prefix: str, worker: str) -> int:
    return sum(server.hlen(k) for k in server.scan_iter(match=f"{prefix}:run:*:claims:{worker}"))


def _progress(server: Any, prefix: str) -> int:
    return sum(int(server.hget(k, "downloader/response_count") or 0)
               for k in server.scan_iter(match=f"{prefix}:run:*:counts"))


def test_a_killed_worker_s_requests_are_redone_by_the_live_one(tmp_path, demo, embedded, redis_server):  # noqa: F811
    """SIGKILL one of two workers while it holds requests: the other finishes the run, with the same result."""
    import redis

    server = redis.Redis.from_url(redis_server.url)
    # crawl_workers = 1: the survivor may use the whole per-host budget (our own server) and finish sooner.
    path = write_settings(tmp_path, demo.url, scale_table(redis_server.url, "t4", heartbeat=5, workers=1))
    workers = start_workers(path, ["k1", "k2"], tmp_path)
    wait_for_workers(server, "t4", ["k1", "k2"], workers, tmp_path)
    result: dict[str, Any] = {}
    demo.site.delay = 0.2  # every answer late: k1 always holds requests while the queue has some
    crawler = threading.Thread(target=lambda: result.update(outcomes=crawl(path)))
    crawler.start()
    try:
        deadline = time.monotonic() + 60
        while True:
            assert time.monotonic() < deadline, worker_logs(tmp_path, ["k1", "k2"])
            if _progress(server, "t4") >= 5 and _claims_of(server, "t4", "k1"):
                workers[0].send_signal(signal.SIGSTOP)  # frozen: what it holds cannot change any more
                held = _claims_of(server, "t4", "k1")
                if held:
                    workers[0].kill()
                    break
                workers[0].send_signal(signal.SIGCONT)
            time.sleep(0.05)
        demo.site.delay = 0.0
        crawler.join(120)
        assert not crawler.is_alive()
    finally:
        demo.site.delay = 0.0
        codes = stop_workers(workers)
    [outcome] = result["outcomes"]
    assert outcome.status == "ok", (outcome.reason, worker_logs(tmp_path, ["k1", "k2"]))
    assert codes[0] == -signal.SIGKILL and codes[1] == 0
    assert outcome.stats["dead_workers"] == {"k1": held} and outcome.stats["requeued_requests"] == held >= 1
    assert outcome.stats["workers"].get("k2", 0) > 0
    [one] = embedded["outcomes"]
    assert sections(outcome) == sections(one)
    assert stored_items(path) == embedded["items"]
    as_of = check_day()
    assert findings_of(path, as_of) == findings_of(embedded["path"], as_of)


def test_no_worker_fails_the_run_with_the_reason(tmp_path, demo_url, redis_server):  # noqa: F811
    path = write_settings(tmp_path, demo_url, scale_table(redis_server.url, "t2", heartbeat=5))
    started = time.monotonic()
    [outcome] = crawl(path)
    assert time.monotonic() - started < 60
    assert outcome.status == "failed"
    assert "没有正在运行的抓取节点" in outcome.reason and "本次抓取未完成" in outcome.reason
    assert {s["outcome"] for s in outcome.sections} == {"connection"}


def test_claims_commit_requeue_and_dupefilter(tmp_path, demo_url, redis_server):  # noqa: F811
    """The Lua scripts on a real Redis: a dead worker's claims go back with their priority, a requeued
    claim can no longer be committed, follow-ups pass the run's dupefilter once."""
    import redis

    from crawler.distributed import claims
    from crawler.distributed.coordinator import requeue_dead, wait_done
    from crawler.distributed.keys import RunKeys, worker_key

    config = load_config(write_settings(tmp_path, demo_url, scale_table(redis_server.url, "t3", heartbeat=5)))
    server = redis.Redis.from_url(redis_server.url)
    keys = RunKeys("t3", 1)
    server.zadd(keys.requests, {b"list": -20, b"article": 0, b"attachment": 10})
    ghost_claim, data = claims.pop_and_claim(server, keys, "ghost")
    assert data == b"list"
    alive_claim, data = claims.pop_and_claim(server, keys, "alive")
    assert data == b"article"
    assert server.hgetall(keys.busy) == {b"ghost": b"1", b"alive": b"1"}
    assert claims.claimed(server, keys) == {"ghost": 1, "alive": 1}
    server.set(worker_key("t3", "alive"), "1", ex=60)

    assert requeue_dead(server, keys, server.hgetall(keys.busy)) == {"ghost": 1}
    assert server.zrange(keys.requests, 0, -1, withscores=True) == [(b"list", -20.0), (b"attachment", 10.0)]
    assert server.hgetall(keys.busy) == {b"alive": b"1"} and claims.claimed(server, keys) == {"alive": 1}
    # The ghost wakes up: its commit is refused, nothing of it lands.
    ghost = claims.Handled(ghost_claim, [("fp-x", 0, b"x")], {"s": "{}"})
    assert claims.commit(server, keys, "ghost", [ghost], {"n": 1}) == (0, 1)
    assert not server.exists(keys.sections) and not server.exists(keys.counts)

    follow = [("fp-a", 0, b"a1"), ("", -20, b"next-list"), ("fp-a", 0, b"a1-again")]
    alive = claims.Handled(alive_claim, follow, {"gzdt": '{"x": 1}'})
    assert claims.commit(server, keys, "alive", [alive], {"n": 2}) == (2, 0)
    assert claims.commit(server, keys, "alive", [alive], {"n": 2}) == (0, 1)  # committed once only
    assert server.hgetall(keys.sections) == {b"gzdt": b'{"x": 1}'} and server.hget(keys.counts, "n") == b"2"
    assert [m for m, _ in server.zrange(keys.requests, 0, -1, withscores=True)] == \
        [b"list", b"next-list", b"a1", b"attachment"]
    assert claims.claimed(server, keys) == {}
    # A batch: the held claim commits, the requeued one is skipped with its effects.
    held_claim, _ = claims.pop_and_claim(server, keys, "alive")
    batch = [claims.Handled(held_claim, [("fp-b", 0, b"b1")], {}), claims.Handled("999", [("fp-c", 0, b"c1")], {})]
    assert claims.commit(server, keys, "alive", batch, {"n": 1}) == (1, 1)
    assert server.zscore(keys.requests, b"b1") == 0.0 and server.zscore(keys.requests, b"c1") is None
    assert server.hget(keys.counts, "n") == b"3"

    # Queue still full, the live worker busy: not done; then done once drained and idle.
    server.delete(keys.requests)
    server.hset(keys.busy, "alive", 0)
    assert wait_done(config, server, keys, time.monotonic() + 30, 30).status is None


def test_scale_settings_are_validated(tmp_path):
    base = (ROOT / "settings.toml").read_text(encoding="utf-8")
    config = parse_config(base, tmp_path / "settings.toml")
    assert config.scale.redis_url == "" and config.scale.crawl_workers == 2
    for table, key in (('redis_url = "http://127.0.0.1:6379"', "scale.redis_url"),
                       ("crawl_workers = 0", "scale.crawl_workers"),
                       ('colour = "red"', "scale.colour")):
        text = base + f"\n[scale]\n{table}\n"
        with pytest.raises(ConfigError) as err:
            parse_config(text, tmp_path / "settings.toml")
        assert err.value.key == key
        assert err.value.line == text.splitlines().index(table) + 1


def test_section_state_survives_the_trip_through_redis():
    """Every field of SectionState (sets, tuples, the problem, dates) comes back equal from its JSON."""
    import dataclasses

    from crawler.distributed.state import state_from_json, state_to_json
    from crawler.outcomes import Problem
    from crawler.spider import SectionState

    st = SectionState("gzdt", "http://127.0.0.1/gzdt/index.html", "trs", 60, outcome="ok", pages_fetched=3,
                      seen_urls={"http://127.0.0.1/a.html"}, seen_requests={("GET", "http://127.0.0.1/p2.html", "")},
                      later_problem=(2, Problem("http_error", "HTTP 500")), notes=["第 3 页 HTTP 404"])
    names = {f.name for f in dataclasses.fields(SectionState)}
    if "cutoff" in names:  # a section's own horizon (a date)
        st = dataclasses.replace(st, cutoff=dt.date(2023, 1, 1))
    assert state_from_json(state_to_json(st)) == st
