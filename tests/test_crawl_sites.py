"""End-to-end crawls of local CMS-shaped sites (issue 3): items and dates, bad pages, evidence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from crawl_support import (
    RUISHU,
    SiteServer,
    add_bad_site,
    add_gbk_site,
    add_hanweb_site,
    add_trs_site,
    add_ucap_site,
    site_block,
    write_settings,
)
from sqlalchemy import select

from crawler.runner import crawl_sites
from store.db import Database
from store.models import Attachment, CrawlRun, Item, Link, LinkRef, ListSnapshot, Page, SectionCrawl
from store.warc import read_payload, read_record, read_response
from zwgk.cli import main as cli_main
from zwgk.config import load_config

HORIZON = 40


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("crawl")
    srv = SiteServer()
    expect = {
        "trs": add_trs_site(srv, horizon_days=HORIZON),
        "hanweb": add_hanweb_site(srv),
        "ucap": add_ucap_site(srv),
        "gbk": add_gbk_site(srv),
    }
    add_bad_site(srv)
    srv.start()
    b = srv.base
    blocks = [
        site_block("trs", b + "/trs/", [("tzgg", b + "/trs/tzgg/index.html")]),
        site_block("hanweb", b + "/hanweb/", [("zcwj", b + "/col/col100/index.html")], cms="hanweb"),
        site_block("ucap", b + "/ucap/", [("list", b + "/ucap/col/col300/index.html")]),
        site_block("gbk", b + "/gbk/", [("gg", b + "/gbk/list.html")]),
        site_block("bad", b + "/bad/", [("blocked", b + "/bad/blocked/"), ("loop", b + "/bad/loop"),
                                        ("slow", b + "/bad/slow/"), ("err", b + "/bad/err/"),
                                        ("private", b + "/bad/private/")]),
    ]
    config = load_config(write_settings(tmp, blocks, horizon=HORIZON))
    outcomes = {o.site_id: o for o in crawl_sites(config)}
    db = Database(config.database_url)
    yield config, db, srv, expect, outcomes
    db.dispose()
    srv.stop()


def _items(db: Database, site_id: str) -> dict[str, Item]:
    with db.session() as s:
        return {i.url: i for i in s.scalars(select(Item).where(Item.site_id == site_id))}


@pytest.mark.parametrize("site_id", ["trs", "hanweb", "ucap", "gbk"])
def test_every_item_found_with_the_right_date(crawled, site_id: str) -> None:
    _config, db, _srv, expect, outcomes = crawled
    assert outcomes[site_id].status == "ok", outcomes[site_id]
    items = _items(db, site_id)
    for url, (published, source, list_date) in expect[site_id].items.items():
        assert url in items, f"missing {url}"
        item = items[url]
        assert (item.published, item.date_source, item.list_date) == (published, source, list_date), url
        assert item.page_id is not None
    with db.session() as s:
        sc = s.scalars(select(SectionCrawl).where(SectionCrawl.site_id == site_id,
                                                  SectionCrawl.section_id != "_home")).one()
    assert sc.outcome == "ok"
    assert sc.items_found >= len(expect[site_id].items)


def test_meta_date_beats_list_and_url_dates(crawled) -> None:
    _config, db, _srv, expect, _ = crawled
    first = next(iter(expect["trs"].items))
    item = _items(db, "trs")[first]
    assert item.date_source == "meta"
    assert item.list_date is not None and item.published < item.list_date  # PubDate is a day before the list
    assert f"t{item.published:%Y%m%d}" not in item.url  # the URL date was not used


def test_trs_pagination_stops_at_the_horizon(crawled) -> None:
    _config, db, srv, _expect, _ = crawled
    assert srv.requests("/trs/tzgg/index_1.html") and srv.requests("/trs/tzgg/index_2.html")
    assert not srv.requests("/trs/tzgg/index_3.html")  # beyond the horizon: never requested
    with db.session() as s:
        sc = s.scalars(select(SectionCrawl).where(SectionCrawl.section_id == "tzgg")).one()
    assert sc.reached_horizon and sc.pages_fetched == 3 and sc.adapter == "trs"


def test_hanweb_groups_are_posted_to_dataproxy(crawled) -> None:
    _config, db, srv, _expect, _ = crawled
    posts = [r for r in srv.log if r.method == "POST" and "dataproxy.jsp" in r.path]
    assert len(posts) == 2
    assert all(b"columnid=100" in p.body and b"unitid=200" in p.body for p in posts)
    with db.session() as s:
        sc = s.scalars(select(SectionCrawl).where(SectionCrawl.section_id == "zcwj")).one()
    assert (sc.declared_total, sc.items_found, sc.pagination_method) == (6, 6, "hanweb_dataproxy")


def test_bad_pages_are_recorded_with_their_reason(crawled) -> None:
    _config, db, _srv, _expect, outcomes = crawled
    assert outcomes["bad"].status == "partial"
    with db.session() as s:
        rows = {r.section_id: r for r in s.scalars(select(SectionCrawl).where(SectionCrawl.site_id == "bad"))}
        run = s.get(CrawlRun, outcomes["bad"].run_id)
    assert rows["_home"].outcome == "ok"
    assert rows["blocked"].outcome == "blocked" and "瑞数" in rows["blocked"].reason
    assert rows["loop"].outcome == "http_error" and "重定向" in rows["loop"].reason
    assert rows["slow"].outcome == "timeout" and "超时" in rows["slow"].reason
    assert rows["err"].outcome == "http_error" and "500" in rows["err"].reason
    assert rows["private"].outcome == "robots" and "robots" in rows["private"].reason
    for sid in ("blocked", "loop", "slow", "err", "private"):
        assert rows[sid].items_found == 0 and rows[sid].outcome not in ("ok", "empty")
    assert run.status == "partial" and "blocked" in run.reason


def test_evidence_pointer_returns_the_exact_bytes(crawled) -> None:
    config, db, srv, _expect, _ = crawled
    with db.session() as s:
        page = s.scalars(select(Page).where(Page.url.like("%/gbk/art/1.html"))).one()
        blocked = s.scalars(select(ListSnapshot).where(ListSnapshot.section_id == "blocked")).one()
    sent = srv.routes["GET /gbk/art/1.html"].body
    assert sent.decode("gbk")  # really GBK bytes
    assert read_payload(config.evidence_dir, page.warc_file, page.warc_offset, page.warc_length) == sent
    assert page.encoding == "gb18030" and "国标编码第1条公告" in page.title
    stored = read_response(config.evidence_dir, blocked.warc_file, blocked.warc_offset, blocked.warc_length)
    assert stored.status == 412 and stored.body == RUISHU.encode()
    record = read_record(config.evidence_dir, blocked.warc_file, blocked.warc_offset, blocked.warc_length)
    assert record.startswith(b"WARC/1.0") and blocked.warc_record_id.encode() in record
    assert blocked.warc_file.endswith(f"bad-{blocked.run_id}.warc.gz")


def test_links_home_page_and_attachments(crawled) -> None:
    _config, db, _srv, _expect, _ = crawled
    with db.session() as s:
        home_refs = s.scalars(select(LinkRef).where(LinkRef.site_id == "trs", LinkRef.on_home_page)).all()
        home_urls = {s.get(Link, r.link_id).url for r in home_refs}
        article_refs = s.scalars(select(LinkRef).where(LinkRef.site_id == "trs", LinkRef.section_id == "tzgg")).all()
        att = s.scalars(select(Attachment)).one()
        gov = s.scalars(select(Link).where(Link.url == "http://www.gov.cn/")).one()
    assert any(u.endswith("/trs/tzgg/index.html") for u in home_urls)
    assert any(r.kind == "attachment" for r in article_refs)
    assert gov.host == "www.gov.cn"
    assert att.outcome == "ok" and "13800000000" in att.text and att.warc_offset is not None


def test_items_command_json(crawled, capsys: pytest.CaptureFixture[str]) -> None:
    config, _db, _srv, expect, _ = crawled
    code = cli_main(["items", "--config", str(config.path), "--site", "gbk", "--section", "gg", "--format", "json"])
    assert code == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["url"] for r in rows} == set(expect["gbk"].items)
    first = next(r for r in rows if r["url"].endswith("/gbk/art/1.html"))
    assert first["published"] == expect["gbk"].items[first["url"]][0].isoformat()
    assert first["date_source"] == "page" and first["first_seen"] and first["last_seen"]
    assert cli_main(["items", "--config", str(config.path), "--site", "gbk", "--section", "gg"]) == 0
    assert "国标编码第1条公告" in capsys.readouterr().out


def test_down_site_and_hung_site(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A site that refuses connections is a failed run; a site that hangs is killed and marked timeout."""
    from conftest import free_port

    srv = SiteServer()
    srv.add("/hang/", "<html></html>", delay=30)
    srv.start()
    try:
        down = f"http://127.0.0.1:{free_port()}"
        blocks = [
            site_block("down", down + "/", [("s1", down + "/list.html")]),
            site_block("hang", srv.base + "/hang/", [("s1", srv.base + "/hang/")]),
        ]
        path = write_settings(tmp_path, blocks)
        code = cli_main(["crawl", "--config", str(path), "--site", "down"])
        out = capsys.readouterr().out
        assert code == 0 and "失败" in out and "连接" in out
        # The page answers after 30 s and the download timeout is 20 s: only the runner's 4 s limit stops it.
        path.write_text(path.read_text().replace("download_timeout = 1.0", "download_timeout = 20.0"))
        config = load_config(path)
        [hung] = crawl_sites(config, ["hang"], timeout=4)
    finally:
        srv.stop()
    assert hung.status == "timeout" and "超时" in hung.reason
    db = Database(config.database_url)
    with db.session() as s:
        runs = {r.site_id: r for r in s.scalars(select(CrawlRun))}
        down_rows = s.scalars(select(SectionCrawl).where(SectionCrawl.site_id == "down")).all()
        hang_rows = s.scalars(select(SectionCrawl).where(SectionCrawl.site_id == "hang")).all()
    db.dispose()
    assert runs["down"].status == "failed" and runs["down"].finished_at is not None
    assert {r.outcome for r in down_rows} == {"connection"}
    assert all("连接被拒绝" in r.reason for r in down_rows), [r.reason for r in down_rows]
    assert runs["hang"].status == "timeout"
    assert {r.section_id for r in hang_rows} == {"_home", "s1"} and {r.outcome for r in hang_rows} == {"timeout"}
