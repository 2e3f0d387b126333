"""presence: 即时公开 static information — the section must not be blank."""

from __future__ import annotations

from checks.kinds import register
from checks.kinds.common import describe, get, item_evidence, params_for, relevant_items
from checks.model import Context, Outcome, SectionData
from checks.packs import Indicator

KIND = "presence"


@register(KIND, params={"min_items": ((int,), 1)})
def presence(ind: Indicator, section: SectionData, ctx: Context) -> list[Outcome]:
    """The section shows at least ``min_items`` entries (matching ``keywords`` when given)."""
    params = params_for(KIND, ind.params, section)
    items = relevant_items(section, get(KIND, params, "keywords"))
    need = get(KIND, params, "min_items")
    if len(items) >= need:
        latest = section.last_published() or items[0]
        return [Outcome("pass", f"栏目已公开 {len(items)} 条信息，最新 {describe(latest)}",
                        evidence=section.list_evidence + item_evidence([latest], 1),
                        details={"items": len(items)})]
    msg = "栏目为空白栏目，未公开任何信息" if not items else f"栏目仅有 {len(items)} 条信息，少于要求的 {need} 条"
    return [Outcome("fail", msg, evidence=list(section.list_evidence), details={"items": len(items)})]
