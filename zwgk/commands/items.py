"""`zwgk items`: list the stored items of one section (title, URL, date and where it came from)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

from zwgk.cli import add_config_option
from zwgk.textcols import render_table


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("items", help="列出某栏目已抓取的条目")
    add_config_option(parser)
    parser.add_argument("--site", required=True, metavar="ID")
    parser.add_argument("--section", required=True, metavar="ID")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.add_argument("--all", action="store_true", help="包括已从列表消失的条目")
    parser.set_defaults(func=run)


def _local(value: dt.datetime | None, tz: dt.tzinfo) -> dt.datetime | None:
    """A stored naive-UTC time in the configured timezone (people and auditors read local time)."""
    return value.replace(tzinfo=dt.UTC).astimezone(tz).replace(microsecond=0) if value else None


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _short(value: dt.datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value else ""


SOURCE_LABELS = {"meta": "meta", "page": "正文", "xxgk": "信息公开表", "list": "列表", "url": "网址", "none": "无"}


def run(args: argparse.Namespace) -> int:
    from crawler.items import latest_section_crawl, section_items
    from zwgk.app import open_app

    app = open_app(args.config)
    try:
        try:
            app.config.section(args.site, args.section)
        except KeyError:
            print(f"未知栏目：{args.site}/{args.section}（见 settings.toml 的 [[sites.sections]]）", file=sys.stderr)
            return 2
        tz = app.config.general.tz
        rows = section_items(app.db, args.site, args.section, include_gone=args.all)
        crawl = latest_section_crawl(app.db, args.site, args.section)
    finally:
        app.close()
    if args.format == "json":
        data = [
            {
                "title": r.title,
                "url": r.url,
                "published": r.published.isoformat() if r.published else None,
                "date_source": r.date_source,
                "list_date": r.list_date.isoformat() if r.list_date else None,
                "first_seen": _iso(_local(r.first_seen, tz)),
                "last_seen": _iso(_local(r.last_seen, tz)),
                "gone_at": _iso(_local(r.gone_at, tz)),
            }
            for r in rows
        ]
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print(f"栏目 {args.site}/{args.section} 还没有抓取到条目")
        if crawl is not None:
            print(_crawl_line(crawl, tz))
        return 0
    table = []
    for r in rows:
        gone = f"（{_short(_local(r.gone_at, tz))} 已从列表消失）" if r.gone_at else ""
        table.append([r.published.isoformat() if r.published else "—",
                      SOURCE_LABELS.get(r.date_source, r.date_source or ""),
                      _short(_local(r.first_seen, tz)), _short(_local(r.last_seen, tz)), f"{r.title}{gone}"])
        table.append(["", "", "", "", r.url])
    print(render_table(["发布日期", "日期来源", "首次发现", "最近发现", "标题 / 网址"], table))
    print(f"共 {len(rows)} 条（时间为 {app.config.general.timezone}）")
    if crawl is not None:
        print(_crawl_line(crawl, tz))
    return 0


def _crawl_line(crawl, tz: dt.tzinfo) -> str:  # type: ignore[no-untyped-def]
    """What the newest crawl could read of the list, beside the total the list declares."""
    from zwgk.commands.crawl import OUTCOME_ZH

    label = OUTCOME_ZH.get(crawl.outcome, crawl.outcome)
    line = f"最近一次抓取：{_short(_local(crawl.captured_at, tz))}，"
    if crawl.outcome not in ("ok", "unchanged", "empty"):
        reason = crawl.reason or "原因未记录"
        return line + (reason if reason.startswith(label) else f"{label}：{reason}") + "，本栏目暂无法判断"
    line += f"{label}；读取列表 {crawl.pages_fetched} 页、{crawl.items_found} 条"
    if crawl.declared_total is not None:
        line += f"，列表声明共 {crawl.declared_total} 条"
    if crawl.reached_horizon:
        line += "，已读到监测时间范围为止"
    if crawl.reason:
        line += f"（{crawl.reason}）"
    return line
