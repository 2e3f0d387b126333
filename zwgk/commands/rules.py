"""`zwgk rules`: list the loaded rule packs and their indicators."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from zwgk.cli import add_config_option
from zwgk.exports import FORMATS, Column, binary_to_terminal, write_rows

RULE_COLUMNS = (
    Column("id", "指标编号"),
    Column("pack", "规则包"),
    Column("name", "指标名称"),
    Column("department", "责任单位"),
    Column("kind", "规则类型"),
    Column("applies_to", "适用范围"),
    Column("severity", "严重程度"),
    Column("points", "分值"),
    Column("params", "参数"),
    Column("basis", "依据"),
)
_APPLIES = {"bound": "绑定栏目", "sections": "所有栏目", "sites": "所有网站"}


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("rules", help="列出规则包和指标（编号、名称、责任单位、类型、依据）")
    add_config_option(parser)
    parser.add_argument("--pack", metavar="ID", help="只列出该规则包")
    parser.add_argument("--format", choices=FORMATS, default="table", help="输出格式（默认 table）")
    parser.add_argument("--out", type=Path, metavar="FILE", help="写入文件（默认：标准输出）")
    parser.set_defaults(func=run)


def rows(registry, pack: str | None = None) -> list[dict]:  # type: ignore[no-untyped-def]
    out = []
    for ind in registry.indicators.values():
        if pack and ind.pack != pack:
            continue
        row = {c.key: getattr(ind, c.key, None) for c in RULE_COLUMNS}
        if ind.categories:
            row["applies_to"] = f"{ind.applies_to}:{','.join(ind.categories)}"
        out.append(row)
    return out


def run(args: argparse.Namespace) -> int:
    from checks.packs import PackError, load_registry
    from zwgk.config import load_config

    if problem := binary_to_terminal(args.format, args.out):
        print(f"用法错误：{problem}", file=sys.stderr)
        return 2
    config = load_config(args.config)
    try:
        registry = load_registry(config)
    except PackError as exc:
        print(f"规则包错误：{exc}", file=sys.stderr)
        return 2
    if args.pack and args.pack not in registry.packs:
        print(f"用法错误：未加载规则包 `{args.pack}`（已加载：{'、'.join(registry.packs)}）", file=sys.stderr)
        return 2
    data = rows(registry, args.pack)
    if args.format == "table":
        for row in data:
            row["applies_to"] = _APPLIES.get(row["applies_to"], row["applies_to"])
            row["severity"] = {"veto": "单项否决", "deduct": "扣分", "info": "提示"}.get(row["severity"], "")
        columns = [c for c in RULE_COLUMNS if c.key not in ("params", "basis", "points", "pack")]
        write_rows(data, columns, "table", args.out)
        if args.out is None:
            packs = "、".join(f"{p['id']}（{p.get('name', '')}）" for p in registry.packs.values())
            print(f"\n规则包：{packs}；指标 {len(data)} 个")
        return 0
    packs = [{"id": p["id"], "name": p.get("name"), "source": p.get("source")} for p in registry.packs.values()
             if not args.pack or p["id"] == args.pack]
    write_rows(data, RULE_COLUMNS, args.format, args.out, document={"packs": packs, "indicators": data},
               title="指标")
    return 0
