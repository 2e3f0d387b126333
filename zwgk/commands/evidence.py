"""`zwgk evidence`: write (or verify) an evidence bundle for findings.

zwgk evidence FINDING_ID [FINDING_ID ...] --out DIR
zwgk evidence --report daily|weekly --as-of DATE [--department ID] --out DIR
zwgk evidence --verify DIR        exit 0 intact, 1 a record changed (named), 2 usage error
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from zwgk.cli import add_config_option


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"`{value}` 不是日期（YYYY-MM-DD）") from None


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("evidence", help="导出问题的证据包（原始 WARC 记录、清单、摘要），或核验证据包")
    parser.add_argument(
        "finding_ids", nargs="*", type=int, metavar="FINDING_ID", help="问题编号（见 zwgk findings）"
    )
    parser.add_argument("--report", choices=("daily", "weekly"), help="导出该通报中全部不合格问题的证据")
    parser.add_argument("--as-of", type=_date, metavar="DATE", help="通报日期（默认：今天）")
    parser.add_argument("--department", metavar="ID", help="只导出该部门的问题")
    parser.add_argument("--out", type=Path, metavar="DIR", help="证据包输出目录（须为空或不存在）")
    parser.add_argument("--verify", type=Path, metavar="DIR", help="核验证据包：重新计算每条记录的 SHA-256")
    add_config_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.verify:
        if args.finding_ids or args.report or args.out:
            print("用法错误：--verify 不能与问题编号、--report 或 --out 同时使用", file=sys.stderr)
            return 2
        return verify(args.verify)
    if not args.out:
        print("用法错误：请用 --out 指定证据包输出目录", file=sys.stderr)
        return 2
    if bool(args.finding_ids) == bool(args.report):
        print("用法错误：请给出问题编号，或使用 --report daily|weekly（二者选一）", file=sys.stderr)
        return 2
    return export(args)


def verify(path: Path) -> int:
    from store.bundle import verify_bundle

    if not path.is_dir():
        print(f"用法错误：{path} 不是目录", file=sys.stderr)
        return 2
    result = verify_bundle(path)
    if result.ok:
        print(f"证据包完好：{result.checked} 条记录的 SHA-256 与清单一致")
        return 0
    for problem in result.problems:
        print(f"核验失败：{problem}")
    return 1


def export(args: argparse.Namespace) -> int:
    from checks.packs import load_registry
    from store.bundle import BundleError, RuleInfo, failing_findings, findings_by_ids, write_bundle
    from zwgk import pipeline
    from zwgk.app import open_app
    from zwgk.exports import finding_record

    app = open_app(args.config)
    try:
        config = app.config
        if args.department and args.department not in {d.id for d in config.departments}:
            print(f"用法错误：未知部门 `{args.department}`", file=sys.stderr)
            return 2
        with app.db.session() as session:
            if args.report:
                as_of = args.as_of or pipeline.today(app)
                rows = failing_findings(session, as_of, config.general.tz, args.department)
                title = f"证据包：{'日报' if args.report == 'daily' else '周报'}不合格问题（{as_of:%Y年%m月%d日}）"
            else:
                rows = findings_by_ids(session, args.finding_ids)
                unknown = sorted(set(args.finding_ids) - {f.id for f in rows})
                if unknown:
                    print(f"未找到问题编号：{', '.join(map(str, unknown))}", file=sys.stderr)
                    return 2
                if args.department:
                    rows = [f for f in rows if f.department_id == args.department]
                title = "证据包：问题 " + "、".join(f"#{f.id}" for f in rows)
            records = [finding_record(f) for f in rows]
        indicators = load_registry(config).indicators
        rules = {i.id: RuleInfo(i.name, i.basis) for i in indicators.values()}
        try:
            result = write_bundle(config.evidence_dir, records, args.out, rules=rules, title=title)
        except BundleError as exc:
            print(f"用法错误：{exc}", file=sys.stderr)
            return 2
        print(f"证据包已写入 {result.path}：问题 {result.findings} 项，原始记录 {result.records} 条")
        if result.missing:
            print(f"注意：{result.missing} 处证据没有可用的原始记录（详见 manifest.json 的 missing）")
        return 0
    finally:
        app.close()
