"""`zwgk findings`: the stored findings with their lifecycle (first detected, resolved, reopened)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from zwgk.cli import add_config_option
from zwgk.exports import (
    FINDING_COLUMNS,
    FORMATS,
    Column,
    binary_to_terminal,
    capture_time,
    finding_row,
    write_rows,
)

LIFECYCLE_COLUMNS: tuple[Column, ...] = (
    *[c for c in FINDING_COLUMNS if c.key not in ("captured_at",)],
    Column("first_detected", "首次发现"),
    Column("last_confirmed", "最近确认"),
    Column("resolved_at", "整改时间"),
    Column("reopened_count", "复发次数"),
    Column("last_as_of", "最近检查日"),
)
TABLE_KEYS = ("id", "rule", "site", "section", "department", "status", "period", "due", "message",
              "first_detected", "resolved_at", "reopened_count")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("findings", help="列出已记录的检查问题及其状态变化（首次发现、整改、复发）")
    add_config_option(parser)
    parser.add_argument("--status", choices=("open", "resolved", "all"), default="open",
                        help="open 未整改（默认）| resolved 已整改 | all 全部")
    parser.add_argument("--department", metavar="ID", help="只列出该部门的问题")
    parser.add_argument("--site", metavar="ID", help="只列出该网站的问题")
    parser.add_argument("--rule", metavar="ID", help="只列出该指标的问题")
    parser.add_argument("--format", choices=FORMATS, default="table", help="输出格式（默认 table）")
    parser.add_argument("--out", type=Path, metavar="FILE", help="写入文件（默认：标准输出）")
    parser.set_defaults(func=run)


def lifecycle_row(finding: Any, tz: dt.tzinfo | None = None) -> dict[str, Any]:
    """A stored finding with its lifecycle; times (stored as naive UTC) in ``tz`` with their offset."""
    row = finding_row(finding, tz)
    for key in ("first_detected", "last_confirmed", "resolved_at", "last_as_of"):
        value = getattr(finding, key, None)
        row[key] = capture_time(value, tz) if isinstance(value, dt.datetime) else value
    row["reopened_count"] = finding.reopened_count
    return row


def run(args: argparse.Namespace) -> int:
    from checks.queries import stored_findings
    from zwgk.app import open_app
    from zwgk.config import load_config

    if problem := binary_to_terminal(args.format, args.out):
        print(f"用法错误：{problem}", file=sys.stderr)
        return 2
    config = load_config(args.config)
    if args.department and args.department not in {d.id for d in config.departments}:
        print(f"用法错误：未知部门 `{args.department}`", file=sys.stderr)
        return 2
    app = open_app(args.config, config=config)
    try:
        with app.db.session() as session:
            found = stored_findings(session, status=args.status, department=args.department, site=args.site,
                                    rule=args.rule)
            rows = [lifecycle_row(f, config.general.tz) for f in found]
        if args.format == "table":
            columns = [c for c in LIFECYCLE_COLUMNS if c.key in TABLE_KEYS]
            write_rows(rows, columns, "table", args.out)
            if args.out is None:
                print(f"\n共 {len(rows)} 条（{ {'open': '未整改', 'resolved': '已整改', 'all': '全部'}[args.status]}）")
            return 0
        write_rows(rows, LIFECYCLE_COLUMNS, args.format, args.out,
                   document={"status": args.status, "department": args.department, "findings": rows},
                   title="问题清单")
        return 0
    finally:
        app.close()
