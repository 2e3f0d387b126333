"""privacy: full 身份证号 / 银行卡号 / 手机号 in published pages and attachments.

One finding per section listing where numbers were found (page or attachment, masked number).
Pages and attachments that could not be read are counted and named; they never make a pass
silent: with nothing readable at all the result is unknown.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from checks.kinds import register
from checks.kinds.common import get, params_for, relevant_items
from checks.model import Context, Outcome, SectionData
from checks.packs import Indicator
from checks.privacy_detect import scan

KIND = "privacy"


@register(KIND, params={"detect": ((list,), ["id_number", "bank_card", "mobile"]), "max_locations": ((int,), 30)})
def privacy(ind: Indicator, section: SectionData, ctx: Context) -> list[Outcome]:
    """No full personal numbers in the section's pages and attachments."""
    params = params_for(KIND, ind.params, section)
    wanted = set(get(KIND, params, "detect"))
    locations: list[dict[str, Any]] = []
    evidence: list[dict[str, Any]] = []
    read, unread = 0, []
    for item in relevant_items(section, get(KIND, params, "keywords")):
        page = item.page
        if page is None or page.outcome not in ("ok", "unchanged"):
            unread.append(item.url)
            continue
        read += 1
        sources = [(f"页面《{(item.title or '')[:40]}》", page.url, f"{page.title or ''}\n{page.text or ''}",
                    page.evidence)]
        for att in page.attachments:
            if att.outcome != "ok" or att.text is None:
                unread.append(att.url)
                continue
            read += 1
            sources.append((f"附件《{(att.name or att.url.rsplit('/', 1)[-1])[:40]}》", att.url, att.text,
                            att.evidence))
        for where, url, text, ev in sources:
            hits = [h for h in scan(text) if h.kind in wanted]
            if hits:
                counts = Counter(h.label for h in hits)
                locations.append({"where": where, "url": url, "counts": dict(counts),
                                  "examples": [f"{h.label} {h.masked}" for h in hits[:3]]})
                evidence.append(ev)
    details = {"read": read, "unread_count": len(unread), "unread": unread[:20],
               "locations": locations[: get(KIND, params, "max_locations")]}
    if locations:
        total = Counter()
        for loc in locations:
            total.update(loc["counts"])
        summary = "、".join(f"{k} {v} 处" for k, v in total.items())
        first = locations[0]
        return [Outcome("fail", f"发现未脱敏个人信息：{summary}，涉及 {len(locations)} 个页面或附件，"
                                f"如 {first['where']}：{'，'.join(first['examples'])}",
                        evidence=evidence[:10], details=details)]
    if read == 0 and unread:
        return [Outcome("unknown", f"{len(unread)} 个页面或附件未能读取，无法检查个人信息", details=details)]
    note = f"；{len(unread)} 个页面或附件未能读取，未纳入检查" if unread else ""
    return [Outcome("pass", f"检查 {read} 个页面或附件，未发现未脱敏个人信息{note}", details=details)]
