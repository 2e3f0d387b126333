"""`zwgk` command line: one sub-command per module in zwgk/commands/.

Exit status: 0 no failing finding, 1 at least one failing finding, 2 usage or
configuration error. Messages for people are in Chinese.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import re
import sys

from zwgk.config import ConfigError

# Each module defines `register(subparsers)` and sets `func(args) -> int` on its parser.
COMMAND_MODULES = (
    "zwgk.commands.demo",
    "zwgk.commands.crawl",
    "zwgk.commands.crawl_worker",
    "zwgk.commands.check",
    "zwgk.commands.items",
    "zwgk.commands.report",
    "zwgk.commands.schedule",
    "zwgk.commands.status",
    "zwgk.commands.links",
    "zwgk.commands.audit",
    "zwgk.commands.evidence",
    "zwgk.commands.findings",
    "zwgk.commands.rules",
    "zwgk.commands.outbox",
    "zwgk.commands.validate",
)

DEFAULT_CONFIG = "settings.toml"


# argparse's own messages, in Chinese (Python 3.11 wording).
_ARGPARSE_ZH = (
    (re.compile(r"^argument (?P<a>.+?): invalid choice: (?P<v>.+?) \(choose from (?P<c>.+)\)$"),
     "参数 {a}：无效的取值 {v}（可选：{c}）"),
    (re.compile(r"^the following arguments are required: (?P<a>.+)$"), "缺少必需的参数：{a}"),
    (re.compile(r"^unrecognized arguments: (?P<a>.+)$"), "无法识别的参数：{a}"),
    (re.compile(r"^argument (?P<a>.+?): expected one argument$"), "参数 {a} 需要一个值"),
    (re.compile(r"^argument (?P<a>.+?): expected at least one argument$"), "参数 {a} 至少需要一个值"),
    (re.compile(r"^argument (?P<a>.+?): not allowed with argument (?P<b>.+)$"), "参数 {a} 不能与 {b} 同时使用"),
    (re.compile(r"^argument (?P<a>.+?): invalid (?P<t>\w+) value: (?P<v>.+)$"), "参数 {a}：无效的值 {v}"),
    (re.compile(r"^ambiguous option: (?P<a>.+?) could match (?P<m>.+)$"), "选项 {a} 有歧义，可能是：{m}"),
    (re.compile(r"^argument (?P<a>.+?): (?P<m>.*[^\x00-\x7f].*)$"), "参数 {a}：{m}"),  # our own Chinese text
)


def translate_argparse(message: str) -> str:
    """argparse's English error message in Chinese (unknown wordings are kept as they are)."""
    for pattern, template in _ARGPARSE_ZH:
        match = pattern.match(message)
        if match:
            return template.format(**match.groupdict())
    return message


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"用法错误：{translate_argparse(message)}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="zwgk", description="zwgk-monitor 政务公开定时公开监测")
    parser.add_argument("-v", "--verbose", action="store_true", help="输出调试日志")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue  # command not built yet
            raise
        module.register(sub)
    return parser


def add_config_option(parser: argparse.ArgumentParser) -> None:
    """The shared --config option of every command."""
    parser.add_argument("--config", default=DEFAULT_CONFIG, metavar="PATH", help="配置文件（默认 settings.toml）")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(exc.render(), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`zwgk items … | head`): stop quietly, like other command-line tools.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
