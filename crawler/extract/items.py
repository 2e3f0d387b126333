"""Turning list markup into ListedItem objects: one item element, or the best repeated block."""

from __future__ import annotations

import re

import lxml.html

from .dates import DATE_RE, date_from_url, parse_date
from .html import absolute_url, clean_text, clean_title, usable_href, visible_text
from .model import ListedItem

_ITEM_TAGS = ("li", "tr", "dd", "p", "div")
# Blocks that repeat links with dates but are not the column list.
_EXCLUDED = re.compile(
    r"nav|menu|footer|foot_|yqlj|youqing|friend|out_?links|erji_|breadcrumb|crumb|header|top_?bar|"
    r"sidebar|side_|share|pagination|pager|page_div|pgbar",
    re.I,
)
_EXCLUDED_TEXT = ("友情链接", "相关链接", "热点推荐", "网站地图")


def _anchor(el: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    for a in el.iter("a"):
        if usable_href(a.get("href")) and (a.get("title") or a.text_content()).strip():
            return a
    return None


def item_from_element(el: lxml.html.HtmlElement, base: str) -> ListedItem | None:
    """A list item from one ``li``/``tr``/… element: first real link, its title, the date beside it."""
    a = _anchor(el)
    if a is None:
        return None
    url = absolute_url(base, a.get("href", ""))
    if url is None:
        return None
    anchor_text = clean_text(a.text_content())
    title_attr = clean_text(a.get("title"))
    title = clean_title(title_attr if title_attr and "{{" not in title_attr else anchor_text)
    if not title or "{{" in title:
        return None
    full = clean_text(el.text_content() if el.find(".//script") is None else visible_text(el))
    rest = full.replace(anchor_text, " ", 1) if anchor_text else full
    day = parse_date(rest) or parse_date(full)
    if day is not None:
        return ListedItem(title=title, url=url, date=day, date_source="list")
    day = date_from_url(url)
    return ListedItem(title=title, url=url, date=day, date_source="url" if day else "none")


def items_from_elements(elements: list[lxml.html.HtmlElement], base: str) -> list[ListedItem]:
    """Items of ``elements`` in order, without repeated URLs."""
    seen: set[str] = set()
    out: list[ListedItem] = []
    for el in elements:
        item = item_from_element(el, base)
        if item is not None and item.url not in seen:
            seen.add(item.url)
            out.append(item)
    return out


def _excluded(el: lxml.html.HtmlElement) -> bool:
    node = el
    while node is not None:
        marker = f"{node.get('class', '')} {node.get('id', '')}"
        if marker.strip() and _EXCLUDED.search(marker):
            return True
        node = node.getparent()
    return False


def _is_candidate(el: lxml.html.HtmlElement) -> bool:
    if el.tag == "div" and len(el.xpath(".//a[@href]")) > 3:
        return False
    if el.tag in ("div", "p") and el.xpath(".//li|.//tr"):
        return False
    return bool(DATE_RE.search(el.text_content())) and _anchor(el) is not None


def best_block(root: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    """The largest group of sibling elements that each hold a link and a date (generic list)."""
    groups: dict[int, list[lxml.html.HtmlElement]] = {}
    parents: dict[int, lxml.html.HtmlElement] = {}
    for el in root.iter(*_ITEM_TAGS):
        parent = el.getparent()
        if parent is None or not _is_candidate(el):
            continue
        key = id(parent)
        parents[key] = parent
        groups.setdefault(key, []).append(el)
    ranked = sorted(groups.items(), key=lambda kv: len(kv[1]), reverse=True)
    for key, elements in ranked:
        parent = parents[key]
        if len(elements) < 2 or _excluded(parent):
            continue
        heading = clean_text(parent.getparent().text_content()[:60]) if parent.getparent() is not None else ""
        if any(word in heading for word in _EXCLUDED_TEXT):
            continue
        return elements
    return []


def next_links(root: lxml.html.HtmlElement, base: str) -> list[str]:
    """URLs of 下一页/下页 links."""
    out: list[str] = []
    for a in root.iter("a"):
        label = clean_text(a.text_content()) or clean_text(a.get("title"))
        if label in ("下一页", "下页", "下一頁", "后页", ">", "›", "»", "next", "Next") and usable_href(a.get("href")):
            url = absolute_url(base, a.get("href", ""))
            if url and url not in out:
                out.append(url)
    return out
