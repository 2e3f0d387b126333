"""The crawl horizon is "enough to judge every configured rule" (issue 3.2).

A yearly rule judges the reports of the last three years (e.g. the 2023, 2024 and 2025 年报 on
2026-12-01); in a long mixed column the older ones lie beyond the default 400 days. Before, the
list was cut at 400 days for every section and those years failed as 未公开 on a first crawl (or
any `zwgk audit`) although the reports were published on time. Sections whose rules look back
less keep the 400 days.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from crawl_support import (
    TODAY,
    SiteServer,
    article_html,
    check_day,
    html_page,
    li,
    site_block,
    write_settings,
)

from checks.engine import run_checks
from crawler.runner import crawl_sites
from zwgk.app import open_app

PER_PAGE = 5


def _column(srv: SiteServer, root: str, entries: list[tuple[str, dt.date]]) -> int:
    """A TRS column (createPageHTML) holding ``entries`` newest first; returns its page count."""
    entries = sorted(entries, key=lambda e: e[1], reverse=True)
    pages = [entries[i:i + PER_PAGE] for i in range(0, len(entries), PER_PAGE)]
    for k, chunk in enumerate(pages):
        rows = []
        for title, published in chunk:
            path = f"{root}{published:%Y%m}/t{published:%Y%m%d}_{abs(hash(title)) % 10**6}.html"
            rows.append(li(path, title, published))
            srv.add(path, article_html(title, pubdate_meta=f"{published:%Y-%m-%d} 09:00"))
        script = f'<script>createPageHTML({len(pages)}, {k}, "index", "html");</script>'
        name = "index.html" if k == 0 else f"index_{k}.html"
        srv.add(f"{root}{name}", html_page("栏目", f'<div class="list"><ul>{"".join(rows)}</ul></div>{script}'))
    return len(pages)


def test_a_yearly_section_is_read_back_to_its_oldest_judged_report(tmp_path: Path) -> None:
    years = [TODAY.year - 3, TODAY.year - 2, TODAY.year - 1]
    reports = [(f"区民政局{y}年政府信息公开工作年度报告", dt.date(y + 1, 1, 20)) for y in years]
    reports = [r for r in reports if r[1] <= TODAY]
    fillers = [(f"区民政局工作信息第{n}期", TODAY - dt.timedelta(days=3 + 45 * n)) for n in range(30)]
    srv = SiteServer()
    srv.add("/t/", html_page("首页", '<a href="/t/nb/index.html">年报</a>'))
    pages = _column(srv, "/t/nb/", reports + fillers)
    _column(srv, "/t/db/", fillers)  # the same long column bound to a monthly rule
    srv.start()
    try:
        b = srv.base
        blocks = [site_block("t", b + "/t/", [("nb", b + "/t/nb/index.html", "ogi.annual_report_department"),
                                              ("db", b + "/t/db/index.html", "shanting.19")])]
        path = write_settings(tmp_path, blocks, horizon=400)
        path.write_text(path.read_text(encoding="utf-8").replace("max_list_pages = 10", "max_list_pages = 20"),
                        encoding="utf-8")
        app = open_app(path)
        try:
            [run] = crawl_sites(app.config)
            assert run.status == "ok", run
            results = run_checks(app.config, app.db, check_day(), record=False)
        finally:
            app.close()
    finally:
        srv.stop()
    annual = {r.period: r for r in results if r.rule == "ogi.annual_report_department" and r.section == "nb"}
    assert {str(TODAY.year - 3), str(TODAY.year - 2)} <= set(annual), sorted(annual)
    assert all(r.status == "pass" for r in annual.values()), [(p, r.status, r.message) for p, r in annual.items()]
    # The monthly section stops at 400 days: its deep pages are never requested.
    read_nb = {r.path for r in srv.log if r.path.startswith("/t/nb/index")}
    read_db = {r.path for r in srv.log if r.path.startswith("/t/db/index")}
    assert len(read_nb) > len(read_db)
    assert f"/t/db/index_{pages - 2}.html" not in read_db
