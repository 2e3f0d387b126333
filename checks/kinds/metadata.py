"""metadata: required fields on article pages.

source = "xxgk"  规范性文件: 文号、成文日期、发布日期、有效性 from the 信息公开 table (Page.xxgk) or the
                 parsed columns (doc_number, written_date, pubdate, validity).
source = "meta"  <meta> tags (Page.meta has lower-cased names): ArticleTitle, PubDate, ContentSource
                 and the site tags SiteName, SiteDomain, SiteIDCode; PubDate must read YYYY-MM-DD HH:MM.
One finding per section; pages not fetched (or unreadable) are listed and never count as missing.
"""

from __future__ import annotations

import re
from typing import Any

from checks.kinds import register
from checks.kinds.common import get, item_evidence, params_for, relevant_items
from checks.model import Context, Outcome, PageView, SectionData
from checks.packs import Indicator

KIND = "metadata"
PUBDATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")
_XXGK_ALIASES = {
    "文号": ("文号", "发文字号", "发文文号"),
    "成文日期": ("成文日期", "成文时间", "印发日期"),
    "发布日期": ("发布日期", "公开日期", "发布时间"),
    "有效性": ("有效性", "是否有效", "效力状态", "时效"),
}


@register(
    KIND,
    params={
        "source": ((str,), "meta"),  # meta | xxgk
        "fields": ((list,), ["articletitle", "pubdate", "contentsource", "sitename", "sitedomain", "siteidcode"]),
        "pubdate_format": ((bool,), True),
        "sample": ((int,), 50),  # newest pages inspected per section
    },
    choices={"source": ("meta", "xxgk")},
)
def metadata(ind: Indicator, section: SectionData, ctx: Context) -> list[Outcome]:
    """Required metadata present on the section's article pages."""
    params = params_for(KIND, ind.params, section)
    source = get(KIND, params, "source")
    fields = [str(f) for f in get(KIND, params, "fields")]
    items = sorted(relevant_items(section, get(KIND, params, "keywords")),
                   key=lambda i: i.first_seen, reverse=True)[: get(KIND, params, "sample")]
    checked, unread, bad = 0, [], []
    for item in items:
        page = item.page
        if page is None or page.outcome not in ("ok", "unchanged"):
            unread.append(item.url)
            continue
        checked += 1
        problems = _xxgk_missing(page, fields) if source == "xxgk" else _meta_missing(page, fields, params)
        if problems:
            bad.append((item, problems))
    details: dict[str, Any] = {"checked": checked, "unread": unread[:20], "unread_count": len(unread),
                               "problems": [{"url": i.url, "title": i.title, "missing": p} for i, p in bad[:50]]}
    what = "规范性文件要素" if source == "xxgk" else "网页标签"
    if bad:
        item, problems = bad[0]
        return [Outcome("fail", f"{len(bad)}/{checked} 个页面{what}不全，如《{item.title[:40]}》缺少或不合规："
                                f"{'、'.join(problems)}", evidence=item_evidence([i for i, _ in bad]), details=details)]
    if checked == 0:
        if not items:
            return [Outcome("pass", "栏目没有需要检查的页面", details=details)]
        return [Outcome("unknown", f"{len(unread)} 个页面未抓取或无法读取，无法检查{what}", details=details)]
    note = f"；另有 {len(unread)} 个页面未能读取" if unread else ""
    return [Outcome("pass", f"{checked} 个页面{what}齐全{note}", evidence=item_evidence(items, 2), details=details)]


def _xxgk_value(page: PageView, name: str) -> Any:
    table = page.xxgk or {}
    for alias in _XXGK_ALIASES.get(name, (name,)):
        if str(table.get(alias) or "").strip():
            return table[alias]
    parsed = {"文号": page.doc_number, "成文日期": page.written_date, "发布日期": page.pubdate,
              "有效性": page.validity}
    return parsed.get(name)


def _xxgk_missing(page: PageView, fields: list[str]) -> list[str]:
    return [f for f in fields if not str(_xxgk_value(page, f) or "").strip()]


def _meta_missing(page: PageView, fields: list[str], params: dict[str, Any]) -> list[str]:
    meta = {str(k).lower(): v for k, v in (page.meta or {}).items()}
    missing = []
    for name in fields:
        value = meta.get(name.lower())
        if isinstance(value, list):
            value = value[0] if value else None
        if not str(value or "").strip():
            missing.append(name)
        elif name.lower() == "pubdate" and get(KIND, params, "pubdate_format") and \
                not PUBDATE_RE.match(str(value).strip()):
            missing.append(f"PubDate 格式（{str(value)[:20]}，应为 YYYY-MM-DD HH:MM）")
    return missing
