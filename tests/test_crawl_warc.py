"""WARC evidence: pointers give back exactly what was written / what the server sent."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from crawl_support import SiteServer, day, html_page, li, site_block, write_settings
from sqlalchemy import select

from crawler.runner import crawl_sites
from store.db import Database
from store.models import Page
from store.warc import WarcStore, read_payload, read_raw, read_record, read_response, run_warc_path


def test_pointers_round_trip(tmp_path: Path) -> None:
    rel = run_warc_path("site-a", 7, day(0))
    assert rel.endswith("/site-a-7.warc.gz") and rel.startswith(f"{day(0):%Y/%m/%d}")
    store = WarcStore(tmp_path, rel)
    bodies = [b"<html>\xd6\xd0\xce\xc4</html>", b"", bytes(range(256)) * 50]
    pointers = [
        store.write_exchange(f"http://127.0.0.1/p{i}", status=s, headers=[("Content-Type", "text/html")],
                             body=body, method="POST" if i == 1 else "GET", request_body=b"a=1" if i == 1 else b"")
        for i, (s, body) in enumerate(zip([200, 412, 200], bodies, strict=True))
    ]
    store.close()
    assert len({p.offset for p in pointers}) == 3 and len({p.record_id for p in pointers}) == 3
    for ptr, body in zip(pointers, bodies, strict=True):
        assert read_payload(tmp_path, ptr.warc_file, ptr.offset, ptr.length) == body
        raw = read_raw(tmp_path, ptr.warc_file, ptr.offset, ptr.length)
        assert raw[:2] == b"\x1f\x8b"  # one gzip member per record
        assert read_record(tmp_path, ptr.warc_file, ptr.offset, ptr.length).startswith(b"WARC/1.0")
    stored = read_response(tmp_path, pointers[1].warc_file, pointers[1].offset, pointers[1].length)
    assert stored.status == 412 and stored.url == "http://127.0.0.1/p1"
    with pytest.raises(ValueError):
        read_raw(tmp_path, "../outside.warc.gz", 0, 10)


def test_gzip_encoded_answer_is_kept_as_sent_and_still_parsed(tmp_path: Path) -> None:
    srv = SiteServer()
    article = html_page("压缩的文章", f"<div id='zoom'><p>发布日期：{day(2)}</p><p>{'内容' * 50}</p></div>")
    sent = gzip.compress(article.encode("utf-8"))
    srv.add("/z/a.html", sent, content_type="text/html; charset=utf-8", headers={"Content-Encoding": "gzip"})
    srv.add("/z/list.html", html_page("列表", f'<div class="list"><ul>{li("/z/a.html", "压缩的文章", day(2))}'
                                              f'{li("/z/b.html", "另一篇", day(3))}</ul></div>'))
    srv.add("/z/b.html", html_page("另一篇", "<p>正文</p>"))
    srv.add("/z/", html_page("首页", ""))
    srv.start()
    try:
        b = srv.base
        config_path = write_settings(tmp_path, [site_block("z", b + "/z/", [("l", b + "/z/list.html")])])
        from zwgk.config import load_config

        config = load_config(config_path)
        [outcome] = crawl_sites(config)
    finally:
        srv.stop()
    assert outcome.status == "ok"
    db = Database(config.database_url)
    with db.session() as s:
        page = s.scalars(select(Page).where(Page.url == b + "/z/a.html")).one()
    db.dispose()
    assert page.outcome == "ok" and page.title == "压缩的文章" and page.pubdate.date() == day(2)
    stored = read_response(config.evidence_dir, page.warc_file, page.warc_offset, page.warc_length)
    assert stored.body == sent  # the compressed bytes, exactly as sent
    assert ("Content-Encoding", "gzip") in stored.headers
