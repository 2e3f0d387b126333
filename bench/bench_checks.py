"""Speed of `checks.engine.run_checks` on a district-sized store (no timing assertions).

Run: .venv/bin/python bench/bench_checks.py [sections] [items_per_section]
Builds a temporary SQLite store with one site, N sections (mixed indicators and categories),
M items each with an article page (~3 KB text) and an XLSX-sized attachment text on every
fifth item, 3 links per page and a week of availability probes; then times the check.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checks.engine import run_checks  # noqa: E402
from store.db import Database  # noqa: E402
from store.models import (  # noqa: E402
    Attachment,
    AvailabilityProbe,
    CrawlRun,
    Item,
    Link,
    LinkRef,
    ListSnapshot,
    Page,
    SectionCrawl,
)
from store.sync import sync_config  # noqa: E402
from zwgk.config import parse_config  # noqa: E402

INDICATORS = [("shanting.03", "dynamic"), ("shanting.19", None), ("shanting.09", None), ("shanting.01", "static"),
              ("national.notice", "notice"), ("shanting.04", None), ("ogi.annual_report_department", None)]
BODY = "示范区民政局关于做好2026年城乡低保资金发放工作的通知。请各镇街按照要求认真落实。" * 40


def build(tmp: Path, sections: int, per: int) -> tuple:
    blocks = []
    for n in range(sections):
        ind, cat = INDICATORS[n % len(INDICATORS)]
        blocks.append(f'[[sites.sections]]\nid = "s{n}"\nname = "栏目{n}"\nlist_url = "http://127.0.0.1:9/s{n}/"\n'
                      f'indicator = "{ind}"\n' + (f'category = "{cat}"\n' if cat else ""))
    text = (f'[general]\ndatabase_url = "sqlite:///{tmp / "b.db"}"\n[[departments]]\nid = "o"\nname = "办公室"\n'
            '[[sites]]\nid = "p"\nname = "门户"\nbase_url = "http://127.0.0.1:9/"\ndepartment = "o"\n'
            + "\n".join(blocks))
    config = parse_config(text, tmp / "settings.toml")
    db = Database(config.database_url)
    sync_config(db, config)
    start = dt.date(2026, 11, 20)
    with db.session() as s:
        run = CrawlRun(site_id="p", status="ok")
        s.add(run)
        s.flush()
        for n in range(sections):
            sid = f"s{n}"
            s.add(SectionCrawl(run_id=run.id, site_id="p", section_id=sid, captured_at=dt.datetime(2026, 11, 20),
                               outcome="ok"))
            s.add(ListSnapshot(run_id=run.id, site_id="p", section_id=sid, url=f"http://127.0.0.1:9/{sid}/",
                               captured_at=dt.datetime(2026, 11, 20), outcome="ok"))
            for i in range(per):
                day = start - dt.timedelta(days=i * 3)
                url = f"http://127.0.0.1:9/{sid}/{i}.html"
                page = Page(url=url, site_id="p", fetched_at=dt.datetime(2026, 11, 20), title=f"标题{i}",
                            text=BODY + f" 联系电话 0632-{i:07d}", meta={"pubdate": f"{day} 09:00"})
                s.add(page)
                s.flush()
                if i % 5 == 0:
                    s.add(Attachment(page_id=page.id, url=url + ".xlsx", outcome="ok", text=BODY * 3,
                                     fetched_at=dt.datetime(2026, 11, 20)))
                s.add(Item(site_id="p", section_id=sid, url=url, title=f"{day.year}年{day.month}月工作信息{i}",
                           published=day, date_source="meta", first_seen=dt.datetime(2026, 11, 1),
                           page_id=page.id))
                for k in range(3):
                    link = Link(url=f"{url}#l{k}", host="127.0.0.1", verdict="ok")
                    s.add(link)
                    s.flush()
                    s.add(LinkRef(link_id=link.id, source_url=url, site_id="p", section_id=sid))
        for k in range(168):
            s.add(AvailabilityProbe(site_id="p", url="http://127.0.0.1:9/", ok=True, reason="ok",
                                    probed_at=dt.datetime(2026, 11, 20) - dt.timedelta(hours=k)))
    return config, db


def main() -> None:
    sections = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    per = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        config, db = build(Path(tmp), sections, per)
        t1 = time.perf_counter()
        results = run_checks(config, db, dt.date(2026, 11, 22), record=True)
        t2 = time.perf_counter()
        run_checks(config, db, dt.date(2026, 11, 22), record=True)
        t3 = time.perf_counter()
        print(f"{sections} sections × {per} items ({sections * per} pages): build {t1 - t0:.1f}s, "
              f"check+record {t2 - t1:.2f}s ({len(results)} results), second run {t3 - t2:.2f}s")
        db.dispose()


if __name__ == "__main__":
    main()
