"""Rule packs: indicators as data (TOML files), validated on load.

A pack file has a ``[pack]`` table (id, name, source) and ``[[indicators]]``
(id, name, department, kind, params, basis, severity, category). A district
adds its own pack via ``rules.pack_files`` or overrides parameters through
``[rules.params]`` (``"<indicator id>.<param>" = value``) without touching code.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zwgk.config import Config

BUILTIN_DIR = Path(__file__).parent / "rulepacks"


class PackError(Exception):
    """A rule pack could not be loaded; ``key`` names the settings key to blame."""

    def __init__(self, message: str, key: str = "rules") -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True)
class Indicator:
    id: str
    pack: str
    name: str
    kind: str
    department: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    basis: str = ""
    severity: str = "deduct"  # veto | deduct | info
    points: float = 1.0


@dataclass
class Registry:
    packs: dict[str, dict[str, Any]] = field(default_factory=dict)
    indicators: dict[str, Indicator] = field(default_factory=dict)


_INDICATOR_KEYS = {"id", "name", "kind", "department", "params", "basis", "severity", "points"}


def load_pack_file(path: Path, registry: Registry) -> None:
    """Load one pack file into the registry."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PackError(f"规则包 {path} 无法读取：{exc}") from None
    pack = data.get("pack")
    if not isinstance(pack, dict) or "id" not in pack:
        raise PackError(f"规则包 {path} 缺少 [pack] id")
    pack_id = pack["id"]
    registry.packs[pack_id] = pack
    for i, raw in enumerate(data.get("indicators", [])):
        unknown = set(raw) - _INDICATOR_KEYS
        if unknown:
            raise PackError(f"规则包 {path} 第 {i + 1} 个指标含未知键：{', '.join(sorted(unknown))}")
        for required in ("id", "name", "kind"):
            if required not in raw:
                raise PackError(f"规则包 {path} 第 {i + 1} 个指标缺少 `{required}`")
        ident = raw["id"]
        if ident in registry.indicators:
            raise PackError(f"规则包 {path}：指标 id `{ident}` 重复")
        registry.indicators[ident] = Indicator(pack=pack_id, **raw)


def load_registry(config: Config | None = None) -> Registry:
    """Load the configured built-in packs, extra pack files and parameter overrides."""
    registry = Registry()
    names = config.rules.packs if config else tuple(p.stem for p in sorted(BUILTIN_DIR.glob("*.toml")))
    for name in names:
        path = BUILTIN_DIR / f"{name}.toml"
        if not path.exists():
            raise PackError(f"未知的内置规则包 `{name}`", key="rules.packs")
        load_pack_file(path, registry)
    if config:
        for extra in config.rules.pack_files:
            load_pack_file(config.resolve(extra), registry)
        for dotted, value in config.rules.params.items():
            ident, _, param = str(dotted).rpartition(".")
            if ident not in registry.indicators:
                raise PackError(f"参数覆盖 `{dotted}` 指向未知指标 `{ident}`", key=f"rules.params.{dotted}")
            indicator = registry.indicators[ident]
            params = dict(indicator.params)
            params[param] = value
            registry.indicators[ident] = Indicator(**{**indicator.__dict__, "params": params})
    return registry
