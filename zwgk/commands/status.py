"""`zwgk status`: the scheduler's lock, each job's last run and next due time, recent crawls, outbox."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import TYPE_CHECKING

from zwgk.cli import add_config_option
from zwgk.textcols import clip as _clip
from zwgk.textcols import render_table

if TYPE_CHECKING:
    from store.models import JobRun

STATUS_LABELS = {"ok": "成功", "failed": "失败", "running": "运行中"}
CRAWL_LABELS = {
    "ok": "成功",
    "partial": "部分成功",
    "failed": "失败",
    "timeout": "超时",
    "running": "运行中",
}
OUTBOX_LABELS = {"pending": "待发送", "sent": "已发送", "failed": "发送失败"}


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("status", help="查看调度状态：各任务最近运行、下次计划、调度锁、抓取记录、发件箱")
    add_config_option(parser)
    parser.set_defaults(func=run)


# --------------------------------------------------------------------------- table rendering




# --------------------------------------------------------------------------- the command


def _local(naive_utc: dt.datetime | None, tz: dt.tzinfo) -> str:
    if naive_utc is None:
        return "—"
    return naive_utc.replace(tzinfo=dt.UTC).astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")


def _duration(start: dt.datetime, end: dt.datetime | None) -> str:
    if end is None:
        return "—"
    seconds = (end - start).total_seconds()
    return f"{seconds:.1f}秒" if seconds < 120 else f"{seconds / 60:.1f}分钟"


def run(args: argparse.Namespace) -> int:
    import scheduler
    from store import jobs as jobstore
    from zwgk.app import open_app

    app = open_app(args.config)
    try:
        config, db = app.config, app.db
        tz = config.general.tz
        now = dt.datetime.now(tz)
        stale_after = dt.timedelta(seconds=scheduler.HEARTBEAT_SECONDS * scheduler.STALE_HEARTBEATS)

        lease = jobstore.lock_info(db, scheduler.LOCK_NAME)
        if lease is None:
            print("调度锁：无（调度器未运行）")
        else:
            beat = lease.heartbeat_at.replace(tzinfo=dt.UTC)
            state = "有效" if now - beat <= stale_after else "已过期（心跳超时，可被接管）"
            print(
                f"调度锁：{lease.holder}，获得于 {_local(lease.acquired_at, tz)}，"
                f"最近心跳 {_local(lease.heartbeat_at, tz)}（{state}）"
            )

        specs = scheduler.build_specs(config)
        last = jobstore.last_runs(db)
        rows: list[list[str]] = []
        shown: set[str] = set()
        for spec in specs:
            last_ok = jobstore.last_success(db, spec.id)
            head = last.get(spec.id)
            nxt = scheduler.next_fire_time(
                spec.trigger, now, head.started_at.replace(tzinfo=dt.UTC) if head else None
            )
            due = _local(nxt.astimezone(dt.UTC).replace(tzinfo=None), tz) if nxt else "—"
            jitter = getattr(spec.trigger, "jitter", None)
            if nxt and jitter:
                due += f"（随机延后至多 {jitter} 秒）"
            if scheduler.is_due(spec, last_ok, now):
                due += "（已错过，启动时补跑）"
            for i, stage in enumerate(spec.stages):
                shown.add(stage.job_id)
                rows.append(_job_row(stage.job_id, stage.kind, last.get(stage.job_id), tz, due if i == 0 else "随上一步"))
        for job_id, head in sorted(last.items()):
            if job_id not in shown:
                rows.append(_job_row(job_id, head.kind, head, tz, "（不在当前配置中）"))
        print()
        print(f"任务（{now.strftime('%Y-%m-%d %H:%M:%S %Z')}）")
        print(render_table(["任务", "类型", "最近运行", "结果", "耗时", "下次计划", "说明"], rows))

        print()
        print("最近抓取")
        crawl_rows = []
        recent = jobstore.recent_crawl_runs(db, per_site=3)
        for site in config.sites:
            runs = recent.get(site.id, [])
            if not runs:
                crawl_rows.append([site.id, site.name, "—", "从未抓取", "", ""])
            for r in runs:
                crawl_rows.append(
                    [
                        site.id,
                        site.name,
                        _local(r.started_at, tz),
                        CRAWL_LABELS.get(r.status, r.status),
                        _duration(r.started_at, r.finished_at),
                        _clip(r.reason or "", 40),
                    ]
                )
        print(render_table(["网站", "名称", "开始", "状态", "耗时", "原因"], crawl_rows))

        print()
        counts = jobstore.outbox_counts(db)
        parts = [f"{OUTBOX_LABELS.get(k, k)} {counts.get(k, 0)}" for k in OUTBOX_LABELS]
        parts += [f"{k} {v}" for k, v in counts.items() if k not in OUTBOX_LABELS]
        print("发件箱：" + "，".join(parts))
    finally:
        app.close()
    return 0


def _job_row(job_id: str, kind: str, head: JobRun | None, tz: dt.tzinfo, due: str) -> list[str]:
    import scheduler

    label = scheduler.KIND_LABELS.get(kind, kind)
    if head is None:
        return [job_id, label, "从未运行", "—", "—", due, ""]
    return [
        job_id,
        label,
        _local(head.started_at, tz),
        STATUS_LABELS.get(head.status, head.status),
        _duration(head.started_at, head.finished_at),
        due,
        _clip(head.message or "", 50),
    ]
