"""All outgoing links of a page (for the link checker): absolute, deduplicated, http(s) only."""

from __future__ import annotations

from dataclasses import dataclass

from .article import attachment_ext
from .html import absolute_url, base_url, clean_text, parse_html

_XPATH = "//a[@href]|//area[@href]|//img[@src]|//script[@src]|//link[@href]|//iframe[@src]"


@dataclass
class FoundLink:
    url: str
    kind: str  # a | img | attachment | script | css
    text: str


def _kind(tag: str, rel: str, url: str, text: str) -> str | None:
    if tag in ("a", "area", "iframe"):
        return "attachment" if attachment_ext(url, text) else "a"
    if tag == "img":
        return "img"
    if tag == "script":
        return "script"
    if tag == "link":
        if "stylesheet" in rel:
            return "css"
        return "a" if rel.strip() in ("", "alternate", "canonical") else None
    return None


def extract_links(text: str, base_url_: str) -> list[FoundLink]:
    """Links of ``a``, ``img``, ``script``, stylesheet ``link`` and ``iframe``; honours ``<base>``."""
    doc = parse_html(text)
    base = base_url(doc, base_url_)
    out: list[FoundLink] = []
    seen: set[str] = set()
    for el in doc.xpath(_XPATH):
        raw = el.get("href") if el.tag in ("a", "area", "link") else el.get("src")
        url = absolute_url(base, raw or "")
        if url is None or url in seen:
            continue
        label = clean_text(el.text_content()) if el.tag in ("a", "area") else clean_text(el.get("alt"))
        if el.tag in ("a", "area") and not label:
            label = clean_text(el.get("title"))
        kind = _kind(el.tag, (el.get("rel") or "").lower(), url, label)
        if kind is None:
            continue
        seen.add(url)
        out.append(FoundLink(url=url, kind=kind, text=label))
    return out
