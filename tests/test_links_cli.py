"""`zwgk links check|list` and `zwgk probe` end to end against a local server."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from test_links_check import B, add_links, ls, open_db

from zwgk.cli import main
from zwgk.config import load_config


@pytest.fixture
def site(tmp_path: Path):  # type: ignore[no-untyped-def]
    srv = ls.LinkServer(
        routes={"/ok.html": B("ok"), "/dead.html": B("status", status=404), "/wall.html": B("bot_wall")}
    ).start()
    settings = tmp_path / "settings.toml"
    settings.write_text(
        f"""
[general]
database_url = "sqlite:///{tmp_path / "zwgk.db"}"

[links]
recheck_delay_seconds = 0
per_host_rate = 1000

[[departments]]
id = "office"
name = "区政府办公室"

[[sites]]
id = "portal"
name = "示范区人民政府"
base_url = "{srv.base}/"
department = "office"
""",
        encoding="utf-8",
    )
    db = open_db(load_config(settings, check_indicators=False))
    add_links(db, [(srv.url(p), srv.url("/"), "a") for p in ("/ok.html", "/dead.html", "/wall.html")])
    db.dispose()
    yield srv, str(settings)
    srv.stop()


def test_links_check_list_and_probe(site, capsys) -> None:  # type: ignore[no-untyped-def]
    srv, settings = site
    assert main(["links", "check", "--config", settings]) == 0  # first failure: suspect only
    out = capsys.readouterr().out
    assert "失效（已确认）0 个；疑似 1 个" in out and "被拦截 1 个" in out

    assert main(["links", "check", "--site", "portal", "--config", settings]) == 1
    out = capsys.readouterr().out
    assert "失效（已确认）1 个" in out
    assert srv.url("/dead.html") in out and f"所在页面：{srv.url('/')} [首页]" in out
    # every attempt behind the verdict, oldest first, with its local time and reason
    tries = [line.strip() for line in out.splitlines() if line.strip().startswith("检查记录：")]
    assert len(tries) == 2 and all(" CST GET HTTP 404 页面不存在" in t for t in tries), tries
    assert tries[0].split(" CST")[0] <= tries[1].split(" CST")[0]  # times only: "9 毫秒" > "13 毫秒" as text

    assert main(["links", "list", "--verdict", "broken", "--format", "json", "--config", settings]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [(r["url"], r["reason"], r["http_status"]) for r in data["links"]] == [
        (srv.url("/dead.html"), "http_404", 404)
    ]
    attempts = data["links"][0]["attempts"]
    assert [(a["method"], a["http_status"], a["reason"]) for a in attempts] == [("GET", 404, "http_404")] * 2
    assert attempts[0]["checked_at"] <= attempts[1]["checked_at"]
    assert all(a["checked_at"].endswith("+00:00") for a in attempts)
    assert data["links"][0]["last_checked"].endswith("+00:00")

    assert main(["links", "list", "--format", "json", "--config", settings]) == 0
    by_url = {r["url"]: r for r in json.loads(capsys.readouterr().out)["links"]}
    assert "attempts" not in by_url[srv.url("/ok.html")]
    assert [a["reason"] for a in by_url[srv.url("/wall.html")]["attempts"]] == ["blocked", "blocked"]

    assert main(["links", "list", "--format", "csv", "--config", settings]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0][:2] == ["结论", "原因"] and len(rows) == 4
    assert {r[0] for r in rows[1:]} == {"ok", "broken", "blocked"}

    assert main(["links", "list", "--config", settings]) == 0
    assert "失效" in capsys.readouterr().out

    assert main(["probe", "--config", settings]) == 0
    out = capsys.readouterr().out
    assert "portal  可访问" in out and "近 7 天探测 1 次，失败 0 次" in out


def test_unknown_site_is_a_usage_error(site, capsys) -> None:  # type: ignore[no-untyped-def]
    _, settings = site
    assert main(["links", "check", "--site", "nope", "--config", settings]) == 2
    assert "未知网站" in capsys.readouterr().err
