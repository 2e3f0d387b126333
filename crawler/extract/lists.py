"""Column list pages: CMS detection, per-CMS adapters, generic fallback, pagination requests."""

from __future__ import annotations

import re

from .adapters import fujian, gansu, generic, hanweb, trs, ucap
from .model import ListedItem, ListPage, NextRequest

__all__ = ["ListPage", "ListedItem", "NextRequest", "detect_cms", "parse_list", "parse_hanweb_dataproxy",
           "parse_fujian_search", "ADAPTERS"]

# (adapter, literal that must occur, confirming regex or None), tried in order.
_FINGERPRINTS: tuple[tuple[str, str, re.Pattern[str] | None], ...] = (
    ("ucap", "articleList", re.compile(r"var\s+listData\s*=\s*\{\s*articleList")),
    ("ucap", "UCAP-CONTENT", None),
    ("ucap", "/doc/ucap/", None),
    ("trs_fujian", "$showStatic(", None),
    ("trs_fujian", "pageChnlInfo", re.compile(r"var\s+pageChnlInfo\s*=")),
    ("trs_fujian", "/fjdzapp/search", None),
    ("trs_fujian", "trt_ui_v2.css", None),
    ("gansu", "page_div", re.compile(r"""createPageHTML\(\s*['"]page_div['"]""")),
    ("gansu", "/common/search/", re.compile(r"/common/search/[0-9a-f]{32}")),
    ("hanweb", "<datastore>", None),
    ("hanweb", "dataproxy.jsp", None),
    ("hanweb", "大汉版通", None),
    ("hanweb", "www.hanweb.com", None),
    ("hanweb", "<totalrecord>", None),
    ("trs", "createPageHTML(", None),
    ("trs", "countPage", re.compile(r"var\s+countPage\s*=")),
    ("trs", "TRS_", re.compile(r"""class=["']?TRS_(?:Editor|UEDITOR)""")),
    ("trs", "trs_paper_default", None),
)
_URL_FINGERPRINTS = (
    ("gansu", re.compile(r"/common/search/[0-9a-f]{32}")),
    ("hanweb", re.compile(r"dataproxy\.jsp")),
    ("trs_fujian", re.compile(r"/fjdzapp/search")),
)

ADAPTERS = {
    "hanweb": hanweb.parse,
    "trs": trs.parse,
    "trs_fujian": fujian.parse,
    "ucap": ucap.parse,
    "gansu": gansu.parse,
    "generic": generic.parse,
}


def detect_cms(text: str, url: str) -> str:
    """hanweb | trs | trs_fujian | ucap | gansu | generic, from URL and markup fingerprints."""
    for name, pattern in _URL_FINGERPRINTS:
        if pattern.search(url or ""):
            return name
    text = text or ""
    for name, literal, pattern in _FINGERPRINTS:
        if literal in text and (pattern is None or pattern.search(text)):
            return name
    return "generic"


def parse_list(text: str, url: str, adapter: str = "auto") -> ListPage:
    """Items, declared total and further pages of a column list page.

    When the CMS adapter finds no item, the generic extractor is tried and its items are kept
    (the adapter's pagination facts stay)."""
    text = text or ""
    name = detect_cms(text, url) if adapter == "auto" else adapter
    if name not in ADAPTERS:
        raise ValueError(f"unknown list adapter: {adapter}")
    if name == "hanweb" and "<datastore" in text[:300] and "<html" not in text[:300].lower():
        return parse_hanweb_dataproxy(text, url)
    if name == "trs_fujian" and text.lstrip()[:1] in ("{", "["):
        return parse_fujian_search(text, url)
    page = ADAPTERS[name](text, url)
    if not page.items and name != "generic":
        fallback = generic.parse(text, url)
        page.items = fallback.items
        if not page.next_requests and fallback.next_requests:
            page.next_requests = fallback.next_requests
            page.pagination_method = fallback.pagination_method
    return page


def parse_hanweb_dataproxy(text: str, url: str, request_body: str | None = None) -> ListPage:
    """The XML answer of dataproxy.jsp (``<totalrecord>``); with the POST body, the remaining groups."""
    return hanweb.parse_dataproxy(text, url, request_body)


def parse_fujian_search(text: str, url: str) -> ListPage:
    """The JSON answer of Fujian's /fjdzapp/search API."""
    return fujian.parse_search(text, url)
