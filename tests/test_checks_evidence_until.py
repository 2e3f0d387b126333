"""A check judges what was stored by the end of its day, unless told to count evidence up to a later instant.

The demo builds its site for one date and judges that date with the crawl it has just made; the crawl
may end after midnight, or the date may be a chosen past day (``zwgk demo --date``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from crawl_support import SiteServer, article_html, check_day, day, html_page, li, site_block, write_settings

from checks.engine import run_checks
from crawler.runner import crawl_sites
from store.models import utcnow
from zwgk.app import open_app


def test_a_past_day_counts_a_later_crawl_only_when_told_to(tmp_path: Path) -> None:
    srv = SiteServer()
    srv.add("/w/", html_page("首页", '<a href="/w/gzdt/">工作动态</a>'))
    rows = "".join(li(f"/w/a{n}.html", f"工作动态第{n}期", day(n)) for n in (2, 9, 16))
    srv.add("/w/gzdt/", html_page("工作动态", f'<div class="list"><ul>{rows}</ul></div>'))
    for n in (2, 9, 16):
        srv.add(f"/w/a{n}.html", article_html(f"工作动态第{n}期", visible_date=str(day(n))))
    srv.start()
    try:
        b = srv.base
        path = write_settings(tmp_path, [site_block("w", b + "/w/", [("gzdt", b + "/w/gzdt/", "generic.weekly")])])
        app = open_app(path)
        try:
            [run] = crawl_sites(app.config)
            assert run.status == "ok", run
            yesterday = check_day() - dt.timedelta(days=1)

            def weekly(**kwargs):  # type: ignore[no-untyped-def]
                results = run_checks(app.config, app.db, yesterday, record=False, **kwargs)
                return sorted((r.period, r.status, r.message) for r in results
                              if r.rule == "generic.weekly" and r.section == "gzdt")

            by_day = weekly()
            with_crawl = weekly(evidence_until=utcnow())
        finally:
            app.close()
    finally:
        srv.stop()
    assert by_day and all(status == "unknown" and "截至该日尚无抓取记录" in message
                          for _, status, message in by_day), by_day
    assert [status for _, status, _ in with_crawl][-3:] == ["pass"] * 3, with_crawl
    assert "unknown" not in {status for _, status, _ in with_crawl}, with_crawl
