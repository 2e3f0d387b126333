"""Availability probes against local servers: success, timeout, refused, bot wall, IPv6, the rolling ratio."""

from __future__ import annotations

import datetime as dt
import socket
from pathlib import Path

import pytest
from conftest import free_port
from sqlalchemy import select
from test_links_check import B, ls

from crawler.linkcheck.probes import probe_sites
from crawler.linkcheck.queries import availability_ratio, save_probe
from store.db import Database
from store.models import AvailabilityProbe
from store.sync import sync_config
from zwgk.config import Config, parse_config


def sites_config(tmp_path: Path, sites: dict[str, str], timeout: float = 1) -> Config:
    blocks = "\n".join(
        f'[[sites]]\nid = "{sid}"\nname = "站点{sid}"\nbase_url = "{url}"\ndepartment = "office"\n'
        for sid, url in sites.items()
    )
    text = f"""
[general]
database_url = "sqlite:///{tmp_path / "zwgk.db"}"

[availability]
timeout_seconds = {timeout}

[[departments]]
id = "office"
name = "区政府办公室"

{blocks}
"""
    return parse_config(text, tmp_path / "settings.toml", check_indicators=False)


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def test_probes_store_ok_timeout_refused_and_blocked(tmp_path: Path) -> None:
    up = ls.LinkServer().start()
    slow = ls.LinkServer(routes={"/": B("ok", delay=3)}).start()
    walled = ls.LinkServer(routes={"/": B("bot_wall")}).start()
    try:
        config = sites_config(
            tmp_path,
            {
                "up": up.url("/"),
                "slow": slow.url("/"),
                "down": f"http://127.0.0.1:{free_port()}/",
                "walled": walled.url("/"),
            },
        )
        db = Database(config.database_url)
        sync_config(db, config)
        results = {r.site_id: r for r in probe_sites(config, db)}
        assert (results["up"].ok, results["up"].http_status, results["up"].reason) == (True, 200, "ok")
        assert (results["slow"].ok, results["slow"].reason) == (False, "timeout")
        assert (results["down"].ok, results["down"].reason) == (False, "connection")
        assert (results["walled"].ok, results["walled"].reason) == (False, "blocked")
        assert results["up"].ipv6 == "none"  # 127.0.0.1 has no AAAA record
        with db.session() as s:
            stored = {p.site_id: p for p in s.scalars(select(AvailabilityProbe))}
        assert set(stored) == {"up", "slow", "down", "walled"}
        assert stored["slow"].elapsed_ms >= 1000 and stored["up"].ok
        # one site only
        probe_sites(config, db, ["up"])
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(seconds=1)
        assert availability_ratio(db, "up", now) == (0, 2)
        assert availability_ratio(db, "slow", now) == (1, 1)
        assert availability_ratio(db, "walled", now) == (0, 0)  # our client refused: not counted
    finally:
        for srv in (up, slow, walled):
            srv.stop()


@pytest.mark.skipif(not _has_ipv6_loopback(), reason="no IPv6 loopback")
def test_ipv6_reachable_or_not(tmp_path: Path) -> None:
    v4only = ls.LinkServer().start()
    dual = ls.LinkServer(host="::1").start()
    try:
        config = sites_config(
            tmp_path,
            {"v4": f"http://[::1]:{v4only.port}/", "v6": f"http://[::1]:{dual.port}/"},
        )
        db = Database(config.database_url)
        sync_config(db, config)
        results = {r.site_id: r for r in probe_sites(config, db)}
        assert results["v4"].ipv6 == "unreachable"
        assert results["v6"].ipv6 == "reachable"
    finally:
        v4only.stop()
        dual.stop()


def test_availability_ratio_window(tmp_path: Path) -> None:
    config = sites_config(tmp_path, {"portal": "http://127.0.0.1:9/"})
    db = Database(config.database_url)
    as_of = dt.datetime(2026, 11, 20, 12, 0)
    # 20 probes a day for 10 days; two failures inside the 7-day window, three outside
    for day in range(10):
        for i in range(20):
            at = as_of - dt.timedelta(days=day, minutes=30 + i * 60)
            failed = (day, i) in {(1, 3), (5, 7), (7, 0), (8, 1), (9, 2)}
            save_probe(
                db,
                {
                    "site_id": "portal",
                    "url": "http://127.0.0.1:9/",
                    "probed_at": at,
                    "ok": not failed,
                    "http_status": None if failed else 200,
                    "elapsed_ms": 15000 if failed else 50,
                    "reason": "timeout" if failed else "ok",
                    "ipv6": "none",
                },
            )
    failures, total = availability_ratio(db, "portal", as_of, window_days=7)
    assert (failures, total) == (2, 140)
    assert failures / total < config.availability.veto_ratio
    assert availability_ratio(db, "portal", as_of, window_days=10) == (5, 200)
    assert availability_ratio(db, "other", as_of) == (0, 0)
