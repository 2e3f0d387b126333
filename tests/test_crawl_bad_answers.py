"""Bad answers beyond test_crawl_sites: truncated and empty bodies, 加速乐 and 360 WAF walls, lists that loop.

Every one is recorded with its outcome and a Chinese reason and is never stored as an empty section;
a list whose 下一页 links go round in a circle, or never end, is read once and stops.
"""

from __future__ import annotations

import pytest
from crawl_support import SiteServer, day, html_page, li, site_block, write_settings
from sqlalchemy import select
from twisted.python.failure import Failure

from crawler.outcomes import classify_failure
from crawler.runner import crawl_sites
from store.db import Database
from store.models import Item, SectionCrawl
from zwgk.config import load_config

JSL = ("<html><script>document.cookie=('_')+('_jsl_clearance_s=1');"
       "location.href=location.pathname+location.search</script></html>")
PANYUN = ('<html><head><title>请稍候</title></head><body><form id="ChallengeForm" '
          'action="//www.360panyun.net/__panyun/verify"><input name="waf_answer"></form></body></html>')


def _list(srv: SiteServer, path: str, numbers: list[int], next_path: str | None) -> None:
    rows = "".join(li(f"/x/art/{n}.html", f"第{n}条通知", day(n)) for n in numbers)
    pager = f'<div class="page"><a href="{next_path}">下一页</a></div>' if next_path else ""
    srv.add(path, html_page("列表", f'<div class="list"><ul>{rows}</ul></div>{pager}'))


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("bad")
    srv = SiteServer()
    srv.add("/x/", html_page("首页", '<a href="/x/cyc/list.html">列表</a>'))
    srv.add("/x/empty/", b"")
    rows = "".join(li(f"/x/art/{n}.html", f"第{n}条通知", day(n)) for n in range(1, 30))
    srv.add("/x/trunc/", html_page("列表", f'<div class="list"><ul>{rows}</ul></div>'), truncate=300)
    srv.add("/x/jsl/", JSL, status=521)
    srv.add("/x/panyun/", PANYUN)
    _list(srv, "/x/cyc/list.html", [1, 2, 3], "/x/cyc/list_2.html")
    _list(srv, "/x/cyc/list_2.html", [4, 5, 6], "/x/cyc/list.html")  # back to page 1
    for k in range(1, 40):  # a list that never ends (each page links to the next)
        _list(srv, f"/x/end/p{k}.html", [3 * k, 3 * k + 1, 3 * k + 2], f"/x/end/p{k + 1}.html")
    for n in range(1, 130):
        srv.add(f"/x/art/{n}.html", html_page(f"第{n}条通知", f"<p>发布日期：{day(n)}</p>"))
    srv.start()
    b = srv.base
    sections = [(s, f"{b}/x/{s}/") for s in ("empty", "trunc", "jsl", "panyun")]
    sections += [("cyc", b + "/x/cyc/list.html"), ("end", b + "/x/end/p1.html")]
    config = load_config(write_settings(tmp, [site_block("x", b + "/x/", sections)], horizon=400))
    [outcome] = crawl_sites(config)
    db = Database(config.database_url)
    with db.session() as s:
        rows = {r.section_id: r for r in s.scalars(select(SectionCrawl))}
        items = {(i.section_id, i.url.rsplit("/", 1)[-1]): i for i in s.scalars(select(Item))}
    db.dispose()
    yield outcome, rows, items, srv
    srv.stop()


@pytest.mark.parametrize(
    ("section", "outcome", "reason"),
    [
        ("empty", "parse_error", "响应为空"),
        ("trunc", "connection", "响应被截断"),
        ("jsl", "blocked", "加速乐 (HTTP 521"),
        ("panyun", "blocked", "360 磐云 WAF"),
    ],
)
def test_bad_answers_are_recorded_with_their_reason(crawled, section: str, outcome: str, reason: str) -> None:
    run, rows, items, _srv = crawled
    row = rows[section]
    assert (row.outcome, row.items_found) == (outcome, 0), (row.outcome, row.reason)
    assert reason in (row.reason or ""), row.reason
    assert not [k for k in items if k[0] == section]
    assert run.status == "partial" and section in run.reason


def test_a_list_that_loops_back_is_read_once(crawled) -> None:
    _run, rows, items, srv = crawled
    row = rows["cyc"]
    assert (row.outcome, row.pages_fetched, row.items_found) == ("ok", 2, 6)
    assert len(srv.requests("/x/cyc/list.html")) == 1 and len(srv.requests("/x/cyc/list_2.html")) == 1
    assert {k[1] for k in items if k[0] == "cyc"} == {f"{n}.html" for n in range(1, 7)}


def test_a_list_that_never_ends_stops_at_the_page_limit(crawled) -> None:
    _run, rows, _items, srv = crawled
    row = rows["end"]
    assert (row.outcome, row.pages_fetched, row.items_found) == ("ok", 10, 30)  # max_list_pages = 10
    assert "最大列表页数" in row.reason
    assert srv.requests("/x/end/p10.html") and not srv.requests("/x/end/p11.html")


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("DownloadConnectionRefusedError", "连接被拒绝"),
        ("CannotResolveHostError", "域名解析失败"),
        ("ResponseDataLossError", "响应被截断"),
        ("DownloadTimeoutError", "超时"),
    ],
)
def test_scrapy_download_errors_have_chinese_reasons(name: str, reason: str) -> None:
    from scrapy import exceptions

    cls = getattr(exceptions, name, None)
    if cls is None:
        pytest.skip(f"Scrapy without {name}")
    try:
        raise cls("x")
    except cls:
        problem = classify_failure(Failure())
    assert reason in problem.reason and name not in problem.reason


def test_robots_obeyed_by_default_switchable_per_site_and_the_user_agent_names_a_contact(tmp_path) -> None:
    srv = SiteServer()
    srv.add("/robots.txt", "User-agent: *\nDisallow: /x/priv/\n", content_type="text/plain")
    srv.add("/x/", html_page("首页", ""))
    srv.add("/x/priv/", html_page("列表", f'<div class="list"><ul>{li("/x/a1.html", "条目一", day(1))}'
                                          f'{li("/x/a2.html", "条目二", day(2))}</ul></div>'))
    for n in (1, 2):
        srv.add(f"/x/a{n}.html", html_page(f"条目{n}", f"<p>发布日期：{day(n)}</p>"))
    srv.start()
    try:
        b = srv.base
        own = site_block("own", b + "/x/", [("priv", b + "/x/priv/")]).replace('id = "own"\n',
                                                                              'id = "own"\nobey_robots = false\n', 1)
        path = write_settings(tmp_path, [site_block("x", b + "/x/", [("priv", b + "/x/priv/")]), own])
        config = load_config(path)
        runs = {o.site_id: {s["section_id"]: s for s in o.sections} for o in crawl_sites(config)}
    finally:
        srv.stop()
    assert (runs["x"]["priv"]["outcome"], runs["x"]["priv"]["items_found"]) == ("robots", 0)
    assert "robots.txt" in runs["x"]["priv"]["reason"]
    assert (runs["own"]["priv"]["outcome"], runs["own"]["priv"]["items_found"]) == ("ok", 2)
    assert srv.requests("/robots.txt")
    agents = {r.headers.get("User-Agent", "") for r in srv.log}  # the server reads header bytes as Latin-1
    assert agents == {config.general.user_agent} and "mailto:" in config.general.user_agent
    assert config.general.user_agent.isascii()
