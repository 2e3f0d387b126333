"""Builders for checks tests: a small district config and stored rows with realistic values."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any

from checks.queries import day_end_utc
from store.db import Database
from store.models import (
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
from store.sync import sync_config
from zwgk.config import Config, parse_config

TZ = dt.timezone(dt.timedelta(hours=8))
BASE = "http://127.0.0.1:8765"

SETTINGS = """
[general]
database_url = "sqlite:///{db}"
[rules]
packs = ["shanting", "national", "ogi"]
{extra}
[[departments]]
id = "office"
name = "区政府办公室"
office = true
[[departments]]
id = "mzj"
name = "区民政局"

[[sites]]
id = "portal"
name = "示范区人民政府"
base_url = "{base}/"
department = "office"
is_portal = true
{sections}
"""

SECTION = """
  [[sites.sections]]
  id = "{id}"
  name = "{name}"
  list_url = "{base}/{id}/index.html"
  department = "{department}"
  indicator = "{indicator}"
{more}
"""


def local(day: dt.date, hour: int = 10) -> dt.datetime:
    """A local (UTC+8) time on ``day`` as naive UTC, the storage convention."""
    return dt.datetime.combine(day, dt.time(hour), tzinfo=TZ).astimezone(dt.UTC).replace(tzinfo=None)


def make_config(tmp_path: Path, sections: list[dict[str, Any]], extra: str = "") -> Config:
    """A validated config with one site and the given sections (id, indicator, category, params...)."""
    blocks = []
    for s in sections:
        more = ""
        if s.get("category"):
            more += f'  category = "{s["category"]}"\n'
        if s.get("params"):
            more += f"  params = {s['params']}\n"
        blocks.append(SECTION.format(id=s["id"], name=s.get("name", s["id"]), base=BASE,
                                     department=s.get("department", "office"), indicator=s["indicator"],
                                     more=more))
    text = SETTINGS.format(db=tmp_path / "zwgk.db", extra=extra, base=BASE, sections="".join(blocks))
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return parse_config(text, path)


class Store:
    """Inserts rows the way the crawler and the link checker would."""

    _urls = itertools.count(1)

    def __init__(self, config: Config) -> None:
        self.config = config
        self.db = Database(config.database_url)
        sync_config(self.db, config)

    def close(self) -> None:
        self.db.dispose()

    def crawl(self, section: str, day: dt.date, outcome: str = "ok", reason: str | None = None,
              site: str = "portal") -> None:
        with self.db.session() as s:
            run = CrawlRun(site_id=site, started_at=local(day, 6), finished_at=local(day, 7), status="ok")
            s.add(run)
            s.flush()
            s.add(SectionCrawl(run_id=run.id, site_id=site, section_id=section, captured_at=local(day, 6),
                               outcome=outcome, reason=reason, items_found=0))
            s.add(ListSnapshot(run_id=run.id, site_id=site, section_id=section,
                               url=f"{BASE}/{section}/index.html", captured_at=local(day, 6), http_status=200,
                               outcome=outcome, warc_file="portal/2026.warc.gz", warc_offset=0, warc_length=100))

    def item(self, section: str, title: str, published: dt.date | None, *, seen: dt.date | None = None,
             site: str = "portal", written: dt.date | None = None, page: dict[str, Any] | None = None,
             attachments: list[dict[str, Any]] | None = None, url: str | None = None,
             date_source: str = "meta") -> str:
        """An item (first seen on ``seen``, default its publication day) with an optional page."""
        url = url or f"{BASE}/{section}/art/{next(self._urls)}.html"
        seen = seen or published or dt.date(2026, 1, 1)
        with self.db.session() as s:
            page_id = None
            if page is not None or attachments:
                p = Page(url=url, site_id=site, fetched_at=local(seen, 8), http_status=200,
                         outcome=(page or {}).get("outcome", "ok"), title=title,
                         warc_file="portal/p.warc.gz", warc_offset=10, warc_length=20,
                         **{k: v for k, v in (page or {}).items() if k != "outcome"})
                s.add(p)
                s.flush()
                page_id = p.id
                for a in attachments or []:
                    s.add(Attachment(page_id=p.id, fetched_at=local(seen, 9), **a))
            s.add(Item(site_id=site, section_id=section, url=url, title=title, published=published,
                       date_source=date_source if published else "none", written_date=written,
                       first_seen=local(seen, 7), last_seen=local(seen, 7), page_id=page_id))
        return url

    def link(self, url: str, verdict: str, source: str, *, section: str | None = None, home: bool = False,
             seen: dt.date = dt.date(2026, 11, 1), status: int | None = 404) -> None:
        with self.db.session() as s:
            from sqlalchemy import select

            link = s.scalar(select(Link).where(Link.url == url))
            if link is None:
                link = Link(url=url, host="127.0.0.1", verdict=verdict, http_status=status,
                            reason="http_404" if verdict == "broken" else verdict, last_checked=local(seen, 12))
                s.add(link)
                s.flush()
            s.add(LinkRef(link_id=link.id, source_url=source, site_id="portal", section_id=section,
                          on_home_page=home, first_seen=local(seen, 7), last_seen=local(seen, 7)))

    def probes(self, end_day: dt.date, total: int, failures: int, ipv6: str | None = None) -> None:
        """``total`` probes spread over the 7 days up to ``end_day``, the first ``failures`` failing."""
        end = day_end_utc(end_day, TZ)
        step = dt.timedelta(days=7) / total
        with self.db.session() as s:
            for n in range(total):
                ok = n >= failures
                s.add(AvailabilityProbe(site_id="portal", url=f"{BASE}/", probed_at=end - step * (n + 1), ok=ok,
                                        http_status=200 if ok else None, elapsed_ms=300 if ok else 15000,
                                        reason="ok" if ok else "timeout", ipv6=ipv6))


# --------------------------------------------------------------------------- pure views (no database)

from checks.calendar import WorkCalendar  # noqa: E402
from checks.engine import FindingResult, evaluate  # noqa: E402
from checks.model import CrawlView, ItemView, PageView, SectionData, SiteData  # noqa: E402
from checks.packs import load_registry  # noqa: E402
from zwgk.config import SectionConfig, SiteConfig  # noqa: E402

REGISTRY = load_registry()


def page_view(url: str, **fields: Any) -> PageView:
    values: dict[str, Any] = {"url": url, "fetched_at": dt.datetime(2026, 1, 1), "outcome": "ok", "reason": None,
                              "title": None, "text": None, "meta": {}, "xxgk": {}, "pubdate": None,
                              "written_date": None, "doc_number": None, "validity": None,
                              "evidence": {"url": url, "captured_at": "2026-01-01T00:00:00"}}
    values.update(fields)
    return PageView(**values)


def item_view(title: str, published: dt.date | None, *, url: str | None = None, written: dt.date | None = None,
              page: PageView | None = None) -> ItemView:
    url = url or f"{BASE}/art/{next(Store._urls)}.html"
    seen = dt.datetime.combine(published or dt.date(2026, 1, 1), dt.time(2))
    return ItemView(url, title, published, "meta" if published else "none", written, seen, page)


def section_data(sid: str, indicator: str, items: list[ItemView] | None = None, *, category: str | None = None,
                 outcome: str = "ok", reason: str | None = None, params: dict[str, Any] | None = None,
                 department: str = "office") -> SectionData:
    site = SiteConfig(id="portal", name="示范区人民政府", base_url=f"{BASE}/", department="office")
    cfg = SectionConfig(id=sid, name=sid, list_url=f"{BASE}/{sid}/", department=department, indicator=indicator,
                        site_id="portal", category=category, params=params or {})
    crawl = CrawlView(outcome, reason, dt.datetime(2026, 1, 1)) if outcome else None
    ev = [{"url": f"{BASE}/{sid}/index.html", "captured_at": "2026-01-01T00:00:00"}]
    return SectionData(site, cfg, crawl, list(items or []), ev)


def site_data(*sections: SectionData, links: list | None = None, probes: list | None = None) -> SiteData:
    site = SiteConfig(id="portal", name="示范区人民政府", base_url=f"{BASE}/", department="office",
                      sections=tuple(s.config for s in sections))
    data = SiteData(site, list(sections), list(links or []), list(probes or []))
    for s in sections:
        s.site = site
    return data


def judge(site: SiteData, as_of: dt.date, rule: str | None = None, calendar: WorkCalendar | None = None,
          registry: Any = None) -> list[FindingResult]:
    """Run the engine over views; keep only ``rule``'s results when given."""
    results = evaluate(registry or REGISTRY, [site], as_of, calendar or WorkCalendar(),
                       cutoff=dt.datetime.combine(as_of, dt.time(16)))
    return [r for r in results if rule is None or r.rule == rule]


def by_period(results: list[FindingResult]) -> dict[str | None, str]:
    return {r.period: r.status for r in results}
