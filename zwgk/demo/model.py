"""What a generated demo site is: pages by path, Hanweb columns for dataproxy, and the planted problems."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Page:
    """One response: body bytes plus status, content type and optional redirect target."""

    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    location: str | None = None
    last_modified: dt.datetime | None = None  # naive UTC
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def etag(self) -> str:
        return '"' + hashlib.md5(self.body + str(self.status).encode()).hexdigest()[:20] + '"'


@dataclass
class HanwebColumn:
    """A Hanweb column's records (newest first), as rendered <record> HTML fragments."""

    column_id: int
    unit_id: int
    name: str
    records: list[str] = field(default_factory=list)
    perpage: int = 15
    group_pages: int = 3


@dataclass
class Planted:
    """The deliberate problems, so tests and the demo summary can name them."""

    stale_list_url: str = ""  # weekly 工作动态 column, newest item 21+ days old
    stale_newest: dt.date | None = None
    missing_dibao_title: str = ""  # the 城乡低保发放情况 due last month (absent)
    dibao_silent_month: tuple[int, int] = (0, 0)  # (year, month) in which the 低保 column published nothing
    dibao_list_url: str = ""
    missing_annual_report_year: int = 0
    annual_report_list_url: str = ""
    broken_link_page: str = ""  # an article linking to a 404
    broken_link_target: str = ""
    soft404_page: str = ""  # an article linking to a page that redirects to the home page
    soft404_target: str = ""
    id_leak_page: str = ""  # a published list with one full, valid 身份证号
    id_leak_attachment: str = ""
    id_leak_number: str = ""
    gbk_list_url: str = ""


@dataclass
class DemoSite:
    """Every page of the demo district, keyed by URL path (no host)."""

    today: dt.date
    seed: int
    pages: dict[str, Page] = field(default_factory=dict)
    hanweb: dict[int, HanwebColumn] = field(default_factory=dict)
    planted: Planted = field(default_factory=Planted)

    def get(self, path: str, query: dict[str, str] | None = None) -> Page | None:
        """The page at ``path`` ('/' and '/index.html' are the home page); dataproxy.jsp also answers GET."""
        from zwgk.demo.hanweb import DATAPROXY_PATHS, dataproxy_answer

        if path in DATAPROXY_PATHS:
            return dataproxy_answer(self, query or {})
        return self.pages.get(path)

    def post(self, path: str, query: dict[str, str], form: dict[str, str]) -> Page | None:
        """Answer a POST (Hanweb dataproxy); None when nothing lives there."""
        from zwgk.demo.hanweb import DATAPROXY_PATHS, dataproxy_answer

        if path not in DATAPROXY_PATHS:
            return None
        return dataproxy_answer(self, {**form, **query})
