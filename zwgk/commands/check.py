"""`zwgk check`: judge the stored snapshots as of a date and print the findings.

Exit status: 0 no failing finding, 1 at least one fail, 2 usage or configuration error.
Only a check for today updates the findings lifecycle; a past ``--as-of`` prints the status
on that day without recording it (the stored history is not rewritten).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from zwgk.cli import add_config_option
from zwgk.exports import FORMATS, binary_to_terminal, exit_code, write_findings


def parse_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"`{value}` 不是有效日期（应为 YYYY-MM-DD，例如 2026-03-01）") from None


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("check", help="按指标检查已抓取的栏目，输出检查结果")
    add_config_option(parser)
    parser.add_argument("--site", metavar="ID", help="只检查该网站")
    parser.add_argument("--section", metavar="ID", help="只检查该栏目（可与 --site 同用）")
    parser.add_argument("--as-of", type=parse_date, metavar="YYYY-MM-DD", help="按该日已保存的数据判断（默认：今天）")
    parser.add_argument("--format", choices=FORMATS, default="table", help="输出格式（默认 table）")
    parser.add_argument("--out", type=Path, metavar="FILE", help="写入文件（默认：标准输出）")
    parser.add_argument("--all", action="store_true", help="表格中也列出通过的结果（JSON/CSV/XLSX 总是全部列出）")
    parser.set_defaults(func=run)


def _usage(message: str) -> int:
    print(f"用法错误：{message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    from checks.packs import PackError
    from zwgk import pipeline
    from zwgk.app import open_app
    from zwgk.config import load_config

    if problem := binary_to_terminal(args.format, args.out):
        return _usage(problem)
    config = load_config(args.config)
    if args.site and args.site not in {s.id for s in config.sites}:
        return _usage(f"未知网站 `{args.site}`")
    if args.section:
        owners = [s for s in config.sites if any(sec.id == args.section for sec in s.sections)]
        if args.site:
            owners = [s for s in owners if s.id == args.site]
        if not owners:
            return _usage(f"未知栏目 `{args.section}`")
        if len(owners) > 1:
            return _usage(f"栏目 `{args.section}` 在多个网站中存在，请用 --site 指定网站")
        args.site = owners[0].id
    app = open_app(args.config, config=config)
    try:
        today = pipeline.today(app)
        as_of = args.as_of or today
        if as_of > today:
            return _usage(f"--as-of {as_of} 晚于今天（{today}）")
        try:
            results = pipeline.check(app, as_of, site_id=args.site, section_id=args.section, record=as_of == today)
        except PackError as exc:
            print(f"规则包错误：{exc}", file=sys.stderr)
            return 2
        shown = results if (args.all or args.format != "table") else [r for r in results if r.status != "pass"]
        if as_of == today:
            shown = _with_ids(app, shown)
        write_findings(shown, args.format, args.out, as_of=as_of, tz=app.config.general.tz)
        if args.format == "table" and args.out is None:
            counts = {s: sum(1 for r in results if r.status == s) for s in ("fail", "warn", "unknown", "pass")}
            print(f"\n{as_of} 共 {len(results)} 项：不合格 {counts['fail']}，预警 {counts['warn']}，"
                  f"无法判断 {counts['unknown']}，合格 {counts['pass']}"
                  + ("" if as_of == today else "（历史日期，结果未记录）"))
        return exit_code(results)
    finally:
        app.close()


def _with_ids(app, results: list) -> list:  # type: ignore[no-untyped-def]
    """Today's results carry the id of the finding they were recorded as (for `zwgk evidence ID`).

    A pass with no earlier finding is not stored and keeps no id.
    """
    from store.bundle import finding_ids_by_key
    from zwgk.exports import finding_record

    with app.db.session() as session:
        ids = finding_ids_by_key(session, [r.key for r in results])
    return [{**finding_record(r), "id": ids.get(r.key)} for r in results]
