"""SectionState <-> JSON, so a section's pagination can continue on whichever worker pops its next page.

A section's list pages are requested one after the other (each parsed page yields at most one next
page), so only one worker touches a section's state at a time: load before the callback, save after.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

from crawler.outcomes import Problem
from crawler.spider import SectionState


def state_to_json(st: SectionState) -> str:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(st):
        value = getattr(st, f.name)
        if f.name == "seen_urls":
            value = sorted(value)
        elif f.name == "seen_requests":
            value = sorted(list(k) for k in value)
        elif f.name == "later_problem" and value is not None:
            value = [value[0], value[1].outcome, value[1].reason]
        out[f.name] = value
    return json.dumps(out, ensure_ascii=False, default=_encode)


def _encode(value: Any) -> Any:
    """Dates (e.g. a section's own horizon) as tagged ISO strings."""
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    raise TypeError(f"{value.__class__.__name__} 不能写入分布式抓取的栏目状态")


def _decode(obj: dict[str, Any]) -> Any:
    if obj.keys() == {"$date"}:
        return dt.date.fromisoformat(obj["$date"])
    if obj.keys() == {"$datetime"}:
        return dt.datetime.fromisoformat(obj["$datetime"])
    return obj


def state_from_json(text: str | bytes) -> SectionState:
    data = json.loads(text, object_hook=_decode)
    data["seen_urls"] = set(data.get("seen_urls") or [])
    data["seen_requests"] = {tuple(k) for k in data.get("seen_requests") or []}
    problem = data.get("later_problem")
    data["later_problem"] = (problem[0], Problem(problem[1], problem[2])) if problem else None
    names = {f.name for f in dataclasses.fields(SectionState)}
    return SectionState(**{k: v for k, v in data.items() if k in names})
