"""A department fixes a broken link by removing it from its page: the links finding resolves.

Before, the reference from the page to the dead link was kept for ever (references were only ever
added), so a fixed page kept its section failing and the finding could never be resolved.
"""

from __future__ import annotations

from pathlib import Path

from crawl_support import SiteServer, day, site_block, write_settings
from sqlalchemy import select

from checks.engine import run_checks
from crawler.runner import crawl_sites
from store.models import Finding, Link, LinkRef
from zwgk import pipeline
from zwgk.app import open_app


def _page(title: str, body: str) -> str:
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head><body>{body}</body></html>"


def _article(n: int, extra: str) -> str:
    return _page(f"条目{n}", f"<h1>条目{n}</h1><p>发布日期：{day(n)}</p><div id='zoom'><p>正文。</p>{extra}</div>")


def _links_verdict(app, today):  # type: ignore[no-untyped-def]
    results = run_checks(app.config, app.db, today, record=True)
    [result] = [r for r in results if r.rule == "national.links" and r.section == "l"]
    return result


def test_a_removed_broken_link_stops_counting_and_the_finding_resolves(tmp_path: Path) -> None:
    srv = SiteServer()
    srv.add("/", _page("根", "根"))
    srv.add("/x/", _page("首页", '<a href="/x/l/">列表</a>'))
    rows = "".join(f'<li><a href="/x/a{n}.html">条目{n}</a><span>{day(n)}</span></li>' for n in (1, 2))
    srv.add("/x/l/", _page("列表", f'<div class="list"><ul>{rows}</ul></div>'))
    srv.add("/x/a1.html", _article(1, '<p><a href="/x/missing.doc">附件：名单.doc</a></p>'), etag='"a1-v1"')
    srv.add("/x/a2.html", _article(2, '<p><a href="/x/ok.html">相关链接</a></p>'), etag='"a2"')
    srv.add("/x/ok.html", _page("相关", "相关"))
    srv.start()
    try:
        b = srv.base
        path = write_settings(tmp_path, [site_block("x", b + "/x/", [("l", b + "/x/l/")])])
        path.write_text(path.read_text(encoding="utf-8")
                        + "\n[links]\ncheck_external = false\nrecheck_delay_seconds = 0.2\nper_host_rate = 0\n",
                        encoding="utf-8")
        app = open_app(path)
        try:
            def crawl_and_check_links() -> None:
                [run] = crawl_sites(app.config)
                assert run.status == "ok", run
                pipeline.check_links(app)
                pipeline.check_links(app)  # broken only when confirmed on a second attempt

            crawl_and_check_links()
            before = _links_verdict(app, pipeline.today(app))  # read after the crawl: midnight-safe
            assert before.status == "fail" and "missing.doc" in before.message, before.message

            # The department removes the dead attachment link; the other article does not change (304).
            srv.add("/x/a1.html", _article(1, "<p>附件已更新。</p>"), etag='"a1-v2"')
            mark = len(srv.log)
            crawl_and_check_links()
            assert [r.status for r in srv.log[mark:] if r.path == "/x/a2.html" and r.headers.get("If-None-Match")] \
                == [304]
            after = _links_verdict(app, pipeline.today(app))
            assert after.status == "pass", after.message

            with app.db.session() as s:
                refs = {(ref.source_url.rsplit("/", 1)[-1], s.get(Link, ref.link_id).url.rsplit("/", 1)[-1])
                        for ref in s.scalars(select(LinkRef))}
                [finding] = s.scalars(select(Finding).where(Finding.rule == "national.links",
                                                            Finding.section_id == "l")).all()
                resolved = (finding.status, finding.resolved_at)
        finally:
            app.close()
    finally:
        srv.stop()
    assert ("a1.html", "missing.doc") not in refs  # no longer on the page
    assert ("a2.html", "ok.html") in refs  # a page answered 304 keeps its references
    assert resolved[0] == "pass" and resolved[1] is not None
