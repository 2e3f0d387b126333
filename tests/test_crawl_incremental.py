"""Incremental crawls: conditional requests, no article fetched twice, items that leave a list."""

from __future__ import annotations

from pathlib import Path

from crawl_support import SiteServer, add_trs_site, day, html_page, li, site_block, write_settings
from sqlalchemy import select

from crawler.runner import crawl_sites
from store.db import Database
from store.models import Item, SectionCrawl
from zwgk.config import load_config


def _article_fetches(srv: SiteServer) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for r in srv.log:
        if "/t20" in r.path and r.path.endswith(".html"):
            out.setdefault(r.path, []).append(r.status)
    return out


def test_unchanged_site_costs_conditional_requests_only(tmp_path: Path) -> None:
    srv = SiteServer()
    add_trs_site(srv, horizon_days=40)
    srv.start()
    try:
        b = srv.base
        config = load_config(write_settings(tmp_path, [site_block("trs", b + "/trs/", [("tzgg", b + "/trs/tzgg/index.html")])]))
        db = Database(config.database_url)
        [first] = crawl_sites(config)
        assert first.status == "ok"
        with db.session() as s:
            seen_before = {i.url: i.last_seen for i in s.scalars(select(Item))}
        mark = len(srv.log)

        [second] = crawl_sites(config)
        assert second.status == "ok"
        again = srv.log[mark:]
        [list_req] = [r for r in again if r.path == "/trs/tzgg/index.html"]
        assert list_req.headers.get("If-None-Match") == '"list-0"'
        assert list_req.headers.get("If-Modified-Since") == "Sun, 01 Nov 2026 08:00:00 GMT"
        assert list_req.status == 304
        assert not [r for r in again if "/t20" in r.path]  # no article requested at all
        with db.session() as s:
            sc = s.scalars(select(SectionCrawl).where(SectionCrawl.run_id == second.run_id,
                                                      SectionCrawl.section_id == "tzgg")).one()
            items = {i.url: i for i in s.scalars(select(Item))}
        assert sc.outcome == "unchanged" and sc.items_found == len(seen_before) == 9
        assert all(items[u].last_seen > seen_before[u] for u in seen_before)  # still counted as seen

        # The list changes (a new item on top): known articles are revalidated, only the new one is fetched.
        new_path = "/trs/tzgg/202611/t20261122_9999.html"
        new_html = f"<html><head><meta name='PubDate' content='{day(0)} 08:00'></head><body>新</body></html>"
        srv.add(new_path, new_html, etag='"art-new"')
        page0 = srv.routes["GET /trs/tzgg/index.html"].body.decode()
        page0 = page0.replace("<ul>", "<ul>" + li("./202611/t20261122_9999.html", "新增的通知", day(0)), 1)
        srv.add("/trs/tzgg/index.html", page0, etag='"list-0b"')
        mark = len(srv.log)
        [third] = crawl_sites(config)
        assert third.status == "ok"
        revalidated = [r for r in srv.log[mark:] if "/t20" in r.path and r.path != new_path]
        assert revalidated and all(r.headers.get("If-None-Match") and r.status == 304 for r in revalidated)
        fetches = _article_fetches(srv)
        assert fetches[new_path] == [200]
        assert all(statuses.count(200) == 1 for statuses in fetches.values())  # no article fetched twice
        with db.session() as s:
            new = s.scalars(select(Item).where(Item.url == b + new_path)).one()
            old = s.scalars(select(Item).where(Item.url.like("%t20%_1001.html"))).one()
        db.dispose()
        assert (new.published, new.date_source) == (day(0), "meta")
        assert old.date_source == "meta" and old.page_id is not None and old.gone_at is None
    finally:
        srv.stop()


def test_items_that_leave_a_fully_read_list_are_marked_gone(tmp_path: Path) -> None:
    srv = SiteServer()

    def publish(numbers: list[int]) -> None:
        rows = "".join(li(f"/g/a{n}.html", f"第{n}条", day(n)) for n in numbers)
        srv.add("/g/list.html", html_page("列表", f'<div class="list"><ul>{rows}</ul></div>'))

    for n in (1, 2, 3):
        srv.add(f"/g/a{n}.html", html_page(f"第{n}条", f"<p>发布日期：{day(n)}</p>"))
    publish([1, 2, 3])
    srv.add("/g/", html_page("首页", ""))
    srv.start()
    try:
        b = srv.base
        config = load_config(write_settings(tmp_path, [site_block("g", b + "/g/", [("l", b + "/g/list.html")])]))
        crawl_sites(config)
        publish([1, 3])
        [run] = crawl_sites(config)
        db = Database(config.database_url)
        with db.session() as s:
            items = {i.url.rsplit("/", 1)[-1]: i for i in s.scalars(select(Item))}
            sc = s.scalars(select(SectionCrawl).where(SectionCrawl.run_id == run.run_id,
                                                      SectionCrawl.section_id == "l")).one()
        db.dispose()
        assert items["a2.html"].gone_at is not None
        assert items["a1.html"].gone_at is None and items["a3.html"].gone_at is None
        assert sc.outcome == "ok" and sc.items_found == 2 and "消失" in sc.reason
    finally:
        srv.stop()
