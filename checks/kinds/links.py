"""links: broken links from the link checker's verdicts (Link.verdict, LinkRef).

One finding per section that carries links (department = the section's), plus one for the
site itself (home page and pages outside any section). Only ``broken`` counts as broken
(confirmed on consecutive runs by the link checker); ``suspect`` and ``blocked`` are warnings
with their reason; links not yet checked make no verdict. Home-page links weigh more:
``home_weight`` points per broken home-page link, ``other_weight`` per other broken link.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from checks.kinds import register
from checks.kinds.common import get
from checks.model import Context, LinkRefView, LinkView, Outcome, SiteData
from checks.packs import Indicator

KIND = "links"


@register(
    KIND,
    scopes=("site",),
    params={"home_weight": ((int, float), 1.0), "other_weight": ((int, float), 0.1),
            "max_listed": ((int,), 20)},
)
def links(ind: Indicator, site: SiteData, ctx: Context) -> list[Outcome]:
    """Broken links per page and per department."""
    params = dict(ind.params)
    groups: dict[str | None, list[tuple[LinkView, LinkRefView]]] = defaultdict(list)
    for link in site.links:
        for ref in link.refs:
            groups[ref.section_id].append((link, ref))
    departments = {s.id: s.department for s in site.config.sections}
    out = []
    for section_id, pairs in sorted(groups.items(), key=lambda kv: kv[0] or ""):
        outcome = _judge(pairs, params)
        outcome.section = section_id
        outcome.department = departments.get(section_id or "", site.config.department)
        out.append(outcome)
    if not groups:
        out.append(Outcome("unknown", "尚无链接检查数据", details={"links": 0}))
    return out


def _judge(pairs: list[tuple[LinkView, LinkRefView]], params: dict[str, Any]) -> Outcome:
    home_w, other_w = float(get(KIND, params, "home_weight")), float(get(KIND, params, "other_weight"))
    by_verdict: dict[str, set[str]] = defaultdict(set)
    by_page: dict[str, list[dict[str, Any]]] = defaultdict(list)
    deduction, home_broken = 0.0, 0
    for link, ref in pairs:
        by_verdict[link.verdict].add(link.url)
        if link.verdict in ("broken", "suspect", "blocked"):
            by_page[ref.source_url].append({"url": link.url, "verdict": link.verdict, "reason": link.reason,
                                            "http_status": link.http_status, "kind": ref.kind})
        if link.verdict == "broken":
            deduction += home_w if ref.on_home_page else other_w
            home_broken += ref.on_home_page
    counts = {k: len(v) for k, v in by_verdict.items()}
    limit = get(KIND, params, "max_listed")
    details = {"counts": counts, "home_broken": home_broken, "points": round(deduction, 2),
               "by_page": {page: rows[:limit] for page, rows in list(by_page.items())[:limit]}}
    # pages that carry a confirmed broken link first: the report shows the first one
    pages_first = sorted(by_page, key=lambda page: not any(r["verdict"] == "broken" for r in by_page[page]))
    evidence = [{"url": page, "captured_at": None, "warc_file": None, "warc_offset": None, "warc_length": None}
                for page in pages_first[:5]]
    broken = counts.get("broken", 0)
    if broken:
        pages = sum(1 for rows in by_page.values() if any(r["verdict"] == "broken" for r in rows))
        home = f"（其中首页 {home_broken} 处）" if home_broken else ""
        return Outcome("fail", f"发现 {broken} 个失效链接{home}，分布在 {pages} 个页面：{_examples(by_page)}",
                       evidence=evidence, details=details)
    doubtful = counts.get("suspect", 0) + counts.get("blocked", 0)
    if doubtful:
        return Outcome("warn", f"{doubtful} 个链接疑似不可用或被拦截（待复核，不计为失效）", evidence=evidence,
                       details=details)
    if not counts.get("ok"):
        return Outcome("unknown", f"{len(by_verdict.get('unknown', ()))} 个链接尚未完成检查", details=details)
    unchecked = counts.get("unknown", 0)
    note = f"；{unchecked} 个尚未检查" if unchecked else ""
    return Outcome("pass", f"{counts['ok']} 个链接可用{note}", details=details)


def _examples(by_page: dict[str, list[dict[str, Any]]], limit: int = 3) -> str:
    """The first broken links with the page that carries them, so the department can find them."""
    from crawler.linkcheck.classify import REASON_LABELS

    pairs = [(page, row) for page, rows in by_page.items() for row in rows if row["verdict"] == "broken"]
    shown = [f"页面 {page} 上的 {row['url']}（{REASON_LABELS.get(row['reason'] or '', row['reason'] or '失效')}）"
             for page, row in pairs[:limit]]
    more = f"等 {len(pairs)} 处" if len(pairs) > limit else ""
    return "；".join(shown) + more
