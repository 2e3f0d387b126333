"""Crawl benchmark: one TRS-style site on 127.0.0.1 with N list pages x 20 items (articles fetched).

    .venv/bin/python bench/bench_crawl.py --pages 50

Prints wall time, child CPU time, responses and responses per second (first run and unchanged rerun).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from crawl_support import SiteServer, article_html, day, html_page, li, site_block, write_settings  # noqa: E402

from crawler.runner import crawl_sites  # noqa: E402
from zwgk.config import load_config  # noqa: E402


def build(srv: SiteServer, pages: int, per_page: int = 20) -> int:
    n = 0
    for k in range(pages):
        rows = []
        for _ in range(per_page):
            n += 1
            d = day(n // 10)
            path = f"/b/list/{d:%Y%m}/t{d:%Y%m%d}_{n}.html"
            rows.append(li(path, f"第{n}条通知", d))
            srv.add(path, article_html(f"第{n}条通知", pubdate_meta=f"{d} 09:00"), etag=f'"a{n}"')
        script = f'<script>createPageHTML({pages}, {k}, "index", "html");</script>'
        name = "index.html" if k == 0 else f"index_{k}.html"
        srv.add(f"/b/list/{name}", html_page("列表", f'<div class="list"><ul>{"".join(rows)}</ul></div>{script}'),
                etag=f'"l{k}"')
    srv.add("/b/", html_page("首页", ""))
    return n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=50)
    args = parser.parse_args()
    srv = SiteServer()
    items = build(srv, args.pages)
    srv.start()
    tmp = Path(tempfile.mkdtemp())
    b = srv.base
    path = write_settings(tmp, [site_block("b", b + "/b/", [("l", b + "/b/list/index.html")])],
                          horizon=10_000, site_timeout=3600)
    text = path.read_text().replace("max_list_pages = 10", f"max_list_pages = {args.pages + 5}")
    path.write_text(text.replace("download_timeout = 1.0", "download_timeout = 20.0"))
    config = load_config(path)
    for label in ("first run", "unchanged rerun"):
        before = len(srv.log)
        cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        [outcome] = crawl_sites(config)
        wall = time.monotonic() - t0
        cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
        responses = len(srv.log) - before
        print(f"{label}: status={outcome.status} items={items} responses={responses} wall={wall:.1f}s "
              f"child_cpu={cpu:.1f}s  {responses / wall:.0f} resp/s  {1000 * cpu / max(responses, 1):.1f} ms CPU/resp")
    srv.stop()


if __name__ == "__main__":
    main()
