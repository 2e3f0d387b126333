"""The zwgk scheduler daemon: APScheduler 3 ``BlockingScheduler`` driving the pipeline.

Jobs are built from settings.toml at start (``build_specs``):

* ``crawl:<site>`` per site on ``schedule.crawl`` (with jitter), followed by
  ``links:<site>`` and ``check:<site>`` when ``schedule.check_after_crawl``;
* ``report_daily`` with ``report_department`` (each department's own report) and
  ``report_weekly`` on their crons, each followed by ``deliver:<kind>``
  (and preceded by ``check:all`` when checks do not follow the crawls); the daily job
  builds the daily scorecard and every department's report in one call, from one read of
  the findings (stages run ``together``), and still records one JobRun per kind;
* ``availability`` every ``schedule.availability_minutes``;
* ``outbox`` (retries of the delivery outbox) every ``mail.retry_base_seconds`` (1–15 minutes).

Every stage is recorded as a ``JobRun`` (store/jobs.py). At start, a job whose
last successful run is older than its last scheduled fire time runs once
(catch-up), crawls before reports. A database lease (``Lock`` row "scheduler",
heartbeat) keeps a second scheduler off the same database. SIGTERM/SIGINT stop
the scheduler: no further stage starts, running stages get ``shutdown_grace``
seconds to finish, then are recorded as abandoned (their child processes get
SIGTERM); the lease is released and the process exits 0.

This is the only module that imports APScheduler.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import datetime as dt
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor as _Pool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from store import jobs as jobstore
from zwgk import pipeline
from zwgk.app import App, open_app
from zwgk.config import Config, load_config

log = logging.getLogger("zwgk.scheduler")

LOCK_NAME = "scheduler"
HEARTBEAT_SECONDS = 30.0
STALE_HEARTBEATS = 4  # a lease without heartbeat for this many periods may be taken over
SHUTDOWN_GRACE_SECONDS = 30.0  # systemd's default stop timeout is 90 s; stay well inside it
EXIT_LOCKED = 2

KIND_LABELS = {
    "crawl": "抓取",
    "links": "链接检查",
    "check": "合规检查",
    "report_daily": "日报",
    "report_weekly": "周报",
    "report_department": "部门问题清单",
    "deliver": "投递",
    "availability": "可用性探测",
    "outbox": "发件箱重试",
}

StageFn = Callable[[App], Any]


@dataclass(frozen=True)
class Stage:
    """One recorded step of a job: its JobRun id/kind and the pipeline call."""

    job_id: str
    kind: str
    fn: StageFn
    requires: str | None = None  # job id of an earlier stage that must have succeeded
    # Stages with the same ``together`` key, next to each other in a job, run as one call of
    # their (shared) ``fn``, which returns {job_id: result or the Exception that stage failed with}.
    together: str | None = None


@dataclass(frozen=True)
class JobSpec:
    """A scheduled job: a trigger and a chain of stages.

    ``id`` is the APScheduler job id and the JobRun ``job_id`` of the job's main
    stage; its last success decides the start-up catch-up.
    """

    id: str
    trigger: BaseTrigger
    stages: tuple[Stage, ...]
    executor: str = "default"
    catch_up_order: int = 50  # lower runs first in the start-up catch-up
    label: str = ""


# --------------------------------------------------------------------------- stages


def _crawl_stage(site_id: str) -> StageFn:
    def run(app: App) -> Any:
        return pipeline.crawl(app, [site_id], timeout=app.config.crawl.site_timeout_seconds)

    return run


def _links_stage(site_id: str) -> StageFn:
    return lambda app: pipeline.check_links(app, [site_id])


def _check_stage(site_id: str | None) -> StageFn:
    return lambda app: pipeline.check_tally(app, pipeline.today(app), site_id=site_id)


def _report_stages(kinds: tuple[str, ...]) -> tuple[Stage, ...]:
    """One stage (JobRun ``report_<kind>``) per report kind, all built by one ``pipeline.report_kinds`` call."""

    def run(app: App) -> dict[str, Any]:
        outcomes = pipeline.report_kinds(app, kinds, pipeline.today(app))
        return {f"report_{kind}": outcome for kind, outcome in outcomes.items()}

    key = "+".join(kinds)
    return tuple(Stage(f"report_{kind}", f"report_{kind}", run, together=key) for kind in kinds)


_DELIVER_LOCK = threading.Lock()


def _deliver(app: App) -> Any:
    """Flush the outbox; one flush at a time (the report chains and the retry job share it)."""
    with _DELIVER_LOCK:
        return pipeline.deliver(app)


def _field(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)


def judge(kind: str, result: Any) -> tuple[str, str]:
    """Status (ok | failed) and a Chinese summary of a stage's return value."""
    if kind == "crawl" and isinstance(result, list | tuple):
        bad, parts = [], []
        for outcome in result:
            site = _field(outcome, "site_id") or "?"
            status = _field(outcome, "status") or "?"
            reason = _field(outcome, "reason")
            parts.append(f"{site} {status}" + (f"（{reason}）" if reason else ""))
            if status in ("failed", "timeout", "error"):
                bad.append(site)
        message = "；".join(parts) or "没有网站"
        return ("failed" if bad else "ok"), message
    if kind == "check" and isinstance(result, list | tuple):
        counts: dict[str, int] = {}
        for finding in result:
            counts[str(_field(finding, "status"))] = counts.get(str(_field(finding, "status")), 0) + 1
        result = pipeline.CheckTally(len(result), counts)
    if kind == "check" and isinstance(result, pipeline.CheckTally):
        names = {"pass": "通过", "fail": "不合格", "warn": "警告", "unknown": "无法判断"}
        parts = [f"{names.get(k, k)} {v}" for k, v in sorted(result.statuses.items())]
        return "ok", f"{result.total} 条结果" + (f"（{'，'.join(parts)}）" if parts else "")
    if kind == "availability" and isinstance(result, list | tuple):
        up = sum(1 for probe in result if _field(probe, "ok"))
        return "ok", f"首页可访问 {up}/{len(result)}"
    if kind.startswith("report_") and isinstance(result, list | tuple):
        return "ok", f"生成 {len(result)} 个文件"
    if isinstance(result, list | tuple):
        return "ok", f"{len(result)} 项"
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        result = dataclasses.asdict(result)
    if isinstance(result, Mapping):
        # Delivery that gave up on a message is a failure someone must see; retries are not.
        gave_up = kind in ("deliver", "outbox") and isinstance(result.get("failed"), int) and result["failed"] > 0
        return ("failed" if gave_up else "ok"), _summarize_stats(result)
    return "ok", "" if result is None else str(result)[:300]


STAT_LABELS = {
    "links_total": "链接",
    "checked": "已检查",
    "cached": "沿用缓存",
    "rechecked": "复查",
    "skipped": "跳过",
    "verdicts": "结论",
    "sent": "已发送",
    "written": "已写入文件",
    "retrying": "待重试",
    "failed": "放弃发送",
    "failures": "问题",
}


def _summarize_stats(stats: Mapping[str, Any]) -> str:
    """Known statistics in Chinese (``已检查 120，结论 ok 118/broken 2``); others as key=value."""
    parts = []
    for key, value in stats.items():
        if key not in STAT_LABELS:
            continue
        if isinstance(value, Mapping):
            value = "/".join(f"{k} {v}" for k, v in value.items()) or "无"
        elif isinstance(value, list | tuple):
            if not value:
                continue
            value = "；".join(str(v) for v in value[:3])
        parts.append(f"{STAT_LABELS[key]} {value}")
    if not parts:
        parts = [f"{k}={v}" for k, v in list(stats.items())[:8]]
    return "，".join(parts)[:2000]


def _exc_info(exc: BaseException) -> BaseException | bool:
    """The traceback worth logging: not for a missing module (its message says it all)."""
    return False if isinstance(exc, ImportError) else exc


def _groups(stages: Iterable[Stage]) -> list[list[Stage]]:
    """A job's stages in order, those run ``together`` (same key, next to each other) as one group."""
    groups: list[list[Stage]] = []
    for stage in stages:
        if stage.together and groups and groups[-1][0].together == stage.together:
            groups[-1].append(stage)
        else:
            groups.append([stage])
    return groups


def _error_message(exc: BaseException) -> str:
    if isinstance(exc, ImportError):
        return f"模块缺失（ImportError）：{exc}"
    return f"{type(exc).__name__}: {exc}"[:2000]


# --------------------------------------------------------------------------- job specs


def cron_trigger(expr: str, tz: Any, jitter: int | None = None) -> CronTrigger:
    """A CronTrigger from a validated 5-field crontab string in the site timezone."""
    trigger = CronTrigger.from_crontab(expr, timezone=tz)
    trigger.jitter = jitter or None
    return trigger


def outbox_interval(config: Config) -> float:
    """Seconds between outbox flushes: the mail retry base, clamped to 1–15 minutes."""
    return min(max(config.mail.retry_base_seconds, 60.0), 900.0)


def build_specs(
    config: Config,
    triggers_override: Mapping[str, BaseTrigger] | None = None,
    extra_jobs: Iterable[JobSpec] = (),
) -> list[JobSpec]:
    """The jobs settings.toml asks for. ``triggers_override`` maps a job id or a kind to a trigger."""
    over = dict(triggers_override or {})
    sched, tz = config.schedule, config.general.tz

    def trigger(job_id: str, kind: str, default: Callable[[], BaseTrigger]) -> BaseTrigger:
        return over.get(job_id) or over.get(kind) or default()

    specs: list[JobSpec] = []
    for site in config.sites:
        stages = [Stage(f"crawl:{site.id}", "crawl", _crawl_stage(site.id))]
        if sched.check_after_crawl:
            if config.links.enabled:
                stages.append(Stage(f"links:{site.id}", "links", _links_stage(site.id), requires=f"crawl:{site.id}"))
            stages.append(Stage(f"check:{site.id}", "check", _check_stage(site.id), requires=f"crawl:{site.id}"))
        specs.append(
            JobSpec(
                id=f"crawl:{site.id}",
                trigger=trigger(
                    f"crawl:{site.id}", "crawl", lambda: cron_trigger(sched.crawl, tz, sched.jitter_seconds)
                ),
                stages=tuple(stages),
                executor="crawl",
                catch_up_order=10,
                label=f"抓取 {site.name}",
            )
        )
    specs.append(
        JobSpec(
            id="availability",
            trigger=trigger(
                "availability", "availability", lambda: IntervalTrigger(minutes=sched.availability_minutes, timezone=tz)
            ),
            stages=(Stage("availability", "availability", pipeline.probe_availability),),
            catch_up_order=20,
            label="首页可用性探测",
        )
    )
    # Without checks after each crawl, the scorecards judge the stored data themselves first.
    pre_check = () if sched.check_after_crawl else (Stage("check:all", "check", _check_stage(None)),)
    # Each department receives only its own findings, with the daily scorecard: built together.
    for kind, kinds, expr, label, order in (
        ("report_daily", ("daily", "department"), sched.daily_report, "日报", 30),
        ("report_weekly", ("weekly",), sched.weekly_report, "周报", 31),
    ):
        specs.append(
            JobSpec(
                id=kind,
                trigger=trigger(kind, kind, lambda expr=expr: cron_trigger(expr, tz)),
                stages=(
                    *pre_check,
                    *_report_stages(kinds),
                    Stage(f"deliver:{kind}", "deliver", _deliver, requires=kind),
                ),
                catch_up_order=order,
                label=label,
            )
        )
    specs.append(
        JobSpec(
            id="outbox",
            trigger=trigger(
                "outbox", "outbox", lambda: IntervalTrigger(seconds=outbox_interval(config), timezone=tz)
            ),
            stages=(Stage("outbox", "outbox", _deliver),),
            catch_up_order=40,
            label="发件箱重试",
        )
    )
    specs.extend(extra_jobs)
    return specs


# --------------------------------------------------------------------------- trigger arithmetic


def _without_jitter(trigger: BaseTrigger) -> BaseTrigger:
    if getattr(trigger, "jitter", None):
        trigger = copy.copy(trigger)
        trigger.jitter = None  # type: ignore[attr-defined]
    return trigger


def previous_fire_time(trigger: BaseTrigger, now: dt.datetime) -> dt.datetime | None:
    """The latest time at or before ``now`` the trigger would have fired (interval: ``now - interval``)."""
    if isinstance(trigger, IntervalTrigger):
        return now - trigger.interval
    if isinstance(trigger, DateTrigger):
        return trigger.run_date if trigger.run_date <= now else None
    trigger = _without_jitter(trigger)
    window = dt.timedelta(minutes=1)
    for _ in range(24):  # up to ~30 years back
        fire = trigger.get_next_fire_time(None, now - window)
        if fire is None:
            return None
        if fire <= now:
            while True:
                nxt = trigger.get_next_fire_time(fire, fire + dt.timedelta(microseconds=1))
                if nxt is None or nxt > now:
                    return fire
                fire = nxt
        window *= 2
    return None


def next_fire_time(
    trigger: BaseTrigger, now: dt.datetime, last_start: dt.datetime | None = None
) -> dt.datetime | None:
    """When the trigger fires next (intervals: one interval after the last start, or from now)."""
    if isinstance(trigger, IntervalTrigger):
        return max(last_start or now, now - trigger.interval) + trigger.interval
    return _without_jitter(trigger).get_next_fire_time(None, now)


def _as_utc(naive_utc: dt.datetime | None) -> dt.datetime | None:
    return naive_utc.replace(tzinfo=dt.UTC) if naive_utc else None


def is_due(spec: JobSpec, last_ok_utc: dt.datetime | None, now: dt.datetime) -> bool:
    """True when the job missed a fire time since its last success (or never succeeded)."""
    last = _as_utc(last_ok_utc)
    if last is None:
        return True
    prev = previous_fire_time(spec.trigger, now)
    return prev is not None and last < prev


def due_specs(app: App, specs: Iterable[JobSpec], now: dt.datetime | None = None) -> list[JobSpec]:
    """Jobs to run once at start, in catch-up order (crawls first, reports last)."""
    now = now or dt.datetime.now(app.config.general.tz)
    due = [s for s in specs if is_due(s, jobstore.last_success(app.db, s.id), now)]
    return sorted(due, key=lambda s: s.catch_up_order)


# --------------------------------------------------------------------------- the daemon


@dataclass
class Daemon:
    """One scheduler process: the lease, the job runner and the APScheduler instance."""

    app: App
    specs: list[JobSpec]
    holder: str = field(default_factory=jobstore.default_holder)
    heartbeat_seconds: float = HEARTBEAT_SECONDS
    stale_heartbeats: int = STALE_HEARTBEATS
    shutdown_grace: float = SHUTDOWN_GRACE_SECONDS

    def __post_init__(self) -> None:
        self.scheduler: BlockingScheduler | None = None
        self.exit_code = 0
        self.abandoned: list[int] = []
        self._stopping = threading.Event()
        self._finished = threading.Event()
        self._guards: dict[str, threading.Lock] = {s.id: threading.Lock() for s in self.specs}
        self._active: dict[object, list[int]] = {}  # running stages -> their JobRun ids
        self._active_cv = threading.Condition()
        self._heart: threading.Thread | None = None

    # -- the lease
    @property
    def stale_after(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.heartbeat_seconds * self.stale_heartbeats)

    def acquire(self) -> bool:
        return jobstore.acquire_lock(self.app.db, LOCK_NAME, self.holder, stale_after=self.stale_after)

    def _heartbeat_loop(self) -> None:
        while not self._stopping.wait(self.heartbeat_seconds):
            try:
                if not jobstore.heartbeat(self.app.db, LOCK_NAME, self.holder):
                    info = jobstore.lock_info(self.app.db, LOCK_NAME)
                    other = info.holder if info else "（无人）"
                    log.error("调度锁已失去（现持有者：%s），调度器停止", other)
                    self.exit_code = EXIT_LOCKED
                    self.stop("lease lost")
                    return
            except Exception:  # a busy database must not kill the heartbeat
                log.warning("调度锁心跳失败，稍后重试", exc_info=True)

    # -- running jobs
    def run_stage(self, stage: Stage) -> bool:
        """Run one stage and record its JobRun; never raises. Not started once stopping."""
        return self.run_stages([stage]).get(stage.job_id, False)

    def run_stages(self, stages: list[Stage]) -> dict[str, bool]:
        """Run one stage, or stages run ``together`` as one call, and record a JobRun for each.

        Every JobRun is started before the call and finished after it, each with its own
        outcome: a stage whose part failed is recorded as failed with its reason, the others
        as they went. Never raises; nothing starts once stopping. Returns job id -> succeeded.
        """
        token = object()
        with self._active_cv:
            if self._stopping.is_set():
                return {}
            self._active[token] = []
        try:
            run_ids = []
            for stage in stages:
                run_ids.append(jobstore.start_job(self.app.db, stage.job_id, stage.kind))
                with self._active_cv:
                    self._active[token] = list(run_ids)
            try:
                result = stages[0].fn(self.app)
                parts = result if stages[0].together else {stages[0].job_id: result}
            except Exception as exc:
                parts = dict.fromkeys((s.job_id for s in stages), exc)
            done = {}
            for stage, run_id in zip(stages, run_ids, strict=True):
                part = parts.get(stage.job_id) if isinstance(parts, Mapping) else None
                if part is None and stages[0].together:
                    part = RuntimeError(f"{stage.job_id} 未生成结果")
                if isinstance(part, Exception):
                    log.warning("任务 %s 失败：%s", stage.job_id, part, exc_info=_exc_info(part))
                    status, message = "failed", _error_message(part)
                else:
                    try:
                        status, message = judge(stage.kind, part)
                    except Exception as exc:
                        status, message = "failed", _error_message(exc)
                jobstore.finish_job(self.app.db, run_id, status, message)
                done[stage.job_id] = status == "ok"
            return done
        finally:
            with self._active_cv:
                self._active.pop(token, None)
                self._active_cv.notify_all()

    def run_job(self, spec: JobSpec) -> None:
        """Run a job's chain unless the same job is already running (catch-up vs. trigger)."""
        guard = self._guards.setdefault(spec.id, threading.Lock())
        if not guard.acquire(blocking=False):
            log.info("任务 %s 仍在运行，本次触发跳过", spec.id)
            return
        try:
            succeeded: dict[str, bool] = {}
            for group in _groups(spec.stages):
                if self._stopping.is_set():
                    return
                ready = []
                for stage in group:
                    if stage.requires and not succeeded.get(stage.requires):
                        run_id = jobstore.start_job(self.app.db, stage.job_id, stage.kind)
                        kind = next((s.kind for s in spec.stages if s.job_id == stage.requires), stage.requires)
                        message = f"未运行：{KIND_LABELS.get(kind, kind)}未成功，不据旧数据处理"
                        jobstore.finish_job(self.app.db, run_id, "failed", message)
                        succeeded[stage.job_id] = False
                    else:
                        ready.append(stage)
                if ready:
                    succeeded.update(self.run_stages(ready))
        except Exception:  # the database itself failed (e.g. locked too long): log, keep the scheduler alive
            log.exception("任务 %s 无法记录运行结果", spec.id)
        finally:
            guard.release()

    def catch_up(self, due: list[JobSpec]) -> None:
        """Run each due job once: crawls in parallel (crawl.parallel_sites), then the rest in order."""
        crawls = [s for s in due if s.executor == "crawl"]
        others = [s for s in due if s.executor != "crawl"]
        if crawls:
            log.info("补跑抓取：%s", "、".join(s.id for s in crawls))
            with _Pool(max_workers=self.app.config.crawl.parallel_sites) as pool:
                list(pool.map(self.run_job, crawls))
        for spec in others:
            if self._stopping.is_set():
                return
            log.info("补跑任务：%s", spec.id)
            self.run_job(spec)

    # -- the APScheduler instance
    def build_scheduler(self) -> BlockingScheduler:
        options = {
            # A trigger that fires while the previous run is still going is skipped
            # (max_instances=1); a backlog of missed fires runs once (coalesce).
            "coalesce": True,
            "max_instances": 1,
            # misfire_grace_time: how late a fire may still run when the scheduler's
            # loop wakes up after its time (suspended VM or host sleep, a clock step,
            # a loop held up by a slow database). The default hour
            # (schedule.misfire_grace_seconds) keeps a daily crawl or an 08:30
            # scorecard that is a little late, yet does not mail "today's" report in
            # the afternoon; a fire missed by more is dropped (coalesced into the next
            # one). Downtime of the whole process is handled by the start-up catch-up,
            # since the in-memory job store forgets fires missed while stopped.
            "misfire_grace_time": self.app.config.schedule.misfire_grace_seconds,
        }
        sched = BlockingScheduler(
            timezone=self.app.config.general.tz,
            executors={
                "default": ThreadPoolExecutor(max_workers=8),
                "crawl": ThreadPoolExecutor(max_workers=self.app.config.crawl.parallel_sites),
            },
            job_defaults=options,
        )
        for spec in self.specs:
            sched.add_job(
                self.run_job,
                spec.trigger,
                args=[spec],
                id=spec.id,
                name=spec.label or spec.id,
                executor=spec.executor,
                **options,
            )
        return sched

    def stop(self, why: str = "") -> None:
        """Ask the scheduler to stop (safe from signal handlers and other threads)."""
        if self._stopping.is_set():
            return
        log.info("调度器停止中（%s）", why)
        self._stopping.set()

        def shutdown() -> None:
            # The scheduler may be between construction and start(): wait for it briefly.
            for _ in range(50):
                if self.scheduler is not None and self.scheduler.running:
                    self.scheduler.shutdown(wait=False)
                    return
                if self._finished.wait(0.1):
                    return

        threading.Thread(target=shutdown, name="zwgk-shutdown", daemon=True).start()

    def _install_signals(self) -> dict[int, Any]:
        """SIGTERM/SIGINT stop the scheduler (main thread only); returns the previous handlers."""
        if threading.current_thread() is not threading.main_thread():
            return {}
        previous = {}
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, lambda num, _frame: self.stop(signal.Signals(num).name))
        return previous

    def _wait_for_active(self) -> None:
        with self._active_cv:
            self._stopping.set()  # under the lock: no stage starts after this point
            self._active_cv.wait_for(lambda: not self._active, timeout=self.shutdown_grace)
            still = sorted(run_id for run_ids in self._active.values() for run_id in run_ids)
        if still:
            self.abandoned = still
            jobstore.fail_running_jobs(
                self.app.db, f"已放弃：调度器停止，{self.shutdown_grace:g} 秒内未完成", run_ids=still
            )

    def serve(self, *, max_runtime: float | None = None) -> int:
        """Hold the lease and run until stopped; returns the exit status."""
        previous_handlers = self._install_signals()
        try:
            return self._serve(max_runtime)
        finally:
            for signum, handler in previous_handlers.items():
                signal.signal(signum, handler)

    def _serve(self, max_runtime: float | None) -> int:
        if not self.acquire():
            info = jobstore.lock_info(self.app.db, LOCK_NAME)
            tz = self.app.config.general.tz
            beat = _as_utc(info.heartbeat_at).astimezone(tz).strftime("%Y-%m-%d %H:%M:%S") if info else "?"
            print(
                f"调度器未启动：此数据库已由另一个调度器运行（持有者 {info.holder if info else '?'}，"
                f"最近心跳 {beat}）。同一数据库只能运行一个调度器；"
                f"若对方已停止，{self.stale_after.total_seconds():g} 秒无心跳后可自动接管。",
                file=sys.stderr,
            )
            return EXIT_LOCKED
        try:
            # We hold the lease, so our jobs still marked running belong to a scheduler that died.
            ours = [stage.job_id for spec in self.specs for stage in spec.stages]
            left = jobstore.fail_running_jobs(self.app.db, "已中断：上次调度器未正常结束", job_ids=ours)
            if left:
                log.warning("上次调度器留下 %d 个未结束的任务，已记为失败", left)
            self._heart = threading.Thread(target=self._heartbeat_loop, name="zwgk-lease", daemon=True)
            self._heart.start()
            self.scheduler = self.build_scheduler()
            due = due_specs(self.app, self.specs)
            if due:
                self.scheduler.add_job(
                    self.catch_up, DateTrigger(), args=[due], id="catch-up", name="启动补跑",
                    misfire_grace_time=None,
                )
            if max_runtime is not None:
                timer = threading.Timer(max_runtime, self.stop, args=["max_runtime"])
                timer.daemon = True
                timer.start()
            log.info("调度器已启动（%s），%d 个任务，补跑 %d 个", self.holder, len(self.specs), len(due))
            if not self._stopping.is_set():
                self.scheduler.start()
            self._wait_for_active()
        finally:
            self._stopping.set()
            self._finished.set()
            jobstore.release_lock(self.app.db, LOCK_NAME, self.holder)
        log.info("调度器已停止")
        return self.exit_code


def run(
    config: Config,
    *,
    triggers_override: Mapping[str, BaseTrigger] | None = None,
    extra_jobs: Iterable[JobSpec] = (),
    max_runtime: float | None = None,
    **daemon_options: Any,
) -> int:
    """Run the scheduler for ``config`` until SIGTERM/SIGINT (or ``max_runtime`` seconds)."""
    app = open_app(config.path, config=config)
    # Each site is its own crawl job: workers kept between them pay their start-up once, not per site.
    pipeline.keep_crawl_workers(config.crawl.idle_worker_minutes * 60)
    try:
        daemon = Daemon(app, build_specs(config, triggers_override, extra_jobs), **daemon_options)
        code = daemon.serve(max_runtime=max_runtime)
        if daemon.abandoned:
            _terminate_children()
        return code
    finally:
        pipeline.keep_crawl_workers(0)  # the idle workers exit now
        app.close()


def _terminate_children() -> None:
    """SIGTERM our own child processes (crawl children of abandoned stages); Linux /proc only."""
    for children in Path(f"/proc/{os.getpid()}/task").glob("*/children"):
        try:
            pids = [int(p) for p in children.read_text().split()]
        except OSError:
            continue
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)


def main(config_path: str | Path, **options: Any) -> int:
    """Entry point of ``zwgk schedule``; returns the exit status.

    When stages were abandoned at shutdown their threads are still alive: the
    process then exits at once instead of waiting for them.
    """
    code = run(load_config(config_path), **options)
    lingering = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
    if lingering and any(t.is_alive() for t in lingering):
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code
