"""Plain data the rule kinds read and return: views of stored rows as of a date, and outcomes.

Rule kinds never see SQLAlchemy objects or the clock; the engine builds these views
(``checks.queries``) from what was stored by the end of the ``as_of`` day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from checks.calendar import WorkCalendar
    from checks.packs import Registry
    from zwgk.config import Config, SectionConfig, SiteConfig

READABLE = ("ok", "unchanged", "empty")
# Added to the message of every outcome whose working days were guessed (no calendar data for the year).
UNCERTAIN_NOTE = "（该年节假日安排数据缺失，工作日按周一至周五扣除法定节假日推算，未含调休，结论待核实）"


def evidence(url: str, captured_at: dt.datetime | None, row: Any = None) -> dict[str, Any]:
    """An evidence entry: URL, capture time and the WARC pointer of the stored response."""
    return {
        "url": url,
        "captured_at": captured_at.isoformat(timespec="seconds") if captured_at else None,
        "warc_file": getattr(row, "warc_file", None),
        "warc_offset": getattr(row, "warc_offset", None),
        "warc_length": getattr(row, "warc_length", None),
    }


@dataclass(frozen=True)
class AttachmentView:
    url: str
    name: str | None
    ext: str | None
    outcome: str
    reason: str | None
    text: str | None
    fetched_at: dt.datetime | None
    evidence: dict[str, Any]


@dataclass(frozen=True)
class PageView:
    url: str
    fetched_at: dt.datetime
    outcome: str
    reason: str | None
    title: str | None
    text: str | None
    meta: dict[str, Any]
    xxgk: dict[str, Any]
    pubdate: dt.datetime | None
    written_date: dt.date | None
    doc_number: str | None
    validity: str | None
    evidence: dict[str, Any]
    attachments: tuple[AttachmentView, ...] = ()
    links: frozenset[str] = frozenset()  # outgoing link URLs found on the page


@dataclass(frozen=True)
class ItemView:
    url: str
    title: str
    published: dt.date | None
    date_source: str
    written_date: dt.date | None
    first_seen: dt.datetime
    page: PageView | None = None

    @property
    def written(self) -> dt.date | None:
        return self.written_date or (self.page.written_date if self.page else None)


@dataclass(frozen=True)
class CrawlView:
    outcome: str
    reason: str | None
    captured_at: dt.datetime

    @property
    def readable(self) -> bool:
        return self.outcome in READABLE


@dataclass
class SectionData:
    site: SiteConfig
    config: SectionConfig
    crawl: CrawlView | None
    items: list[ItemView] = field(default_factory=list)
    list_evidence: list[dict[str, Any]] = field(default_factory=list)

    @property
    def readable(self) -> bool:
        return self.crawl is not None and self.crawl.readable

    def unreadable_reason(self) -> str:
        if self.crawl is None:
            return "截至该日尚无抓取记录"
        reason = f"（{self.crawl.reason}）" if self.crawl.reason else ""
        return f"最近一次抓取结果为 {self.crawl.outcome}{reason}"

    def last_published(self) -> ItemView | None:
        """The item with the latest publication date (the first of them on a tie), None if none is dated.

        Several rules ask per section (freshness, presence, the site-wide vetoes): remembered for the items
        list it was worked out on (same list object, same length, same last item)."""
        items = self.items
        seen = self.__dict__.get("_last_published")
        if seen is not None and seen[0] is items and seen[1] == len(items) and \
                (not items or seen[2] is items[-1]):
            return seen[3]
        best = None
        top = None
        for item in items:
            published = item.published
            if published and (best is None or published > top):
                best, top = item, published
        self.__dict__["_last_published"] = (items, len(items), items[-1] if items else None, best)
        return best


@dataclass(frozen=True)
class LinkRefView:
    source_url: str
    section_id: str | None
    on_home_page: bool
    kind: str


@dataclass(frozen=True)
class LinkView:
    url: str
    verdict: str
    reason: str | None
    http_status: int | None
    last_checked: dt.datetime | None
    refs: tuple[LinkRefView, ...]


@dataclass(frozen=True)
class ProbeView:
    url: str
    probed_at: dt.datetime
    ok: bool
    http_status: int | None
    reason: str
    ipv6: str | None


@dataclass
class SiteData:
    config: SiteConfig
    sections: list[SectionData] = field(default_factory=list)
    links: list[LinkView] = field(default_factory=list)
    probes: list[ProbeView] = field(default_factory=list)


@dataclass(frozen=True)
class Context:
    """What every kind may use besides the stored data: the date, the calendar, the config."""

    as_of: dt.date
    calendar: WorkCalendar
    config: Config | None = None
    registry: Registry | None = None
    cutoff: dt.datetime | None = None  # end of the as_of day, naive UTC
    site_data: SiteData | None = None  # the site around a section (for cross-section rules)


@dataclass
class Outcome:
    """What a kind returns; the engine adds rule, site, section, department and severity."""

    status: str  # pass | fail | warn | unknown
    message: str
    period: str | None = None
    due: dt.date | None = None
    evidence: list[dict[str, Any]] = field(default_factory=list)
    uncertain: bool = False
    details: dict[str, Any] = field(default_factory=dict)
    section: str | None = None  # site-scope kinds may attribute an outcome to a section
    department: str | None = None

    def __post_init__(self) -> None:
        if self.uncertain and UNCERTAIN_NOTE not in self.message:
            self.message += UNCERTAIN_NOTE
