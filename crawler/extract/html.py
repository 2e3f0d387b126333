"""lxml helpers shared by the extractors: tolerant parsing, text normalization, URL joining."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urljoin, urlsplit, urlunsplit

import lxml.html
from lxml import etree

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_WS = re.compile(r"[\s\u00a0\u2000-\u200b\u3000\ufeff]+")
_DIGIT_CJK_GAP = re.compile(r"(?<=\d) (?=[\u4e00-\u9fff])")
_ELLIPSIS = re.compile(r"(?:\.{3,}|…+|。。。)\s*$")
PLACEHOLDER = re.compile(r"\{\{|\}\}|\$\{|<%|%>")
NON_CONTENT = frozenset({"script", "style", "noscript", "template", "textarea", "select", "option"})
_BAD_SCHEMES = ("javascript:", "mailto:", "tel:", "data:", "about:", "vbscript:", "#")


def parse_html(text: str) -> lxml.html.HtmlElement:
    """Parse a whole page tolerantly (stray ``</html>``, broken nesting); never raises."""
    text = _XML_DECL.sub("", text or "", count=1)
    if not text.strip():
        text = "<html></html>"
    try:
        root = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return lxml.html.document_fromstring("<html></html>")
    if root.getnext() is not None:
        _adopt_trailing(root)
    return root


def _adopt_trailing(root: lxml.html.HtmlElement) -> None:
    """Content after a stray ``</html>`` (gov.cn header include) ends up beside the root: move it into <body>."""
    body = root.find("body")
    if body is None:
        body = lxml.html.Element("body")
        root.append(body)
    for sib in list(root.itersiblings()):
        if sib.tag == "html":
            for child in list(sib):
                if child.tag == "body":
                    body.extend(list(child))
                elif child.tag == "head":
                    head = root.find("head")
                    (head if head is not None else body).extend(list(child))
                else:
                    body.append(child)
        elif isinstance(sib.tag, str):
            body.append(sib)


def parse_fragment(text: str) -> lxml.html.HtmlElement:
    """Parse an HTML fragment into a wrapping ``<div>``."""
    try:
        return lxml.html.fragment_fromstring(text or "", create_parent="div")
    except (etree.ParserError, ValueError):
        return lxml.html.fragment_fromstring("", create_parent="div")


def clean_text(value: str | None) -> str:
    """Collapse all whitespace (NBSP, ENSP, ideographic space …) to single spaces."""
    return _WS.sub(" ", value or "").strip()


def squeeze(value: str | None) -> str:
    """Remove every kind of whitespace (for matching padded labels such as 索&ensp;引&ensp;号)."""
    return _WS.sub("", value or "")


def clean_title(value: str | None) -> str:
    """Title cleanup: collapse whitespace, drop a gap between digits and CJK, strip a trailing ellipsis."""
    text = _DIGIT_CJK_GAP.sub("", clean_text(value))
    return _ELLIPSIS.sub("", text).strip()


def visible_text(el: lxml.html.HtmlElement, sep: str = " ") -> str:
    """Text of ``el`` without script/style content (comments are not text in lxml)."""
    parts: list[str] = []
    _collect(el, parts)
    return sep.join(p for p in parts if p)


def _collect(el: lxml.html.HtmlElement, parts: list[str]) -> None:
    if isinstance(el.tag, str) and el.tag not in NON_CONTENT and el.text:
        parts.append(el.text.strip())
    if el.tag not in NON_CONTENT:
        for child in el:
            _collect(child, parts)
            if child.tail:
                parts.append(child.tail.strip())


def usable_href(href: str | None) -> bool:
    """False for empty, javascript:/mailto:/#, and client-side template placeholders."""
    if not href:
        return False
    h = href.strip()
    return bool(h) and not h.lower().startswith(_BAD_SCHEMES) and not PLACEHOLDER.search(h)


def absolute_url(base: str, href: str) -> str | None:
    """Resolve ``href`` against ``base``; http(s) only, fragment dropped, None otherwise."""
    return _absolute_url(base, href or "")


@lru_cache(maxsize=65536)
def _absolute_url(base: str, href: str) -> str | None:
    href = href.strip().replace("\\", "/")
    if not usable_href(href):
        return None
    href = href.split("#", 1)[0]
    if href.startswith(("http://", "https://")) and " " not in href and "/." not in href:
        parts = href.split("/", 3)
        if len(parts) >= 3 and parts[2]:
            return href if len(parts) == 4 else href + "/"
    try:
        joined = urljoin(base, href)
        parts = urlsplit(joined)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def base_url(doc: lxml.html.HtmlElement, page_url: str) -> str:
    """The page URL, or the document's ``<base href>`` resolved against it."""
    for href in doc.xpath("//base/@href"):
        resolved = absolute_url(page_url, href)
        if resolved:
            return resolved
    return page_url
