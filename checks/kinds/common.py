"""Helpers shared by the kinds: parameter merging, keyword matching, evidence lists."""

from __future__ import annotations

from typing import Any

from checks.kinds import param
from checks.model import ItemView, SectionData


def params_for(kind: str, indicator_params: dict[str, Any], section: SectionData | None) -> dict[str, Any]:
    """Pack parameters overridden by the section's own ``params`` table in settings.toml."""
    merged = dict(indicator_params)
    if section is not None:
        merged.update(section.config.params or {})
    return merged


def get(kind: str, params: dict[str, Any], key: str) -> Any:
    return param(kind, params, key)


def matches_keywords(title: str, keywords: list[str]) -> bool:
    return not keywords or any(k in (title or "") for k in keywords)


def relevant_items(section: SectionData, keywords: list[str]) -> list[ItemView]:
    if not keywords:
        return list(section.items)
    return [i for i in section.items if any(k in (i.title or "") for k in keywords)]


def item_evidence(items: list[ItemView], limit: int = 5) -> list[dict[str, Any]]:
    """Evidence entries for article pages (falls back to the item URL and first-seen time).

    The fallback entry is made once per item and shared by every result citing it, as a page's
    ``evidence`` is (entries are never changed): one object to pickle and send per item, not per result.
    """
    out = []
    for item in items[:limit]:
        if item.page is not None:
            out.append(item.page.evidence)
        else:
            entry = item.__dict__.get("_evidence")  # a frozen view: its fields are not touched
            if entry is None:
                entry = item.__dict__["_evidence"] = {
                    "url": item.url, "captured_at": item.first_seen.isoformat(timespec="seconds"),
                    "warc_file": None, "warc_offset": None, "warc_length": None}
            out.append(entry)
    return out


def describe(item: ItemView) -> str:
    date = item.published.isoformat() if item.published else "日期不明"
    return f"《{item.title}》（{date}）"
