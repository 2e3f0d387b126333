"""开普云 UCAP lists (Jiangxi platform): ``var listData = {articleList: [...]}`` JSON literal."""

from __future__ import annotations

import json
import math
import re
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

from ..dates import date_from_url, parse_date
from ..html import absolute_url, clean_title, parse_fragment
from ..model import AttachmentLink, ListedItem, ListPage, NextRequest

_ARTICLE_LIST = re.compile(r"articleList\s*:\s*(?=\[)")
_CHANNEL_SELF = re.compile(r"var\s+channelsTagSelf\s*=\s*(?=\{)")
_UNITID = re.compile(r"""unitid\s*:\s*['"](\w+)['"]""")
_PERPAGE = re.compile(r"""perPage\s*:\s*['"]?(\d+)""")
_DECODER = json.JSONDecoder()


def _raw_json(text: str, pattern: re.Pattern[str]) -> object | None:
    m = pattern.search(text)
    if not m:
        return None
    try:
        return _DECODER.raw_decode(text, m.end())[0]
    except ValueError:
        return None


def _pc_url(value: object) -> str:
    """``urls`` is a JSON string inside JSON: ``"{\\"pc\\":\\"/…/content_1.html\\"}"``."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    if isinstance(value, dict):
        return str(value.get("pc") or value.get("url") or next(iter(value.values()), ""))
    return ""


def _attachments(files: object, base: str) -> list[AttachmentLink]:
    out = []
    for f in files if isinstance(files, list) else []:
        if not isinstance(f, dict):
            continue
        link = absolute_url(base, str(f.get("url") or f.get("filePath") or ""))
        if link:
            name = str(f.get("fileName") or link.rsplit("/", 1)[-1])
            out.append(AttachmentLink(url=link, name=name, ext=link.rsplit(".", 1)[-1].lower()))
    return out


def items_from_list(articles: list, url: str) -> list[ListedItem]:
    items: list[ListedItem] = []
    seen: set[str] = set()
    for art in articles:
        if not isinstance(art, dict):
            continue
        link = absolute_url(url, _pc_url(art.get("urls")) or str(art.get("url") or ""))
        title = clean_title(parse_fragment(str(art.get("title") or art.get("showTitle") or "")).text_content())
        if not link or not title or link in seen:
            continue
        seen.add(link)
        day = parse_date(str(art.get("pubDate") or ""))
        source = "list"
        if day is None:
            day = date_from_url(link)
            source = "url" if day else "none"
        items.append(ListedItem(title=title, url=link, date=day, date_source=source,
                                attachments=_attachments(art.get("articleFiles"), url)))
    return items


def parse(text: str, url: str) -> ListPage:
    articles = _raw_json(text, _ARTICLE_LIST)
    items = items_from_list(articles if isinstance(articles, list) else [], url)
    channel = _raw_json(text, _CHANNEL_SELF)
    total = None
    if isinstance(channel, dict) and str(channel.get("articleCount", "")).isdigit():
        total = int(channel["articleCount"])
    per = _PERPAGE.search(text)
    per_page = int(per.group(1)) if per else (len(items) or None)
    pages = math.ceil(total / per_page) if total is not None and per_page else None
    unit = _UNITID.search(text)
    requests: list[NextRequest] = []
    if pages and unit:
        parts = urlsplit(url)
        page_url = urljoin(urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")), "index.html") \
            if parts.path.endswith("/") else urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
        for n in range(2, pages + 1):
            query = urlencode({"uid": unit.group(1), "pageNum": n})
            requests.append(NextRequest(url=f"{page_url}?{query}", page_index=n - 1))
    return ListPage(adapter="ucap", items=items, declared_total=total, page_count=pages,
                    next_requests=requests, pagination_method="ucap_pagenum" if requests else None,
                    per_page=per_page)
