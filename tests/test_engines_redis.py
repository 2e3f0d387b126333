"""Distributed crawl over a real redis-server: the demo district crawled once by the embedded
one-process crawl and once by two `zwgk crawl-worker` processes must give the same items and findings."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from engines_support import RedisServer, redis_server  # noqa: F401 - pytest fixture
from sqlalchemy import select

from zwgk.config import ConfigError, load_config, parse_config

pytestmark = pytest.mark.engines
ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date.today()


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


def scale_table(url: str, prefix: str, heartbeat: float = 10) -> str:
    return (f'\n[scale]\nredis_url = "{url}"\ncrawl_workers = 2\nkey_prefix = "{prefix}"\n'
            f"worker_heartbeat_seconds = {heartbeat}\n")


@pytest.fixture(scope="module")
def demo_url() -> Iterator[str]:
    from zwgk.demo import build_site
    from zwgk.demo.server import serve

    running = serve(build_site(TODAY))
    try:
        yield running.url
    finally:
        running.stop()


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


def items_and_findings(config_path: Path) -> tuple[set[tuple[Any, ...]], list[tuple[Any, ...]]]:
    from store.models import Item
    from zwgk import pipeline
    from zwgk.app import open_app

    app = open_app(config_path)
    try:
        with app.db.session() as s:
            items = {(i.site_id, i.section_id, i.url, i.published, i.date_source)
                     for i in s.scalars(select(Item).where(Item.gone_at.is_(None)))}
        findings = sorted(((f.rule, f.site, f.section, f.period, f.status, f.message)
                          for f in pipeline.check(app, TODAY, record=False)), key=repr)
    finally:
        app.close()
    return items, findings


@pytest.fixture(scope="module")
def embedded(tmp_path_factory, demo_url) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("embedded")
    path = write_settings(tmp, demo_url)
    outcomes = crawl(path)
    items, findings = items_and_findings(path)
    return {"outcomes": outcomes, "items": items, "findings": findings}


@pytest.fixture(scope="module")
def distributed(tmp_path_factory, demo_url, redis_server: RedisServer) -> dict[str, Any]:  # noqa: F811
    import redis

    tmp = tmp_path_factory.mktemp("redis")
    path = write_settings(tmp, demo_url, scale_table(redis_server.url, "t1"))
    workers = start_workers(path, ["w1", "w2"], tmp)
    try:
        outcomes = crawl(path)
    finally:
        codes = stop_workers(workers)
    logs = {name: (tmp / f"{name}.log").read_text(errors="replace")[-3000:] for name in ("w1", "w2")}
    items, findings = items_and_findings(path)
    leftover = sorted(k.decode() for k in redis.Redis.from_url(redis_server.url).keys("t1:run:*"))
    return {"outcomes": outcomes, "items": items, "findings": findings, "codes": codes, "logs": logs,
            "leftover": leftover}


def test_two_workers_give_the_same_items_and_findings(embedded, distributed):
    [one], [two] = embedded["outcomes"], distributed["outcomes"]
    assert one.status == "ok", one.reason
    assert two.status == "ok", (two.reason, distributed["logs"])
    assert "mode" not in one.stats and two.stats["mode"] == "redis"
    assert [(s["section_id"], s["outcome"], s["items_found"], s["pages_fetched"]) for s in two.sections] == \
        [(s["section_id"], s["outcome"], s["items_found"], s["pages_fetched"]) for s in one.sections]
    assert len(embedded["items"]) > 100
    assert distributed["items"] == embedded["items"]
    assert any(f[4] == "fail" for f in embedded["findings"])
    assert distributed["findings"] == embedded["findings"]


def test_both_workers_fetched_pages_and_redis_is_clean(distributed):
    [two] = distributed["outcomes"]
    workers = two.stats["workers"]
    assert set(workers) == {"w1", "w2"}, distributed["logs"]
    assert all(n > 0 for n in workers.values()), workers
    assert sum(workers.values()) == two.stats["downloader/response_count"]
    assert len(two.stats["warc_files"]) == 2
    assert distributed["codes"] == [0, 0], distributed["logs"]
    # Only the finished run's status is kept (for late workers), with an expiry.
    assert distributed["leftover"] == [f"t1:run:{two.run_id}:meta"]


def test_no_worker_ends_the_run_as_timeout_with_the_reason(tmp_path, demo_url, redis_server):  # noqa: F811
    path = write_settings(tmp_path, demo_url, scale_table(redis_server.url, "t2", heartbeat=5))
    started = time.monotonic()
    [outcome] = crawl(path)
    assert time.monotonic() - started < 60
    assert outcome.status == "timeout"
    assert "没有正在运行的抓取节点" in outcome.reason
    assert {s["outcome"] for s in outcome.sections} == {"timeout"}


def test_a_busy_worker_without_heartbeat_is_dead(tmp_path, demo_url, redis_server):  # noqa: F811
    import redis

    from crawler.distributed.coordinator import wait_done
    from crawler.distributed.keys import RunKeys, worker_key

    config = load_config(write_settings(tmp_path, demo_url, scale_table(redis_server.url, "t3", heartbeat=5)))
    server = redis.Redis.from_url(redis_server.url)
    keys = RunKeys("t3", 1)
    server.hset(keys.busy, mapping={"alive": 1, "ghost": 1})
    server.set(worker_key("t3", "alive"), "1", ex=60)
    reason = wait_done(config, server, keys, time.monotonic() + 30, 30)
    assert reason is not None and "ghost 失联" in reason and "alive" not in reason
    server.hset(keys.busy, mapping={"ghost": 0, "alive": 0})
    assert wait_done(config, server, keys, time.monotonic() + 30, 30) is None


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
