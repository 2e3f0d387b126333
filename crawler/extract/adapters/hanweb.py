"""大汉 Hanweb JCMS: ``<datastore>`` CDATA records and ``dataproxy.jsp`` group pagination."""

from __future__ import annotations

import html as htmlmod
import math
import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from ..html import parse_fragment
from ..items import items_from_elements
from ..model import ListPage, NextRequest

_RECORD = re.compile(r"<record[^>]*>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S | re.I)
_NEXTGROUP = re.compile(r"<nextgroup[^>]*>\s*<!\[CDATA\[(.*?)\]\]>", re.S | re.I)
_HREF = re.compile(r"""href\s*=\s*["']([^"']+)["']""", re.I)
_TOTALRECORD = re.compile(r"<totalrecord>\s*(\d+)\s*</totalrecord>", re.I)
_JS_TOTAL = re.compile(r"totalRecord\s*[:=]\s*['\"]?(\d+)", re.I)
_JS_PERPAGE = re.compile(r"perPage\s*[:=]\s*['\"]?(\d+)", re.I)
_JS_GROUP = re.compile(r"groupSize\s*[:=]\s*['\"]?(\d+)", re.I)
_JS_PROXY = re.compile(r"""proxyUrl\s*[:=]\s*['"]([^'"]+)['"]""", re.I)
_ITEM_TAGS = ("li", "tr", "div", "p", "dd")
DEFAULT_PERPAGE = 15
DEFAULT_GROUP = 3
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}


def record_items(text: str, url: str):
    """ListedItems of every ``<record>`` CDATA block, each parsed as an HTML fragment."""
    elements = []
    for block in _RECORD.findall(text):
        frag = parse_fragment(block)
        children = [c for c in frag if isinstance(c.tag, str)]
        elements.append(children[0] if len(children) == 1 else frag)
    return items_from_elements(elements, url)


def _int(pattern: re.Pattern[str], text: str) -> int | None:
    m = pattern.search(text)
    return int(m.group(1)) if m else None


def form_body(template_query: str) -> str:
    """The POST form of dataproxy.jsp built from the ``nextgroup`` template query."""
    params = dict(parse_qsl(template_query, keep_blank_values=True))
    params.pop("page", None)
    body = {"col": "1", "appid": params.pop("appid", "1"), "webid": params.pop("webid", ""),
            "path": params.pop("path", "/"), "columnid": params.pop("columnid", ""),
            "sourceContentType": params.pop("sourceContentType", "1"), "unitid": params.pop("unitid", ""),
            "webname": params.pop("webname", ""), "permissiontype": params.pop("permissiontype", "0")}
    body.update(params)
    return urlencode(body)


def group_requests(proxy_url: str, body: str, start: int, total: int | None, perpage: int,
                   group: int) -> list[NextRequest]:
    """POSTs for record groups from ``start`` (1-based) to ``total``; only the next one if total is unknown."""
    out: list[NextRequest] = []
    size = perpage * group
    last = total if total is not None else start + size - 1
    base = proxy_url.split("?", 1)[0]
    while start <= last:
        end = start + size - 1
        query = urlencode({"startrecord": start, "endrecord": end, "perpage": perpage})
        out.append(NextRequest(url=f"{base}?{query}", method="POST", body=body, headers=dict(FORM_HEADERS),
                               page_index=math.ceil((start - 1) / perpage)))
        start = end + 1
    return out


def parse(text: str, url: str) -> ListPage:
    """A Hanweb column page: the first group of records plus POSTs for the remaining groups."""
    items = record_items(text, url)
    total = _int(_TOTALRECORD, text) or _int(_JS_TOTAL, text)
    perpage = _int(_JS_PERPAGE, text) or DEFAULT_PERPAGE
    group = _int(_JS_GROUP, text) or DEFAULT_GROUP
    requests: list[NextRequest] = []
    m = _NEXTGROUP.search(text)
    href = _HREF.search(m.group(1)) if m else None
    if href:
        template = urljoin(url, htmlmod.unescape(href.group(1)))
        proxy = _JS_PROXY.search(text)
        proxy_url = urljoin(url, proxy.group(1)) if proxy else template
        records = len(_RECORD.findall(text))
        if total is None or records < total:
            requests = group_requests(proxy_url, form_body(urlsplit(template).query), records + 1, total,
                                      perpage, group)
    pages = math.ceil(total / perpage) if total is not None else None
    return ListPage(adapter="hanweb", items=items, declared_total=total, page_count=pages,
                    next_requests=requests, pagination_method="hanweb_dataproxy" if requests else None,
                    per_page=perpage)


def parse_dataproxy(text: str, url: str, request_body: str | None = None) -> ListPage:
    """The XML answer of dataproxy.jsp (``<totalrecord>``, ``<recordset>``).

    With the ``request_body`` of the POST that fetched it, the POSTs for all remaining groups are returned.
    """
    items = record_items(text, url)
    total = _int(_TOTALRECORD, text)
    query = dict(parse_qsl(urlsplit(url).query))
    perpage = int(query.get("perpage") or DEFAULT_PERPAGE)
    start = int(query.get("startrecord") or 1)
    end = int(query.get("endrecord") or start + len(items) - 1)
    group = max(1, math.ceil((end - start + 1) / perpage))
    requests: list[NextRequest] = []
    if request_body and items and (total is None or end < total):
        requests = group_requests(url, request_body, end + 1, total, perpage, group)
    pages = math.ceil(total / perpage) if total is not None else None
    return ListPage(adapter="hanweb", items=items, declared_total=total, page_count=pages,
                    next_requests=requests, pagination_method="hanweb_dataproxy" if requests else None,
                    per_page=perpage)
