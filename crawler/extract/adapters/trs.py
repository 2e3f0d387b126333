"""TRS WCM classic lists: ``createPageHTML(n, k, "index", "html")`` → index.html, index_1.html …"""

from __future__ import annotations

import re
from urllib.parse import urljoin

from ..html import parse_html
from ..items import best_block, items_from_elements
from ..model import ListPage, NextRequest

_CREATE_PAGE = re.compile(
    r"""createPageHTML\(\s*['"]?(\d+)['"]?\s*,\s*['"]?(\d+)['"]?\s*,\s*['"]([\w.-]+)['"]\s*,\s*['"](\w+)['"]\s*\)"""
)
_COUNT_PAGE = re.compile(r"""var\s+countPage\s*=\s*['"]?(\d+)""")
_CURRENT_PAGE = re.compile(r"""var\s+currentPage\s*=\s*['"]?(\d+)""")
_RECORD_COUNT = re.compile(r"""(?:var\s+recordCount\s*=|recordCount\s*:)\s*['"]?(\d+)""")
_PAGE_FILE = re.compile(r"/([\w-]+?)(?:_\d+)?\.(s?html?)$")


def index_pages(url: str, count: int, current: int, name: str, ext: str) -> list[NextRequest]:
    """Every list page except the current one: name.ext for k=0, name_k.ext for k>0."""
    out = []
    for k in range(count):
        if k == current:
            continue
        filename = f"{name}.{ext}" if k == 0 else f"{name}_{k}.{ext}"
        out.append(NextRequest(url=urljoin(url, filename), page_index=k))
    return out


def parse(text: str, url: str) -> ListPage:
    doc = parse_html(text)
    items = items_from_elements(best_block(doc), url)
    count = current = None
    name, ext = "index", "html"
    m = _CREATE_PAGE.search(text)
    if m:
        count, current, name, ext = int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)
    else:
        cm = _COUNT_PAGE.search(text)
        if cm:
            count = int(cm.group(1))
            cur = _CURRENT_PAGE.search(text)
            current = int(cur.group(1)) if cur else 0
            fm = _PAGE_FILE.search(url.split("?", 1)[0])
            if fm:
                name, ext = fm.group(1), fm.group(2)
    requests = index_pages(url, count, current or 0, name, ext) if count else []
    rc = _RECORD_COUNT.search(text)
    return ListPage(adapter="trs", items=items, declared_total=int(rc.group(1)) if rc else None,
                    page_count=count, next_requests=requests,
                    pagination_method="trs_index" if count else None)
