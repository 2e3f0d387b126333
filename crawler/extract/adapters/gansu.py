"""Gansu provincial 集约化: list items shipped inside an HTML comment, live list at /common/search/{id}."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from ..html import parse_fragment, parse_html
from ..items import best_block, items_from_elements
from ..model import ListPage, NextRequest

_COMMENT = re.compile(r"<!--(.*?)-->", re.S)
_CREATE_PAGE6 = re.compile(
    r"""createPageHTML\(\s*['"][\w-]+['"]\s*,\s*['"]?(\d+)['"]?\s*,\s*['"]?(\d+)['"]?\s*,\s*['"]([\w.-]+)['"]"""
    r"""\s*,\s*['"](\w+)['"]\s*,\s*['"]?(\d+)['"]?\s*\)"""
)
_CHANNEL = re.compile(r"""<meta\s+name=["']channelId["']\s+content=["']([0-9a-f]{32})["']""", re.I)
_PAGE_SIZE = re.compile(r"""id=["']pageSize["'][^>]*value=["'](\d+)""", re.I)


def _following_search_page(url: str, found: int) -> list[NextRequest]:
    """The next /common/search page while the current one is full (the fragment declares no total)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    page = int(query["page"]) if query.get("page", "").isdigit() else 1
    size = int(query["_pageSize"]) if query.get("_pageSize", "").isdigit() else found
    if found < size:
        return []
    query["page"] = str(page + 1)
    return [NextRequest(url=urlunsplit(parts._replace(query=urlencode(query))), page_index=page)]


def parse(text: str, url: str) -> ListPage:
    elements = []
    for block in _COMMENT.findall(text):
        if "<li" in block and "href" in block:
            elements.extend(best_block(parse_fragment(block)))
    if not elements:  # a live (uncommented) list, or the /common/search fragment
        elements = best_block(parse_html(text))
    items = items_from_elements(elements, url)
    m = _CREATE_PAGE6.search(text)
    pages = int(m.group(1)) if m else None
    current = int(m.group(2)) if m else 1
    total = int(m.group(5)) if m else None
    size_m = _PAGE_SIZE.search(text)
    size = int(size_m.group(1)) if size_m else (len(items) or 20)
    channel = _CHANNEL.search(text)
    requests: list[NextRequest] = []
    if pages and channel:
        for n in range(1, pages + 1):
            if n == current:
                continue
            query = urlencode({"_pageSize": size, "_template": "index", "_isJson": "false", "page": n})
            requests.append(NextRequest(url=urljoin(url, f"/common/search/{channel.group(1)}?{query}"),
                                        page_index=n - 1))
    if not requests and items and "/common/search/" in url:
        requests = _following_search_page(url, len(items))
    return ListPage(adapter="gansu", items=items, declared_total=total, page_count=pages,
                    next_requests=requests, pagination_method="gansu_search" if requests else None,
                    per_page=size)
