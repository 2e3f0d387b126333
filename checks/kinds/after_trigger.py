"""after_trigger: a publication due N working days after a triggering event.

trigger = "policy"        政策解读 within ``within_working_days`` (3) of the policy it explains.
                          Policies are the items of ``policy_sections`` (default: the site's
                          sections with category "policy", plus this section) whose titles lack
                          the 解读 keywords; interpretations are the items whose titles contain them.
                          An interpretation matches a policy when the policy title (or a 《…》 quote
                          in the interpretation title) names it, when their titles share at least
                          ``min_shared`` topical two-character terms (boilerplate words and terms common
                          to the pool's policy titles or the site's name left out, see
                          after_trigger_match), or when either page links to the other.
                          One finding per policy, for policies published in the last ``lookback_days``.
trigger = "written_date"  主动公开 within 20 working days of 成文日期 (Item/Page written_date),
                          one finding per publication month.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from checks.kinds import register
from checks.kinds.after_trigger_match import InterpretationIndex, common_terms, core, quotes, terms
from checks.kinds.common import describe, get, item_evidence, matches_keywords, params_for, relevant_items
from checks.model import Context, ItemView, Outcome, SectionData
from checks.packs import Indicator

KIND = "after_trigger"


@register(
    KIND,
    params={
        "trigger": ((str,), "policy"),  # policy | written_date
        "within_working_days": ((int,), 3),
        "policy_sections": ((list,), []),
        "interpretation_keywords": ((list,), ["解读", "图解", "问答", "读懂"]),
        "min_shared": ((int,), 3),
        "lookback_days": ((int,), 120),
    },
    choices={"trigger": ("policy", "written_date")},
)
def after_trigger(ind: Indicator, section: SectionData, ctx: Context) -> list[Outcome]:
    """Publication within N working days of its trigger."""
    params = params_for(KIND, ind.params, section)
    if get(KIND, params, "trigger") == "written_date":
        return _written(section, params, ctx)
    return _policy(section, params, ctx)


# --------------------------------------------------------------------------- 成文日期 → 发布


@lru_cache(maxsize=4096)
def _month(day: dt.date) -> str:
    """``f"{day:%Y-%m}"``, once per date (strftime costs 2.5–4 µs a call; a batch formats ≈ 4,000)."""
    return f"{day:%Y-%m}"


def _written(section: SectionData, params: dict[str, Any], ctx: Context) -> list[Outcome]:
    n = get(KIND, params, "within_working_days")
    since = ctx.as_of - dt.timedelta(days=get(KIND, params, "lookback_days"))
    months: dict[str, list[tuple[ItemView, dt.date, bool]]] = {}
    for item in relevant_items(section, get(KIND, params, "keywords")):
        written = item.written
        if written is None or item.published is None or item.published < since:
            continue
        due, uncertain = ctx.calendar.add_working_days(written, n)
        months.setdefault(_month(item.published), []).append((item, due, uncertain))
    out = []
    for label, rows in sorted(months.items()):
        late = [(i, d) for i, d, _ in rows if i.published > d]  # type: ignore[operator]
        uncertain = any(u for *_, u in rows)
        details = {"checked": len(rows), "late": [{"title": i.title, "url": i.url, "written": i.written,
                                                    "published": i.published, "due": d} for i, d in late]}
        if late:
            first, due = late[0]
            extra, _ = ctx.calendar.working_days_between(due, first.published)  # type: ignore[arg-type]
            msg = (f"{label} 有 {len(late)} 条信息超过成文后 {n} 个工作日才公开，如 {describe(first)}"
                   f"，成文 {first.written}，应于 {due} 前公开（逾期 {extra} 个工作日）")
            out.append(Outcome("fail", msg, label, due, item_evidence([i for i, _ in late]), uncertain, details))
        else:
            out.append(Outcome("pass", f"{label} {len(rows)} 条信息均在成文后 {n} 个工作日内公开", label,
                               max(d for _, d, _ in rows), item_evidence([r[0] for r in rows], 2), uncertain,
                               details))
    return out


# --------------------------------------------------------------------------- 政策解读


_terms, _quotes, _core = terms, quotes, core  # the names explains() and older callers use


def explains(interp: ItemView, policy: ItemView, min_shared: int,
             common: frozenset[str] = frozenset()) -> str | None:
    """How ``interp`` is tied to ``policy`` (link | quote | title | keywords), or None.

    ``common``: terms the keywords condition ignores (``common_terms`` of the pool).
    """
    if interp.page and policy.url in interp.page.links:
        return "link"
    if policy.page and interp.url in policy.page.links:
        return "link"
    core = _core(policy.title)
    for quoted in _quotes(interp.title or ""):
        if quoted and (quoted in policy.title or _core(quoted) == core or core in quoted):
            return "quote"
    if len(core) >= 6 and core in (interp.title or ""):
        return "title"
    if len((_terms(interp.title) & _terms(policy.title)) - common) >= min_shared:
        return "keywords"
    return None


def _entry(shown: dict[tuple[int, str], dict[str, Any]], item: ItemView, how: str) -> dict[str, Any]:
    entry = shown.get((id(item), how))
    if entry is None:
        entry = shown[(id(item), how)] = {"title": item.title, "url": item.url, "published": item.published,
                                          "matched_by": how}
    return entry


@lru_cache(maxsize=64)
def _any_of(words: tuple[str, ...]) -> Callable[[str], re.Match[str] | None]:
    """``search(title)``: a match when the title contains any of ``words`` (as ``any(w in title ...)``)."""
    return re.compile("|".join(map(re.escape, words))).search


def _about(policy: ItemView) -> tuple[str, dict[str, Any]]:
    """A policy's period label and its details entry, made once per policy item and shared by every result on it
    (both 政策解读 rules judge the same policies; entries are never changed, like ``item_evidence``'s)."""
    done = policy.__dict__.get("_policy_about")  # a frozen view: its fields are not touched
    if done is None:
        done = policy.__dict__["_policy_about"] = (
            f"{policy.published}#{hashlib.sha1(policy.url.encode()).hexdigest()[:8]}",
            {"title": policy.title, "url": policy.url, "published": policy.published})
    return done


def _policy(section: SectionData, params: dict[str, Any], ctx: Context) -> list[Outcome]:
    site = ctx.site_data
    wanted = set(get(KIND, params, "policy_sections"))
    pool = [section]
    if site is not None:
        pool += [s for s in site.sections if s is not section and
                 ((s.config.id in wanted) if wanted else s.config.category == "policy")]
    unreadable = [s.config.id for s in pool if not s.readable]
    words = get(KIND, params, "interpretation_keywords")
    items = list({i.url: i for s in pool for i in s.items}.values())
    if words:  # a title is a 解读 when it contains any of the words (one regex search per title)
        search = _any_of(tuple(words))
        flags = [search(i.title or "") is not None for i in items]
    else:
        flags = [False] * len(items)
    interps = [i for i, flag in zip(items, flags, strict=True) if flag]
    others = [i for i, flag in zip(items, flags, strict=True) if not flag]
    since = ctx.as_of - dt.timedelta(days=get(KIND, params, "lookback_days"))
    keywords = get(KIND, params, "keywords")
    policies = [i for i in others if matches_keywords(i.title, keywords) and i.published and i.published >= since]
    if unreadable and section.config.id not in unreadable:
        return [Outcome("unknown", f"政策文件栏目 {'、'.join(unreadable)} 无法读取，无法判断解读是否及时",
                        details={"unreadable": unreadable})]
    n = get(KIND, params, "within_working_days")
    min_shared = get(KIND, params, "min_shared")
    # every non-解读 title of the pool, not only the window's policies: a steadier count of what is common
    common = common_terms([i.title for i in others], {s.site.name for s in pool})
    prepared = InterpretationIndex(interps, common)
    shown: dict[tuple[int, str], dict[str, Any]] = {}  # one details entry per (interpretation, how), shared
    listed: dict[int, list[dict[str, Any]]] = {}
    out = []
    for policy in sorted(policies, key=lambda i: i.published):  # type: ignore[arg-type,return-value]
        due, uncertain = ctx.calendar.add_working_days(policy.published, n)  # type: ignore[arg-type]
        period, named = _about(policy)
        matched = prepared.matching(policy, min_shared)  # sorted by publication date, undated last
        entries = listed.get(id(matched))  # the index hands out one list per distinct match (kept alive)
        if entries is None:
            entries = listed[id(matched)] = [_entry(shown, i, how) for i, how in matched]
        details: dict[str, Any] = {"policy": named, "interpretations": entries}
        # sorted: the first match has the earliest date; if it is undated, so are all the others
        first = matched[0][0].published if matched else None
        late = matched[0][0] if first else None
        timely = late if first and first <= due else None
        if timely is not None:
            out.append(Outcome("pass", f"政策 {describe(policy)} 已在 {n} 个工作日内发布解读 {describe(timely)}",
                               period, due, item_evidence([policy, timely]), uncertain, details))
        elif late is not None:
            extra, unsure = ctx.calendar.working_days_between(policy.published, late.published)  # type: ignore[arg-type]
            out.append(Outcome("fail", f"政策 {describe(policy)} 的解读 {describe(late)} 在第 {extra} 个工作日"
                                       f"才发布，超过 {n} 个工作日时限（应于 {due} 前）",
                               period, due, item_evidence([policy, late]), uncertain or unsure,
                               {**details, "late": True, "working_days": extra}))
        elif matched:
            out.append(Outcome("unknown", f"政策 {describe(policy)} 的解读无发布日期，无法判断是否及时",
                               period, due, item_evidence([policy, matched[0][0]]), uncertain, details))
        elif due < ctx.as_of:
            out.append(Outcome("fail", f"政策 {describe(policy)} 出台后 {n} 个工作日内（{due} 前）未发布解读",
                               period, due, item_evidence([policy]), uncertain, details))
    return out
