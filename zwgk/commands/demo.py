"""`zwgk demo`: build the demo district for today, serve it on 127.0.0.1 and run the whole pipeline once.

Stages go through ``zwgk.pipeline``; a stage whose package is not importable yet is
reported as "跳过（尚未实现）" instead of crashing. Exit status: 0 when every stage ran
or was skipped (the planted problems are expected failures), 1 when a stage raised,
2 for configuration or port problems.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import logging
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from zwgk.cli import add_config_option
from zwgk.config import Config, load_config
from zwgk.textcols import display_width as _width
from zwgk.textcols import pad as _pad

log = logging.getLogger(__name__)

LOCAL_HOSTS = ("127.0.0.1", "localhost")
OWN_PACKAGES = ("crawler", "checks", "reports", "store", "zwgk", "scheduler")
STATUS_NAMES = {"pass": "通过", "fail": "不通过", "warn": "警告", "unknown": "无法判断"}
DEMO_DEPARTMENT = "mzj"  # 区民政局: the department report of the demo


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("demo", help="启动内置示范区网站并完整运行一次监测（采集→检查→报告→投递）")
    add_config_option(parser)
    parser.add_argument("--date", type=dt.date.fromisoformat, default=None, metavar="YYYY-MM-DD",
                        help="示范站点日期和检查日期（默认：配置时区的今天）")
    parser.add_argument("--serve", action="store_true", help="运行结束后继续提供示范网站，按 Ctrl-C 退出")
    parser.set_defaults(func=run)


# ----------------------------------------------------------------------------- helpers


def demo_address(config: Config) -> tuple[str, int]:
    """Host and port of the demo: the first site whose base_url is on 127.0.0.1."""
    for site in config.sites:
        parts = urlsplit(site.base_url)
        if parts.hostname in LOCAL_HOSTS:
            return "127.0.0.1", parts.port or 80
    raise ValueError("配置中没有指向 127.0.0.1 的网站，示范模式需要 base_url 形如 http://127.0.0.1:8765/")


def _is_missing_stage(exc: ImportError) -> bool:
    """True when the import error is about one of our own packages not being built yet."""
    name = exc.name or ""
    return name.split(".")[0] in OWN_PACKAGES


class _Stages:
    def __init__(self, out: Callable[[str], None]) -> None:
        self.out = out
        self.errors = 0
        self.index = 0

    def run(self, label: str, fn: Callable[[], Any], describe: Callable[[Any], str]) -> Any:
        self.index += 1
        started = time.monotonic()
        try:
            result = fn()
        except ImportError as exc:
            if not _is_missing_stage(exc):
                raise
            self.out(f"[{self.index}] {label}：跳过（尚未实现：{exc.name}）")
            return None
        except Exception as exc:  # noqa: BLE001 - one broken stage must not hide the others
            log.debug("stage %s failed", label, exc_info=True)
            self.errors += 1
            self.out(f"[{self.index}] {label}：出错 {type(exc).__name__}：{exc}")
            return None
        took = time.monotonic() - started
        self.out(f"[{self.index}] {label}：完成（{took:.1f} 秒）{describe(result)}")
        return result




def _get(obj: Any, name: str, default: Any = None) -> Any:
    return obj.get(name, default) if isinstance(obj, dict) else getattr(obj, name, default)


def _describe_crawl(outcomes: Any) -> str:
    parts = []
    for o in outcomes or []:
        sections = _get(o, "sections") or []
        by = Counter(str(_get(s, "outcome", "?")) for s in sections)
        detail = "，".join(f"{k} {v}" for k, v in sorted(by.items()))
        reason = _get(o, "reason")
        parts.append(f"{_get(o, 'site_id')} {_get(o, 'status')}" + (f"（栏目：{detail}）" if detail else "")
                     + (f" {reason}" if reason else ""))
    return "：" + "；".join(parts) if parts else ""


def _describe_links(stats: Any) -> str:
    if stats is None:
        return ""
    verdicts = _get(stats, "verdicts") or {}
    detail = "，".join(f"{k} {v}" for k, v in sorted(verdicts.items()))
    return f"：检查链接 {_get(stats, 'checked', 0)} 个" + (f"（{detail}）" if detail else "")


def _describe_findings(results: Any) -> str:
    by = Counter(_get(r, "status") for r in results or [])
    return "：" + "，".join(f"{STATUS_NAMES.get(k, k)} {v}" for k, v in by.items()) if by else "：无结果"


def _describe_paths(paths: Any) -> str:
    return f"：生成 {len(paths or [])} 个文件"


def _describe_delivery(stats: Any) -> str:
    if stats is None:
        return ""
    text = f"：发送 {_get(stats, 'sent', 0)} 封，写入 .eml {_get(stats, 'written', 0)} 封"
    failures = _get(stats, "failures") or []
    return text + (f"，失败 {len(failures)}" if failures else "")


def summary_lines(results: list[Any], config: Config) -> list[str]:
    """A short Chinese table: findings by status, then every failing finding with its evidence URL."""
    names = {s.id: s.name for s in config.all_sections()}
    deps = {d.id: d.name for d in config.departments}
    counts = Counter(_get(r, "status") for r in results)
    lines = ["检查结果汇总：", "  " + "  ".join(f"{STATUS_NAMES[k]} {counts.get(k, 0)}" for k in STATUS_NAMES)]
    failing = [r for r in results if _get(r, "status") == "fail"]
    if failing:
        rows = []
        for r in failing:
            evidence = _get(r, "evidence") or []
            url = _get(evidence[0], "url", "") if evidence else ""
            section = names.get(_get(r, "section") or "", _get(r, "section") or "（全站）")
            rows.append((deps.get(_get(r, "department") or "", "—"), section, _get(r, "rule") or "",
                         _get(r, "period") or "", (_get(r, "message") or "").replace("\n", " "), url))
        head = ("部门", "栏目", "指标", "期间")
        widths = [max(_width(h), *(_width(row[i]) for row in rows)) for i, h in enumerate(head)]
        lines.append("不通过的项目：")
        lines.append("  " + "  ".join(_pad(h, w) for h, w in zip(head, widths, strict=True)) + "  说明 / 证据")
        for row in rows:
            cells = "  ".join(_pad(c, w) for c, w in zip(row[:4], widths, strict=True))
            lines.append(f"  {cells}  {row[4]}")
            if row[5]:
                lines.append(f"  {' ' * sum(w + 2 for w in widths)}证据：{row[5]}")
    return lines


def _new_files(directory: Path, suffix: str, since: float) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.rglob(f"*{suffix}") if p.stat().st_mtime >= since)


# ----------------------------------------------------------------------------- the command


def demo_pace(config: Config) -> Config:
    """The demo site is our own server on 127.0.0.1: check its links at a local pace.

    settings.toml keeps the polite production values (people copy it for real
    sites); only the demo run overrides them, and says so in its output.
    """
    links = dataclasses.replace(
        config.links,
        per_host_rate=0.0 if config.links.per_host_rate <= 0 else max(config.links.per_host_rate, 200.0),
        per_host_concurrency=max(config.links.per_host_concurrency, 16),
        recheck_delay_seconds=min(config.links.recheck_delay_seconds, 1.0),
    )
    return dataclasses.replace(config, links=links)


def _describe_probes(results: Any) -> str:
    results = list(results or [])
    ok = sum(1 for r in results if _get(r, "ok"))
    return f"：探测首页 {len(results)} 个，可访问 {ok} 个"


def run(args: argparse.Namespace) -> int:
    from store.models import utcnow
    from zwgk import pipeline
    from zwgk.demo.server import PortInUseError, serve
    from zwgk.demo.site import build_site

    config = demo_pace(load_config(args.config))
    out = print
    try:
        host, port = demo_address(config)
    except ValueError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    today = args.date or dt.datetime.now(config.general.tz).date()
    started_wall = time.time()
    t0 = time.monotonic()
    site = build_site(today)
    try:
        server = serve(site, host=host, port=port)
    except PortInUseError as exc:
        print(f"错误：{exc.strerror}", file=sys.stderr)
        return 2
    out(f"示范区人民政府演示网站：{server.url}（站点日期 {today}，{len(site.pages)} 个页面，生成用时 "
        f"{time.monotonic() - t0:.1f} 秒）")
    stages = _Stages(out)
    try:
        from zwgk.app import open_app

        app = open_app(args.config, config=config)
        try:
            stages.run("采集", lambda: pipeline.crawl(app), _describe_crawl)
            stages.run("可用性探测", lambda: pipeline.probe_availability(app), _describe_probes)
            stages.run("链接检查", lambda: pipeline.check_links(app), _describe_links)
            # Judged as of the site's date with the crawl just made: it counts even if it ran past
            # midnight or the site's date (--date) is a past day.
            results = stages.run("合规检查", lambda: pipeline.check(app, today, evidence_until=utcnow()),
                                 _describe_findings) or []
            reports: list[Path] = []
            got = stages.run("日报", lambda: pipeline.report(app, "daily", today), _describe_paths)
            reports += list(got or [])
            dep = DEMO_DEPARTMENT if any(d.id == DEMO_DEPARTMENT for d in config.departments) else None
            got = stages.run(f"部门报告（{config.department(dep).name if dep else '全部部门'}）",
                             lambda: pipeline.report(app, "department", today, department_id=dep), _describe_paths)
            reports += list(got or [])
            stages.run("投递", lambda: pipeline.deliver(app), _describe_delivery)
        finally:
            app.close()
        out("")
        for line in summary_lines(list(results), config):
            out(line)
        html = [Path(p) for p in reports if str(p).endswith(".html")]
        if html:
            out("HTML 报告：")
            for p in html:
                out(f"  {p}")
        emls = _new_files(config.outbox_dir, ".eml", started_wall - 1)
        if emls:
            out(f"邮件（.eml，位于 {config.outbox_dir}）：")
            for p in emls:
                out(f"  {p}")
        out(f"总用时 {time.monotonic() - t0:.1f} 秒。")
        if args.serve:
            out(f"示范网站继续运行于 {server.url}，按 Ctrl-C 退出。")
            with contextlib.suppress(KeyboardInterrupt):
                server.thread.join()
    finally:
        server.stop()
    return 1 if stages.errors else 0
