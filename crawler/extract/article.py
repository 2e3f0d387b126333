"""Article pages: title, publication date (with its source), 信息公开 fields, body text, attachments."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import lxml.html

from .dates import date_from_url, find_page_date, parse_date, parse_datetime
from .html import absolute_url, base_url, clean_text, clean_title, parse_html, usable_href, visible_text
from .model import AttachmentLink
from .xxgk import parse_xxgk

__all__ = ["ArticleInfo", "AttachmentLink", "parse_article", "ATTACHMENT_EXTS", "attachment_ext"]

ATTACHMENT_EXTS = frozenset({"pdf", "doc", "docx", "xls", "xlsx", "wps", "et", "ofd", "zip", "rar",
                             "7z", "ppt", "pptx", "csv", "dps"})
# Publication-date metas, best first (names compared lower-cased). Never Maketime/HtmlGenerateTime/others.
PUBDATE_METAS = ("pubdate", "publishdate", "firstpublishedtime", "article:published_time", "publishtime",
                 "dcterms.issued", "dc.date.issued")
TITLE_METAS = ("articletitle", "og:title")
# Main content containers, best first: ("id", value) is an exact id, ("class", value) a class token,
# ("class~", value) a substring of the class attribute, ("tag", value) an element name.
BODY_MARKERS = (
    ("id", "zoom"), ("id", "UCAP-CONTENT"), ("id", "detailContent"), ("class", "TRS_Editor"),
    ("class~", "TRS_UEDITOR"), ("class~", "trs_editor"), ("class~", "article_content"), ("class~", "article-body"),
    ("class~", "pages_content"), ("id", "content"), ("class~", "article-content"), ("class~", "main-txt"),
    ("id", "Zoom"), ("tag", "article"),
)
_ATTACH_MARKERS = ("attach", "fujian", "file_ul", "file-list", "files")
_HANWEB_TITLE = re.compile(r"<!--<\$\[标题\]>begin-->(.*?)<!--<\$\[标题\]>end-->", re.S)
_TITLE_SPLIT = re.compile(r"__|_|\s+[-|－—]\s+|\|")
_EXT = re.compile(r"\.([A-Za-z0-9]{1,5})$")


@dataclass
class ArticleInfo:
    title: str | None
    pubdate: dt.datetime | None
    pubdate_source: str | None  # meta | xxgk | page | url
    meta: dict[str, str]  # lower-cased meta names -> first non-empty value
    xxgk: dict[str, str]  # normalized 信息公开 label -> value
    written_date: dt.date | None  # 成文日期 (signing date)
    published_date: dt.date | None  # 发布日期 of the table, else the meta/page pubdate's date (never the URL's)
    doc_number: str | None
    validity: str | None
    publisher: str | None
    text: str
    attachments: list[AttachmentLink] = field(default_factory=list)


def read_metas(doc: lxml.html.HtmlElement) -> dict[str, str]:
    """Lower-cased ``name``/``property`` -> first non-empty ``content`` (duplicates and empties skipped)."""
    out: dict[str, str] = {}
    for el in doc.iter("meta"):
        name = (el.get("name") or el.get("property") or "").strip().lower()
        content = clean_text(el.get("content"))
        if name and content and name not in out:
            out[name] = content
    return out


def _title(doc: lxml.html.HtmlElement, text: str, metas: dict[str, str]) -> str | None:
    for name in TITLE_METAS:
        if metas.get(name):
            return clean_title(metas[name])
    m = _HANWEB_TITLE.search(text)
    if m:
        value = clean_title(lxml.html.fragment_fromstring(m.group(1), create_parent="div").text_content())
        if value:
            return value
    for t in doc.xpath("//head/title|//title"):
        value = clean_text(t.text_content())
        if value:
            return clean_title(_TITLE_SPLIT.split(value, 1)[0])
    for h in doc.xpath("//h1"):
        value = clean_title(h.text_content())
        if value:
            return value
    return None


def _marker_rank(el: lxml.html.HtmlElement) -> int | None:
    ident, cls = el.get("id"), el.get("class")
    for rank, (kind, value) in enumerate(BODY_MARKERS):
        if kind == "id" and ident == value or kind == "tag" and el.tag == value:
            return rank
        if cls and (kind == "class" and value in cls.split() or kind == "class~" and value in cls):
            return rank
    return None


def _scan(doc: lxml.html.HtmlElement) -> tuple[lxml.html.HtmlElement | None, list[lxml.html.HtmlElement]]:
    """One pass over the tree: the best body container, and the attachment-list containers."""
    best, best_rank = None, len(BODY_MARKERS)
    blocks = []
    for el in doc.iter():
        if not isinstance(el.tag, str) or (el.get("id") is None and el.get("class") is None and el.tag != "article"):
            continue
        rank = _marker_rank(el)
        if rank is not None and rank < best_rank:
            best, best_rank = el, rank
        marker = f"{el.get('id', '')} {el.get('class', '')}"
        if any(m in marker for m in _ATTACH_MARKERS):
            blocks.append(el)
    return best, blocks


def _largest_block(doc: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    """The element whose ``p``/``br`` children carry the most text."""
    scores: dict[int, int] = {}
    nodes: dict[int, lxml.html.HtmlElement] = {}
    for p in doc.iter("p"):
        parent = p.getparent()
        if parent is None:
            continue
        key = id(parent)
        nodes[key] = parent
        scores[key] = scores.get(key, 0) + len(clean_text(p.text_content()))
    if not scores:
        body = doc.find("body")
        return body if body is not None else doc
    return nodes[max(scores, key=lambda k: scores[k])]


def attachment_ext(url: str, name: str = "") -> str | None:
    """Document extension of a link (from the URL path, else from the link text)."""
    path = url.split("?", 1)[0].split("#", 1)[0]
    for candidate in (path, name.strip()):
        m = _EXT.search(candidate)
        if m and m.group(1).lower() in ATTACHMENT_EXTS:
            return m.group(1).lower()
    return None


def collect_attachments(anchors: list[lxml.html.HtmlElement], base: str) -> list[AttachmentLink]:
    out: list[AttachmentLink] = []
    seen: set[str] = set()
    for a in anchors:
        href = a.get("href")
        if not usable_href(href):
            continue
        link = absolute_url(base, href or "")
        if not link or link in seen:
            continue
        name = clean_text(a.text_content()) or clean_text(a.get("title"))
        ext = attachment_ext(link, name)
        if ext is None:
            continue
        seen.add(link)
        out.append(AttachmentLink(url=link, name=name or link.rsplit("/", 1)[-1], ext=ext))
    return out


def _pubdate(doc, metas, xxgk, url) -> tuple[dt.datetime | None, str | None]:
    for name in PUBDATE_METAS:
        value = parse_datetime(metas.get(name))
        if value is not None:
            return value, "meta"
    value = parse_datetime(xxgk.get("发布日期"))
    if value is not None:
        return value, "xxgk"
    root = doc.find("body")
    value = find_page_date(visible_text(root if root is not None else doc))
    if value is not None:
        return value, "page"
    day = date_from_url(url)
    if day is not None:
        return dt.datetime(day.year, day.month, day.day), "url"
    return None, None


def parse_article(text: str, url: str) -> ArticleInfo:
    """Everything the checks need from one article page (pure: no network, no clock)."""
    doc = parse_html(text)
    base = base_url(doc, url)
    metas = read_metas(doc)
    xxgk = parse_xxgk(doc)
    body, blocks = _scan(doc)
    if body is None:
        body = _largest_block(doc)
    pubdate, source = _pubdate(doc, metas, xxgk, url)
    anchors = list(body.iter("a")) if body is not None else []
    for block in blocks:
        anchors.extend(block.iter("a"))
    # 发布日期 of the 信息公开 table, else the PubDate meta / visible date; never a URL date.
    published = parse_date(xxgk.get("发布日期")) or (pubdate.date() if pubdate and source in ("meta", "page") else None)
    return ArticleInfo(
        title=_title(doc, text, metas),
        pubdate=pubdate,
        pubdate_source=source,
        meta=metas,
        xxgk=xxgk,
        written_date=parse_date(xxgk.get("成文日期")),
        published_date=published,
        doc_number=xxgk.get("文号") or None,
        validity=xxgk.get("有效性") or None,
        publisher=xxgk.get("发布机构") or xxgk.get("信息来源") or None,
        text=visible_text(body, "\n") if body is not None else "",
        attachments=collect_attachments(anchors, base),
    )
