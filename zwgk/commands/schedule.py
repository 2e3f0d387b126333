"""`zwgk schedule`: run the scheduler daemon (crawl, checks, reports, delivery) until stopped."""

from __future__ import annotations

import argparse
import logging

from zwgk.cli import add_config_option


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("schedule", help="运行定时调度（抓取、检查、报告、投递），直到收到 SIGTERM/Ctrl-C")
    add_config_option(parser)
    parser.add_argument(
        "--max-runtime", type=float, default=None, metavar="SECONDS", help="运行指定秒数后自动停止（用于测试）"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import scheduler

    if not args.verbose:
        logging.getLogger("zwgk.scheduler").setLevel(logging.INFO)
    return scheduler.main(args.config, max_runtime=args.max_runtime)
