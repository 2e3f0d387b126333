"""`zwgk links check|list` and `zwgk probe`: link verdicts and home-page availability probes."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import sys
from collections.abc import Sequence

from zwgk.cli import add_config_option
from zwgk.textcols import clip as _clip
from zwgk.textcols import render_table

VERDICTS = ("ok", "suspect", "broken", "blocked", "unknown")
VERDICT_LABELS = {"ok": "正常", "suspect": "疑似", "broken": "失效", "blocked": "被拦截", "unknown": "未检查"}
IPV6_LABELS = {"none": "无 AAAA 记录", "reachable": "IPv6 可访问", "unreachable": "IPv6 不可达"}


def register(sub: argparse._SubParsersAction) -> None:
    links = sub.add_parser("links", help="检查链接可用性（失效 / 疑似 / 被拦截）")
    links_sub = links.add_subparsers(dest="links_command", metavar="ACTION", parser_class=type(links))
    check = links_sub.add_parser("check", help="检查已抓取页面上的全部链接")
    check.add_argument("--site", action="append", metavar="ID", help="只检查该网站（可重复）")
    add_config_option(check)
    check.set_defaults(func=run_check)
    listing = links_sub.add_parser("list", help="列出链接及其结论")
    listing.add_argument("--site", metavar="ID", help="只列出该网站的链接")
    listing.add_argument("--verdict", choices=VERDICTS, action="append", help="按结论筛选（可重复）")
    listing.add_argument("--format", choices=("table", "json", "csv"), default="table", help="输出格式")
    add_config_option(listing)
    listing.set_defaults(func=run_list)
    links.set_defaults(func=lambda args: _usage(links))

    probe = sub.add_parser("probe", help="探测各网站首页可访问性（15 秒，记录 IPv6）")
    probe.add_argument("--site", action="append", metavar="ID", help="只探测该网站（可重复）")
    add_config_option(probe)
    probe.set_defaults(func=run_probe)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _sites(app, requested: Sequence[str] | None) -> list[str] | None:  # type: ignore[no-untyped-def]
    """Requested site ids, or None when one is unknown (the error is printed)."""
    known = [s.id for s in app.config.sites]
    for site_id in requested or ():
        if site_id not in known:
            print(f"用法错误：未知网站 `{site_id}`（可用：{'、'.join(known)}）", file=sys.stderr)
            return None
    return list(requested) if requested else known


# --------------------------------------------------------------------------- links check


def run_check(args: argparse.Namespace) -> int:
    from crawler.linkcheck.classify import REASON_LABELS
    from crawler.linkcheck.queries import broken_links, verdict_counts
    from zwgk import pipeline
    from zwgk.app import open_app

    app = open_app(args.config)
    try:
        sites = _sites(app, args.site)
        if sites is None:
            return 2
        if not app.config.links.enabled:
            print("链接检查已关闭（links.enabled = false）")
            return 0
        stats = pipeline.check_links(app, sites)
        counts = verdict_counts(app.db, sites)
        print(
            f"链接检查完成：共 {stats.links_total} 个链接，本轮检查 {stats.checked} 个，"
            f"{app.config.links.cache_hours:g} 小时内已确认正常而跳过 {stats.cached} 个，"
            f"未检查（站外或非 HTTP）{stats.skipped} 个；请求 {stats.requests} 次，用时 {stats.elapsed_s:.1f} 秒"
        )
        print(
            f"  失效（已确认）{counts.get('broken', 0)} 个；疑似 {counts.get('suspect', 0)} 个（待复核）；"
            f"被拦截 {counts.get('blocked', 0)} 个；正常 {counts.get('ok', 0)} 个"
        )
        rows = [r for site in sites for r in broken_links(app.db, site)]
        if rows:
            print("失效链接（连续多次检查失败）：")
            for url, group in _group(rows).items():
                first = group[0]
                reason = REASON_LABELS.get(first.reason or "", first.reason or "")
                status = f" HTTP {first.http_status}" if first.http_status else ""
                print(f"  {url}  {reason}{status}（连续 {first.consecutive_failures} 轮失败）")
                for row in group:
                    where = "首页" if row.on_home_page else (row.section_id or "页面")
                    print(f"    所在页面：{row.source_url} [{where}]")
                for attempt in reversed(first.attempts):  # oldest first
                    print(f"    检查记录：{attempt_line(attempt, app.config.general.tz)}")
        return 1 if rows else 0
    finally:
        app.close()


def _group(rows):  # type: ignore[no-untyped-def]
    out: dict[str, list] = {}
    for row in rows:
        out.setdefault(row.url, []).append(row)
    return out


# --------------------------------------------------------------------------- links list


COLUMNS = (
    ("verdict", "结论"),
    ("reason", "原因"),
    ("http_status", "状态码"),
    ("consecutive_failures", "连续失败"),
    ("url", "链接"),
    ("source_url", "所在页面"),
    ("on_home_page", "首页"),
    ("kind", "类型"),
    ("site_id", "网站"),
    ("last_checked", "最近检查(UTC)"),
)


def run_list(args: argparse.Namespace) -> int:
    from crawler.linkcheck.queries import link_attempts, link_rows
    from zwgk.app import open_app

    app = open_app(args.config)
    try:
        if args.site and _sites(app, [args.site]) is None:
            return 2
        rows = link_rows(app.db, site_id=args.site, verdicts=args.verdict)
        records = [_record(r) for r in rows]
        if args.format == "json":  # the attempts behind every verdict that is not "ok"
            attempts = link_attempts(app.db, {r.link_id for r in rows if r.verdict != "ok"})
            for row, rec in zip(rows, records, strict=True):
                if row.verdict != "ok":
                    rec["attempts"] = [_attempt_record(a) for a in reversed(attempts.get(row.link_id, []))]
        if args.format == "json":
            print(json.dumps({"links": records}, ensure_ascii=False, indent=2))
        elif args.format == "csv":
            buf = io.StringIO()
            writer = csv.writer(buf)
            writer.writerow([label for _, label in COLUMNS])
            writer.writerows([[_cell(rec[key]) for key, _ in COLUMNS] for rec in records])
            sys.stdout.write(buf.getvalue())
        else:
            if not records:
                print("没有符合条件的链接")
                return 0
            table = [
                [
                    VERDICT_LABELS.get(rec["verdict"], rec["verdict"]),
                    rec["reason"] or "",
                    _cell(rec["http_status"]),
                    _clip(rec["url"], 70),
                    _clip(rec["source_url"], 50),
                ]
                for rec in records
            ]
            print(render_table(["结论", "原因", "状态码", "链接", "所在页面"], table))
        return 0
    finally:
        app.close()


def _record(row) -> dict:  # type: ignore[no-untyped-def]
    return {
        "verdict": row.verdict,
        "reason": row.reason,
        "http_status": row.http_status,
        "consecutive_failures": row.consecutive_failures,
        "url": row.url,
        "final_url": row.final_url,
        "source_url": row.source_url,
        "on_home_page": row.on_home_page,
        "kind": row.kind,
        "site_id": row.site_id,
        "section_id": row.section_id,
        "last_checked": _utc_iso(row.last_checked),
    }


def attempt_line(attempt, tz: dt.tzinfo) -> str:  # type: ignore[no-untyped-def]
    """One attempt for people: local time, method, HTTP status, reason, elapsed, detail."""
    from crawler.linkcheck.classify import REASON_LABELS

    when = attempt.checked_at.replace(tzinfo=dt.UTC).astimezone(tz).strftime("%Y-%m-%d %H:%M:%S %Z")
    reason = REASON_LABELS.get(attempt.reason, attempt.reason)
    status = f"HTTP {attempt.http_status}" if attempt.http_status else "无 HTTP 响应"
    if attempt.http_status and reason.startswith(str(attempt.http_status)):
        status = "HTTP"  # "HTTP 404 页面不存在", not "HTTP 404 404 页面不存在"
    elapsed = f"，{attempt.elapsed_ms} 毫秒" if attempt.elapsed_ms is not None else ""
    detail = f"（{attempt.detail}）" if attempt.detail else ""
    return f"{when} {attempt.method} {status} {reason}{elapsed}{detail}"


def _attempt_record(attempt) -> dict:  # type: ignore[no-untyped-def]
    return {
        "checked_at": _utc_iso(attempt.checked_at),
        "method": attempt.method,
        "http_status": attempt.http_status,
        "reason": attempt.reason,
        "final_url": attempt.final_url,
        "elapsed_ms": attempt.elapsed_ms,
        "detail": attempt.detail,
    }


def _utc_iso(value: dt.datetime | None) -> str | None:
    """A stored naive-UTC time as ISO 8601 with its offset (+00:00), as the other exports print times."""
    return value.replace(tzinfo=dt.UTC).isoformat(timespec="seconds") if value else None


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


# --------------------------------------------------------------------------- probe


def run_probe(args: argparse.Namespace) -> int:
    from crawler.linkcheck.classify import REASON_LABELS
    from crawler.linkcheck.queries import availability_ratio
    from store.models import utcnow
    from zwgk import pipeline
    from zwgk.app import open_app

    app = open_app(args.config)
    try:
        sites = _sites(app, args.site)
        if sites is None:
            return 2
        results = pipeline.probe_availability(app, sites)
        window = app.config.availability.window_days
        veto = app.config.availability.veto_ratio
        now = utcnow() + dt.timedelta(seconds=1)
        for r in results:
            state = "可访问" if r.ok else "不可访问"
            reason = "" if r.ok else f"（{REASON_LABELS.get(r.reason, r.reason)}）"
            status = f"HTTP {r.http_status}" if r.http_status else "无响应"
            print(
                f"{r.site_id}  {state}{reason}  {status}  {r.elapsed_ms} 毫秒  {IPV6_LABELS.get(r.ipv6, r.ipv6)}"
            )
            failures, total = availability_ratio(app.db, r.site_id, now, window_days=window)
            if total:
                ratio = failures / total
                mark = "，达到否决线" if ratio >= veto else ""
                print(
                    f"    近 {window} 天探测 {total} 次，失败 {failures} 次（{ratio:.1%}，否决线 {veto:.0%}{mark}）"
                )
        return 0
    finally:
        app.close()


# --------------------------------------------------------------------------- table helpers


