"""`zwgk validate`: check settings.toml and the rule packs without touching the database."""

from __future__ import annotations

import argparse

from zwgk.cli import add_config_option
from zwgk.config import load_config, redact_url


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("validate", help="检查配置文件（不访问数据库）")
    add_config_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    sections = config.all_sections()
    print(f"配置有效：{config.path}")
    print(f"  部门 {len(config.departments)} 个，网站 {len(config.sites)} 个，栏目 {len(sections)} 个")
    print(f"  数据库 {redact_url(config.database_url)}（{config.database_url_source}）")
    print(f"  规则包 {'、'.join(config.rules.packs)}")
    return 0
