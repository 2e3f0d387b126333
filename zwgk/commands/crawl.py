"""`zwgk crawl`: crawl configured sites (in worker processes, one per core) and print a summary per site."""

from __future__ import annotations

import argparse
import sys

from store.models import HOME_SECTION
from zwgk.cli import add_config_option

STATUS_ZH = {"ok": "成功", "partial": "部分失败", "failed": "失败", "timeout": "超时", "running": "进行中"}
OUTCOME_ZH = {
    "ok": "正常",
    "unchanged": "未变化",
    "empty": "空栏目",
    "blocked": "被反爬拦截",
    "timeout": "超时",
    "http_error": "HTTP 错误",
    "connection": "连接失败",
    "parse_error": "无法解析",
    "robots": "robots 禁止",
}


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("crawl", help="抓取网站栏目（每核一个抓取子进程，每个网站单独限时）")
    add_config_option(parser)
    parser.add_argument("--site", action="append", metavar="ID", help="只抓取这个网站（可重复）")
    parser.add_argument("--timeout", type=float, default=None, metavar="SECONDS", help="每个网站的超时（秒）")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from zwgk import pipeline
    from zwgk.app import open_app

    app = open_app(args.config)
    try:
        known = {s.id for s in app.config.sites}
        unknown = [s for s in args.site or [] if s not in known]
        if unknown:
            print(f"用法错误：未知网站 {'、'.join(unknown)}（可用：{'、'.join(sorted(known))}）", file=sys.stderr)
            return 2
        outcomes = pipeline.crawl(app, args.site, timeout=args.timeout)
    finally:
        app.close()
    for o in outcomes:
        print(render_outcome(o))
    return 0


def render_outcome(o) -> str:  # type: ignore[no-untyped-def]
    """One site's block: status line, then one line per section."""
    lines = [
        f"网站 {o.site_id}（第 {o.run_id} 次抓取）：{STATUS_ZH.get(o.status, o.status)}，用时 {o.elapsed_seconds:.1f} 秒"
    ]
    if o.status in ("failed", "timeout") and o.reason:
        lines.append(f"  原因：{o.reason}")
    lines.append(f"  {'栏目':<12}{'结果':<10}{'条目':>6}{'页数':>6}{'声明总数':>10}  说明")
    for s in o.sections:
        name = "首页" if s["section_id"] == HOME_SECTION else s["section_id"]
        declared = "" if s["declared_total"] is None else str(s["declared_total"])
        reason = (s["reason"] or "").replace("\n", " ")
        lines.append(
            f"  {name:<12}{OUTCOME_ZH.get(s['outcome'], s['outcome']):<10}{s['items_found']:>6}"
            f"{s['pages_fetched']:>6}{declared:>10}  {reason[:120]}"
        )
    return "\n".join(lines)
