"""Rule kinds: small pure functions registered by name, each with a declared parameter schema.

A kind is ``fn(indicator, target, ctx) -> list[Outcome]`` where ``target`` is a
``SectionData`` (scope "section") or a ``SiteData`` (scope "site"). Packs name kinds by
string; parameters are validated against ``params`` when the pack loads (unknown → error).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

KindFn = Callable[..., list[Any]]

# Parameters every kind accepts (the engine or the shared helpers read them).
COMMON_PARAMS: dict[str, tuple[tuple[type, ...], Any]] = {
    "keywords": ((list,), []),  # title keywords an item must contain (any of them)
}


@dataclass(frozen=True)
class KindSpec:
    name: str
    fn: KindFn
    scopes: tuple[str, ...]  # "section" and/or "site"
    params: dict[str, tuple[tuple[type, ...], Any]]  # name -> (accepted types, default)
    doc: str = ""
    choices: dict[str, tuple[Any, ...]] | None = None  # name -> allowed values


KINDS: dict[str, KindSpec] = {}
_loaded = False


def register(
    name: str, *, scopes: tuple[str, ...] = ("section",), params: dict[str, tuple[tuple[type, ...], Any]] | None = None,
    choices: dict[str, tuple[Any, ...]] | None = None,
) -> Callable[[KindFn], KindFn]:
    """Decorator: register a kind under ``name`` with its parameter schema (and allowed values)."""

    def wrap(fn: KindFn) -> KindFn:
        KINDS[name] = KindSpec(name, fn, scopes, {**COMMON_PARAMS, **(params or {})}, (fn.__doc__ or "").strip(),
                               choices or {})
        return fn

    return wrap


def get_kind(name: str) -> KindSpec:
    _load()
    return KINDS[name]


def validate_params(kind: str, params: dict[str, Any]) -> None:
    """Raise ValueError (with a Chinese message) for an unknown kind, unknown key or wrong type."""
    _load()
    if kind not in KINDS:
        raise ValueError(f"未知的规则类型 `{kind}`（可用：{'、'.join(sorted(KINDS))}）")
    schema = KINDS[kind].params
    for key, value in params.items():
        if key not in schema:
            raise ValueError(f"规则类型 `{kind}` 不认识参数 `{key}`（可用：{'、'.join(sorted(schema))}）")
        types, _default = schema[key]
        if isinstance(value, bool) and bool not in types:
            raise ValueError(f"参数 `{key}` 的类型不对")
        if not isinstance(value, types):
            names = "、".join(t.__name__ for t in types)
            raise ValueError(f"参数 `{key}` 应为 {names}")
        allowed = (KINDS[kind].choices or {}).get(key)
        if allowed and value not in allowed:
            raise ValueError(f"参数 `{key}` 的值 `{value}` 无效（可选：{'、'.join(map(str, allowed))}）")


def param(kind: str, params: dict[str, Any], key: str) -> Any:
    """A parameter value, or the kind's default."""
    if key in params:
        return params[key]
    return get_kind(kind).params[key][1]


def _load() -> None:
    """Import the kind modules once (they register themselves)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    from checks.kinds import (  # noqa: F401
        after_trigger,
        annual_report,
        availability,
        cadence,
        freshness,
        links,
        metadata,
        presence,
        privacy,
    )
