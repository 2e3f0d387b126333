"""`zwgk report daily|weekly|department`: render reports into the reports directory and queue their mail."""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from zwgk.cli import add_config_option


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"`{value}` 不是日期（YYYY-MM-DD）") from None


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("report", help="生成日报、周报或部门问题清单（HTML、文本、XLSX），并放入发件箱")
    parser.add_argument("kind", choices=("daily", "weekly", "department"), help="daily 日报 | weekly 周报 | department 部门清单")
    parser.add_argument("--department", metavar="ID", help="只生成该部门的清单（默认：所有部门）")
    parser.add_argument("--as-of", type=_date, metavar="DATE", help="报告日期（默认：今天）")
    parser.add_argument("--send", action="store_true", help="生成后立即投递发件箱中到期的消息")
    add_config_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from zwgk import pipeline
    from zwgk.app import open_app

    app = open_app(args.config)
    try:
        if args.department and args.kind != "department":
            print("用法错误：--department 只能与 department 一起使用", file=sys.stderr)
            return 2
        if args.department and args.department not in {d.id for d in app.config.departments}:
            print(f"用法错误：未知部门 `{args.department}`", file=sys.stderr)
            return 2
        as_of = args.as_of or pipeline.today(app)
        paths = pipeline.report(app, args.kind, as_of, department_id=args.department)
        for path in paths:
            print(path)
        if args.send:
            from reports.delivery.outbox import describe

            print(describe(pipeline.deliver(app)))
        return 0
    finally:
        app.close()
