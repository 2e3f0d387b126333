"""Rule packs: indicators as data (TOML files), validated on load.

A pack file has a ``[pack]`` table (id, name, source) and ``[[indicators]]``
(id, name, department, kind, params, basis, severity, points, applies_to, categories).
``applies_to`` says where the engine runs an indicator: ``bound`` (default: sections whose
``indicator`` names it), ``sections`` (every configured section, or only those whose
``category`` is in ``categories``) or ``sites`` (every configured site). Parameters are
checked against the kind's schema (``checks.kinds``); unknown keys are errors. The
``generic`` pack is always loaded (ad-hoc audits use ``generic.weekly`` etc.). A district
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
    applies_to: str = "bound"  # bound | sections | sites
    categories: tuple[str, ...] = ()  # with applies_to = "sections": only these section categories


@dataclass
class Registry:
    packs: dict[str, dict[str, Any]] = field(default_factory=dict)
    indicators: dict[str, Indicator] = field(default_factory=dict)


_INDICATOR_KEYS = {"id", "name", "kind", "department", "params", "basis", "severity", "points", "applies_to",
                   "categories"}
_PACK_KEYS = {"id", "name", "source"}
_SEVERITIES = ("veto", "deduct", "info")
_APPLIES = ("bound", "sections", "sites")
ALWAYS_LOADED = ("generic",)


def _check_indicator(path: Path, i: int, raw: dict[str, Any]) -> dict[str, Any]:
    """Validate one indicator table; returns the keyword arguments of ``Indicator``."""
    from checks.kinds import get_kind, validate_params

    where = f"规则包 {path} 第 {i + 1} 个指标（{raw.get('id', '?')}）"
    if raw.get("severity", "deduct") not in _SEVERITIES:
        raise PackError(f"{where}：severity 应为 {'、'.join(_SEVERITIES)} 之一")
    if raw.get("applies_to", "bound") not in _APPLIES:
        raise PackError(f"{where}：applies_to 应为 {'、'.join(_APPLIES)} 之一")
    points = raw.get("points", 1.0)
    if isinstance(points, bool) or not isinstance(points, int | float) or points < 0:
        raise PackError(f"{where}：points 应为非负数")
    params = raw.get("params", {})
    if not isinstance(params, dict):
        raise PackError(f"{where}：params 应为表")
    categories = raw.get("categories", [])
    if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
        raise PackError(f"{where}：categories 应为字符串数组")
    try:
        validate_params(raw["kind"], params)
    except ValueError as exc:
        raise PackError(f"{where}：{exc}") from None
    scope = "site" if raw.get("applies_to") == "sites" else "section"
    if scope not in get_kind(raw["kind"]).scopes:
        raise PackError(f"{where}：规则类型 `{raw['kind']}` 不能用于 applies_to = {raw.get('applies_to', 'bound')}")
    return {**raw, "params": dict(params), "categories": tuple(categories), "points": float(points)}


def load_pack_file(path: Path, registry: Registry) -> None:
    """Load one pack file into the registry."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PackError(f"规则包 {path} 无法读取：{exc}") from None
    pack = data.get("pack")
    if not isinstance(pack, dict) or "id" not in pack:
        raise PackError(f"规则包 {path} 缺少 [pack] id")
    unknown_pack = set(pack) - _PACK_KEYS
    if unknown_pack:
        raise PackError(f"规则包 {path} 的 [pack] 含未知键：{', '.join(sorted(unknown_pack))}")
    unknown_top = set(data) - {"pack", "indicators"}
    if unknown_top:
        raise PackError(f"规则包 {path} 含未知的表：{', '.join(sorted(unknown_top))}")
    pack_id = pack["id"]
    if pack_id in registry.packs:
        raise PackError(f"规则包 id `{pack_id}` 重复（{path}）")
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
        registry.indicators[ident] = Indicator(pack=pack_id, **_check_indicator(path, i, raw))


def load_registry(config: Config | None = None) -> Registry:
    """Load the configured built-in packs, extra pack files and parameter overrides."""
    registry = Registry()
    names = config.rules.packs if config else tuple(p.stem for p in sorted(BUILTIN_DIR.glob("*.toml")))
    names = tuple(names) + tuple(n for n in ALWAYS_LOADED if n not in names)
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
            try:
                from checks.kinds import validate_params

                validate_params(indicator.kind, params)
            except ValueError as exc:
                raise PackError(f"参数覆盖 `{dotted}`：{exc}", key=f"rules.params.{dotted}") from None
            registry.indicators[ident] = Indicator(**{**indicator.__dict__, "params": params})
    return registry
