"""`zwgk items`: list the stored items of one section (title, URL, date and where it came from)."""

from __future__ import annotations

import argparse
import json

from zwgk.cli import add_config_option


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("items", help="列出某栏目已抓取的条目")
    add_config_option(parser)
    parser.add_argument("--site", required=True, metavar="ID")
    parser.add_argument("--section", required=True, metavar="ID")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.add_argument("--all", action="store_true", help="包括已从列表消失的条目")
    parser.set_defaults(func=run)


def _ts(value) -> str | None:  # type: ignore[no-untyped-def]
    return value.isoformat(sep=" ", timespec="seconds") if value else None


def run(args: argparse.Namespace) -> int:
    from crawler.items import section_items
    from zwgk.app import open_app

    app = open_app(args.config)
    try:
        try:
            app.config.section(args.site, args.section)
        except KeyError:
            print(f"未知栏目：{args.site}/{args.section}")
            return 2
        rows = section_items(app.db, args.site, args.section, include_gone=args.all)
    finally:
        app.close()
    data = [
        {
            "title": r.title,
            "url": r.url,
            "published": r.published.isoformat() if r.published else None,
            "date_source": r.date_source,
            "list_date": r.list_date.isoformat() if r.list_date else None,
            "first_seen": _ts(r.first_seen),
            "last_seen": _ts(r.last_seen),
            "gone_at": _ts(r.gone_at),
        }
        for r in rows
    ]
    if args.format == "json":
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    if not data:
        print(f"栏目 {args.site}/{args.section} 还没有抓取到条目")
        return 0
    print(f"{'发布日期':<12}{'来源':<6}{'首次发现':<21}{'最近发现':<21}标题 / URL")
    for d in data:
        gone = "（已消失）" if d["gone_at"] else ""
        print(f"{d['published'] or '—':<14}{d['date_source']:<8}{d['first_seen'] or '':<21}"
              f"{d['last_seen'] or '':<21}{d['title']}{gone}")
        print(f"{'':<64}{d['url']}")
    print(f"共 {len(data)} 条")
    return 0
