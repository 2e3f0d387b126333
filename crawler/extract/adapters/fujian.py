"""Fujian provincial 集约化 (TRS back end, avalon UI): static ``$showStatic(k)`` groups + /fjdzapp/search."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from ..dates import parse_date
from ..html import absolute_url, clean_title, parse_fragment, parse_html
from ..items import items_from_elements
from ..model import ListedItem, ListPage, NextRequest

_JS_NUM = r"""\s*:\s*['"]?(\d+)"""
_RECORD_COUNT = re.compile(r"recordCount" + _JS_NUM)
_PREPAGE = re.compile(r"prepage" + _JS_NUM)
_MAX_STATIC = re.compile(r"maxStaticIndex" + _JS_NUM)
_SEARCH_ID = re.compile(r"searchId" + _JS_NUM)
_CLASSSQL = re.compile(r"""classsql\s*:\s*(?:""\s*\|\|\s*)?["']([^"']+)["']""")
_SORTFIELD = re.compile(r"""sortfield\s*:\s*["']([^"']+)["']""")
_API = re.compile(r"""listApi\s*:\s*\{\s*url\s*:\s*["']([^"']+)["']""")
SHANGHAI = ZoneInfo("Asia/Shanghai")
AJAX_HEADERS = {"X-Requested-With": "XMLHttpRequest"}


def _int(pattern: re.Pattern[str], text: str) -> int | None:
    m = pattern.search(text)
    return int(m.group(1)) if m else None


def parse(text: str, url: str) -> ListPage:
    doc = parse_html(text)
    elements = doc.xpath("//*[starts-with(@ms-visible, '$showStatic(')]//li")
    items = items_from_elements(elements, url)
    total = _int(_RECORD_COUNT, text)
    prepage = _int(_PREPAGE, text) or 15
    max_static = _int(_MAX_STATIC, text)
    pages = math.ceil(total / prepage) if total is not None else None
    requests: list[NextRequest] = []
    search_id = _SEARCH_ID.search(text)
    classsql = _CLASSSQL.search(text)
    if pages and search_id and classsql:
        first_dynamic = (max_static or math.ceil(len(items) / prepage)) + 1
        api = _API.search(text)
        api_url = urljoin(url, api.group(1) if api else "/fjdzapp/search")
        sort = _SORTFIELD.search(text)
        for page in range(first_dynamic, pages + 1):
            query = urlencode({"channelid": search_id.group(1), "sortfield": sort.group(1) if sort else
                              "-docorderpri,-docreltime", "classsql": classsql.group(1),
                              "classcol": "publishyear", "classnum": "100", "classsort": "0",
                              "cache": "true", "page": page, "prepage": prepage})
            # GET with the form as query: the answer's URL then says which page it is (see parse_search)
            requests.append(NextRequest(url=f"{api_url}?{query}", headers=dict(AJAX_HEADERS),
                                        page_index=page - 1))
    return ListPage(adapter="trs_fujian", items=items, declared_total=total, page_count=pages,
                    next_requests=requests, pagination_method="fjdzapp_search" if requests else None,
                    per_page=prepage)


def _docs(data: object) -> list[dict]:
    """The first list of dicts holding a ``doctitle`` anywhere in the JSON answer."""
    if isinstance(data, list):
        if any(isinstance(d, dict) and "doctitle" in d for d in data):
            return [d for d in data if isinstance(d, dict)]
        for value in data:
            found = _docs(value)
            if found:
                return found
    elif isinstance(data, dict):
        for value in data.values():
            found = _docs(value)
            if found:
                return found
    return []


def _reltime(value: object):
    """docreltime as a date: text, or epoch milliseconds (read in Asia/Shanghai)."""
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit() and len(value) >= 10):
        seconds = float(value) / (1000 if float(value) > 1e11 else 1)
        return dt.datetime.fromtimestamp(seconds, SHANGHAI).date()
    return parse_date(str(value or ""))


def parse_search(text: str, url: str) -> ListPage:
    """The JSON answer of /fjdzapp/search (``docs``/``data`` of doctitle, chnldocurl, docreltime)."""
    try:
        data = json.loads(text)
    except ValueError:
        return ListPage("trs_fujian", [], None, None, [], None)
    items: list[ListedItem] = []
    seen: set[str] = set()
    for doc in _docs(data):
        href = doc.get("chnldocurl") or doc.get("docpuburl") or doc.get("url") or ""
        link = absolute_url(url, str(href))
        title = clean_title(parse_fragment(str(doc.get("doctitle", ""))).text_content())
        if not link or not title or link in seen:
            continue
        seen.add(link)
        day = _reltime(doc.get("docreltime"))
        items.append(ListedItem(title=title, url=link, date=day, date_source="list" if day else "none"))
    total = pages = None
    if isinstance(data, dict):
        for key in ("total", "recordCount", "totalCount", "count"):
            if str(data.get(key, "")).isdigit():
                total = int(data[key])
                break
        if str(data.get("pageCount", "")).isdigit():
            pages = int(data["pageCount"])
    query = dict(parse_qsl(urlsplit(url).query))
    page = int(query["page"]) if query.get("page", "").isdigit() else None
    prepage = int(query["prepage"]) if query.get("prepage", "").isdigit() else None
    if pages is None and total is not None and prepage:
        pages = math.ceil(total / prepage)
    requests: list[NextRequest] = []
    more = page < pages if pages is not None and page else bool(prepage and len(items) >= prepage)
    if items and page and more:
        query["page"] = str(page + 1)
        next_url = urlunsplit(urlsplit(url)._replace(query=urlencode(query)))
        requests.append(NextRequest(url=next_url, headers=dict(AJAX_HEADERS), page_index=page))
    return ListPage("trs_fujian", items, total, pages, requests, "fjdzapp_search" if requests else None,
                    per_page=prepage)
