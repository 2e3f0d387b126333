"""Link checker against real HTTP servers on 127.0.0.1: reason codes, soft 404s, confirmation, politeness."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import FILES, free_port
from sqlalchemy import select

from crawler.linkcheck.politeness import PolitenessParams
from crawler.linkcheck.queries import broken_links, link_rows
from crawler.linkcheck.runner import check_links
from store.db import Database
from store.models import Link, LinkCheck, LinkRef
from store.sync import sync_config
from zwgk.config import Config, parse_config


def _load_server_module():  # type: ignore[no-untyped-def]
    name = "zwgk_test_linkserver"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, FILES / "links" / "linkserver.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


ls = _load_server_module()
B = ls.Behaviour


def make_config(tmp_path: Path, base_url: str, **links: object) -> Config:
    lines = "\n".join(f"{k} = {str(v).lower() if isinstance(v, bool) else v}" for k, v in links.items())
    text = f"""
[general]
database_url = "sqlite:///{tmp_path / "zwgk.db"}"

[links]
{lines}

[[departments]]
id = "office"
name = "区政府办公室"

[[sites]]
id = "portal"
name = "示范区人民政府"
base_url = "{base_url}/"
department = "office"
"""
    return parse_config(text, tmp_path / "settings.toml", check_indicators=False)


def open_db(config: Config) -> Database:
    db = Database(config.database_url)
    sync_config(db, config)
    return db


def add_links(db: Database, refs: list[tuple[str, str, str]], site_id: str = "portal") -> None:
    """(url, source page, kind) rows as the crawler stores them."""
    with db.session() as s:
        ids: dict[str, int] = {}
        for url, source, kind in refs:
            if url not in ids:
                link = s.scalar(select(Link).where(Link.url == url))
                if link is None:
                    link = Link(url=url, host=urlsplit(url).netloc)
                    s.add(link)
                    s.flush()
                ids[url] = link.id
            s.add(
                LinkRef(
                    link_id=ids[url],
                    source_url=source,
                    site_id=site_id,
                    section_id="gzdt",
                    on_home_page=source.endswith("/"),
                    kind=kind,
                )
            )


def verdicts(db: Database) -> dict[str, tuple[str, str | None, int]]:
    with db.session() as s:
        return {
            urlsplit(link.url).path: (link.verdict, link.reason, link.consecutive_failures)
            for link in s.scalars(select(Link))
        }


def attempts(db: Database, path: str) -> list[LinkCheck]:
    with db.session() as s:
        query = select(LinkCheck).join(Link, Link.id == LinkCheck.link_id).where(Link.url.endswith(path))
        return list(s.scalars(query.order_by(LinkCheck.id)))


FAST = PolitenessParams(per_host_concurrency=8, per_host_rate=0, global_concurrency=16)


@pytest.fixture
def server():  # type: ignore[no-untyped-def]
    srv = ls.LinkServer().start()
    yield srv
    srv.stop()


def test_every_reason_code_then_confirmation_on_the_second_run(tmp_path: Path, server) -> None:  # type: ignore[no-untyped-def]
    refused = f"http://127.0.0.1:{free_port()}/gone.html"
    server.routes.update(
        {
            "/ok.html": B("ok"),
            "/missing.html": B("status", status=404),
            "/removed.html": B("status", status=410),
            "/flaky500.html": B("fail_first", times=1, status=500),
            "/slow.html": B("ok", delay=3),
            "/r1": B("redirect", target="/r2"),
            "/r2": B("redirect", target="/r3"),
            "/r3": B("redirect", target="/ok-target.html"),
            "/ok-target.html": B("ok"),
            "/loop-a": B("redirect", target="/loop-b"),
            "/loop-b": B("redirect", target="/loop-a"),
            "/old-article.html": B("redirect", target="/"),
            "/deleted.html": B("error_page"),
            "/busy.html": B("retry_after", times=1, retry_after="1"),
            "/walled.html": B("bot_wall"),
            "/files/report.pdf": B("file"),
            "/files/form.doc": B("head_refused"),
            "/nginx403.html": B("status", status=403),
            "/plain404.png": B("status", status=404),
        }
    )
    config = make_config(tmp_path, server.base, recheck_delay_seconds=0, timeout_seconds=1, confirm_runs=2)
    db = open_db(config)
    home = server.url("/")
    refs = [(server.url(p), home, "a") for p in server.routes if p not in ("/r2", "/r3", "/loop-b")]
    refs = [
        (u, s, "attachment" if "/files/" in u else "img" if u.endswith(".png") else k) for u, s, k in refs
    ]
    # the same links carried by two more pages: still one check per URL per run
    refs += [(u, server.url("/zwdt/a.html"), k) for u, _, k in refs] + [(refused, home, "a")]
    add_links(db, refs)

    stats = check_links(config, db, params=FAST)
    assert stats.checked == stats.links_total == 17
    got = verdicts(db)
    assert got["/ok.html"] == ("ok", "ok", 0)
    assert got["/missing.html"] == ("suspect", "http_404", 1)
    assert got["/removed.html"] == ("suspect", "http_410", 1)
    assert got["/flaky500.html"] == ("suspect", "http_5xx", 1)
    assert got["/slow.html"] == ("suspect", "timeout", 1)
    assert got["/gone.html"] == ("suspect", "connection", 1)
    assert got["/r1"] == ("ok", "ok", 0)
    assert got["/loop-a"][:2] == ("suspect", "redirect_loop")
    assert got["/old-article.html"] == ("suspect", "soft_404", 1)
    assert got["/deleted.html"] == ("suspect", "soft_404", 1)
    assert got["/busy.html"] == ("ok", "ok", 0)
    assert got["/walled.html"] == ("blocked", "blocked", 0)
    assert got["/files/report.pdf"] == ("ok", "ok", 0)
    assert got["/files/form.doc"] == ("ok", "ok", 0)
    assert got["/nginx403.html"] == ("suspect", "http_4xx", 1)
    assert got["/plain404.png"] == ("suspect", "http_404", 1)

    # redirect chain recorded with the final URL
    chain = attempts(db, "/r1")
    assert len(chain) == 1 and chain[0].final_url == server.url("/ok-target.html")
    assert "/r2" in chain[0].detail and "/r3" in chain[0].detail
    # 429 honoured: a second GET after Retry-After, both stored
    busy = attempts(db, "/busy.html")
    assert [(a.method, a.http_status) for a in busy] == [("GET", 429), ("GET", 200)]
    # attachments: HEAD only; HEAD refused → GET
    assert [a.method for a in attempts(db, "/files/report.pdf")] == ["HEAD"]
    assert [(a.method, a.http_status) for a in attempts(db, "/files/form.doc")] == [
        ("HEAD", 405),
        ("GET", 200),
    ]
    # each URL checked once in the run, however many pages carry it
    assert server.hits("/ok.html") == 1 and server.hits("/missing.html") == 1
    assert server.hits("/r2") == 1 and server.hits("/files/report.pdf") == 1
    assert broken_links(db) == []  # nothing blamed after one run

    # second run: failures confirmed, recoveries cleared, OK links served from the cache
    stats2 = check_links(config, db, params=FAST)
    assert stats2.cached == 6  # ok, r1, ok-target, busy, report.pdf, form.doc: checked OK an instant ago
    got = verdicts(db)
    assert got["/missing.html"] == ("broken", "http_404", 2)
    assert got["/removed.html"] == ("broken", "http_410", 2)
    assert got["/slow.html"] == ("broken", "timeout", 2)
    assert got["/gone.html"] == ("broken", "connection", 2)
    assert got["/deleted.html"] == ("broken", "soft_404", 2)
    assert got["/old-article.html"] == ("broken", "soft_404", 2)
    assert got["/flaky500.html"] == ("ok", "ok", 0)  # 500 then recovery: never broken
    assert got["/walled.html"][0] == "blocked"  # a bot wall is never "broken"
    assert server.hits("/ok.html") == 1  # cached

    rows = broken_links(db)
    broken_paths = {urlsplit(r.url).path for r in rows}
    assert "/missing.html" in broken_paths and "/walled.html" not in broken_paths
    missing = [r for r in rows if r.url.endswith("/missing.html")]
    assert {r.source_url for r in missing} == {home, server.url("/zwdt/a.html")}
    assert [a.http_status for a in missing[0].attempts] == [404, 404]


def test_fails_once_then_works_is_never_broken(tmp_path: Path, server) -> None:  # type: ignore[no-untyped-def]
    server.routes.update(
        {"/once.html": B("fail_first", times=1, status=503), "/twice.html": B("status", status=404)}
    )
    config = make_config(tmp_path, server.base, recheck_delay_seconds=0, confirm_runs=2)
    db = open_db(config)
    add_links(
        db,
        [(server.url("/once.html"), server.url("/"), "a"), (server.url("/twice.html"), server.url("/"), "a")],
    )
    history = []
    for _ in range(3):
        check_links(config, db, params=FAST)
        history.append(verdicts(db))
    assert [h["/once.html"][0] for h in history] == ["suspect", "ok", "ok"]
    assert [h["/twice.html"][0] for h in history] == ["suspect", "broken", "broken"]


def test_recheck_within_one_run_confirms_or_clears(tmp_path: Path, server) -> None:  # type: ignore[no-untyped-def]
    server.routes.update(
        {
            "/dead.html": B("status", status=404),
            "/hiccup.html": B("fail_first", times=1, status=502),
        }
    )
    config = make_config(tmp_path, server.base, recheck_delay_seconds=0.3, confirm_runs=2)
    db = open_db(config)
    add_links(db, [(server.url(p), server.url("/"), "a") for p in ("/dead.html", "/hiccup.html")])
    stats = check_links(config, db, params=FAST)
    assert stats.rechecked == 2
    got = verdicts(db)
    assert got["/dead.html"] == ("broken", "http_404", 1)
    assert got["/hiccup.html"] == ("ok", "ok", 0)
    dead = attempts(db, "/dead.html")
    assert len(dead) == 2 and (dead[1].checked_at - dead[0].checked_at).total_seconds() >= 0.3


def test_soft_404_learned_from_the_hosts_own_error_page(tmp_path: Path) -> None:
    srv = ls.LinkServer(unknown="generic").start()
    try:
        srv.routes.update({"/news/1.html": B("ok"), "/news/removed.html": B("generic")})
        config = make_config(tmp_path, srv.base, recheck_delay_seconds=0)
        db = open_db(config)
        add_links(db, [(srv.url(p), srv.url("/"), "a") for p in ("/news/1.html", "/news/removed.html")])
        check_links(config, db, params=FAST)
        got = verdicts(db)
        assert got["/news/1.html"][0] == "ok"
        assert got["/news/removed.html"][:2] == ("suspect", "soft_404")
        assert "相似度" in attempts(db, "/news/removed.html")[-1].detail
        probes = [p for (_, p) in srv.counts if p.startswith("/zwgk-missing-")]
        assert len(probes) == 1  # one fingerprint request per host per run
    finally:
        srv.stop()


def test_per_host_concurrency_cap_is_respected(tmp_path: Path, server) -> None:  # type: ignore[no-untyped-def]
    paths = [f"/slow/{i}.html" for i in range(24)]
    server.routes.update({p: B("ok", delay=0.15) for p in paths})
    config = make_config(tmp_path, server.base)
    db = open_db(config)
    add_links(db, [(server.url(p), server.url("/"), "a") for p in paths])
    params = PolitenessParams(per_host_concurrency=3, per_host_rate=0, global_concurrency=20)
    stats = check_links(config, db, params=params)
    assert stats.verdicts == {"ok": 24}
    assert server.max_in_flight <= 3
    assert server.max_in_flight >= 2  # the cap is reached, so the assertion above means something
    assert max(stats.max_in_flight_per_host.values()) <= 3


def test_external_links_skipped_when_disabled(tmp_path: Path, server) -> None:  # type: ignore[no-untyped-def]
    other = ls.LinkServer().start()
    try:
        other.routes["/x.html"] = B("ok")
        server.routes["/in.html"] = B("ok")
        config = make_config(tmp_path, server.base, check_external=False)
        db = open_db(config)
        add_links(
            db, [(server.url("/in.html"), server.url("/"), "a"), (other.url("/x.html"), server.url("/"), "a")]
        )
        stats = check_links(config, db, params=FAST)
        assert (stats.checked, stats.skipped) == (1, 1)
        assert other.hits("/x.html") == 0
    finally:
        other.stop()


def test_link_rows_group_by_source_page(tmp_path: Path, server) -> None:  # type: ignore[no-untyped-def]
    server.routes["/a.html"] = B("ok")
    config = make_config(tmp_path, server.base)
    db = open_db(config)
    add_links(
        db,
        [(server.url("/a.html"), server.url("/"), "a"), (server.url("/a.html"), server.url("/b.html"), "a")],
    )
    check_links(config, db, params=FAST)
    rows = link_rows(db, site_id="portal", with_attempts=5)
    assert [r.on_home_page for r in rows] == [True, False]
    assert all(r.verdict == "ok" and len(r.attempts) == 1 for r in rows)
