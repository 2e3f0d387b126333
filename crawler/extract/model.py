"""Result dataclasses of the extractors (re-exported by ``lists`` and ``article``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass
class AttachmentLink:
    url: str
    name: str
    ext: str


@dataclass
class ListedItem:
    title: str
    url: str
    date: dt.date | None
    date_source: str  # "list" | "url" | "none"
    attachments: list[AttachmentLink] = field(default_factory=list)  # when the list itself names them (UCAP)


@dataclass
class NextRequest:
    url: str
    method: str = "GET"
    body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    page_index: int = 0  # 0-based index of the list page (or of the first page of a Hanweb group)


@dataclass
class ListPage:
    adapter: str  # hanweb | trs | trs_fujian | ucap | gansu | generic
    items: list[ListedItem]
    declared_total: int | None  # recordCount / articleCount / createPageHTML count*size / <totalrecord>
    page_count: int | None
    next_requests: list[NextRequest]  # further list pages this page tells us about (all of them when known)
    pagination_method: str | None  # trs_index | hanweb_dataproxy | ucap_pagenum | gansu_search | next_link | None
    per_page: int | None = None  # page (or Hanweb group) size when the page declares it
