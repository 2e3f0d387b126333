"""`zwgk crawl` with Redis: create the runs, seed their start requests, wait until the workers are
done, then write the SectionCrawl rows and finish each CrawlRun.

Completion rule, checked atomically (MULTI) every 0.2 s: the run's request queue is empty and no
worker is marked busy for it (see ``crawler.distributed.spider``). A busy worker whose heartbeat key
expired is dead: the requests it had claimed go back to the queue (``claims.requeue``) and the live
workers finish the run. Only when no worker is alive for ``[scale] worker_heartbeat_seconds`` while
work is left does the run fail, with the reason. ``crawl.site_timeout_seconds`` (or ``--timeout``)
still bounds every run (status ``timeout``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import redis
from scrapy_redis.queue import PriorityQueue

from crawler.child import create_run, finish_run, run_status
from crawler.distributed import claims, redis_url
from crawler.distributed.keys import RunKeys, runs_key, worker_key
from crawler.distributed.queries import refine_items_from_pages
from crawler.distributed.spider import DistributedSiteSpider
from crawler.queries import PriorState, load_prior_state
from crawler.runner import CrawlOutcome, _mark_unfinished, _outcome
from crawler.sink import Sink
from store.db import Database
from store.models import utcnow
from zwgk.config import Config

log = logging.getLogger(__name__)
POLL_SECONDS = 0.2
KEEP_META_SECONDS = 3600  # workers read a finished run's status from its meta key for this long


def connect(url: str) -> redis.Redis:
    server = redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=10, health_check_interval=30)
    server.ping()
    return server


def crawl_sites_redis(config: Config, site_ids: Sequence[str], limit: float) -> list[CrawlOutcome]:
    """Crawl the sites through Redis and the workers, ``crawl.parallel_sites`` runs at a time."""
    db = Database(config.database_url)
    try:
        try:
            server = connect(redis_url(config))
        except redis.RedisError as exc:
            return [_unreachable(config, db, site_id, exc) for site_id in site_ids]
        with ThreadPoolExecutor(max_workers=max(1, config.crawl.parallel_sites)) as pool:
            futures = [pool.submit(crawl_one, config, db, server, site_id, limit) for site_id in site_ids]
            return [f.result() for f in futures]
    finally:
        db.dispose()


def _unreachable(config: Config, db: Database, site_id: str, exc: Exception) -> CrawlOutcome:
    run_id = create_run(db, site_id)
    _mark_unfinished(db, run_id, site_id, config, "failed", f"无法连接 Redis（[scale] redis_url）：{exc}")
    return _outcome(db, site_id, run_id, 0.0, None)


def _spider(config: Config, db: Database, server: redis.Redis, keys: RunKeys, site_id: str,
            prior: PriorState, crawl_day: Any) -> DistributedSiteSpider:
    """A spider object outside Scrapy: it builds the start requests and finishes the sections."""
    return DistributedSiteSpider(
        config=config, site=config.site(site_id), sink=Sink(db, keys.run_id, site_id), warc=None,
        prior=prior, crawl_day=crawl_day, redis=server, run_keys=keys, worker_id="coordinator",
    )


async def _collect(requests: AsyncIterator[Any]) -> list[Any]:
    return [r async for r in requests]


def seed(config: Config, db: Database, server: redis.Redis, keys: RunKeys, site_id: str) -> int:
    """Push the run's start requests and section states, then announce the run to the workers."""
    import datetime as dt

    crawl_day = dt.datetime.now(config.general.tz).date()
    with db.session() as s:
        prior = load_prior_state(s, site_id)
    spider = _spider(config, db, server, keys, site_id, prior, crawl_day)
    requests = asyncio.run(_collect(spider.seed_requests()))
    queue = PriorityQueue(server, spider, keys.requests)
    for request in requests:
        queue.push(request)
    spider.save_states(spider.all_states())
    server.hset(keys.meta, mapping={"site_id": site_id, "crawl_day": crawl_day.isoformat(), "status": "running"})
    server.sadd(runs_key(keys.prefix), keys.run_id)
    return len(requests)


@dataclass
class Waited:
    """How waiting for a run ended: ``status`` None = complete, else ``timeout`` or ``failed`` with ``reason``."""

    status: str | None = None
    reason: str | None = None
    requeued: dict[str, int] = field(default_factory=dict)  # dead worker -> requests put back in the queue


def requeue_dead(server: redis.Redis, keys: RunKeys, busy: dict[bytes, bytes]) -> dict[str, int]:
    """Busy workers whose heartbeat expired: put their claimed requests back (worker -> how many)."""
    out = {}
    for raw, value in busy.items():
        worker = raw.decode()
        if value == b"1" and not server.exists(worker_key(keys.prefix, worker)):
            out[worker] = claims.requeue(server, keys, worker)
            log.warning("抓取节点 %s 失联：已将其未完成的 %s 个请求交回第 %s 次抓取的队列", worker, out[worker], keys.run_id)
    return out


def _any_worker_alive(server: redis.Redis, prefix: str) -> bool:
    return any(server.scan_iter(match=worker_key(prefix, "*"), count=100))


def wait_done(config: Config, server: redis.Redis, keys: RunKeys, deadline: float, limit: float) -> Waited:
    """Wait until the run completed, requeueing dead workers' requests; or until time or workers run out."""
    heartbeat = config.scale.worker_heartbeat_seconds
    waited = Waited()
    no_worker_since: float | None = None
    while True:
        pipe = server.pipeline(transaction=True)
        pipe.zcard(keys.requests)
        pipe.hgetall(keys.busy)
        queued, busy = pipe.execute()
        holding = sorted(w.decode() for w, v in busy.items() if v == b"1")
        if queued == 0 and not holding:
            return waited
        now = time.monotonic()
        if now > deadline:
            waited.status = "timeout"
            waited.reason = (f"分布式抓取超时（超过 {limit:g} 秒）：队列中还有 {queued} 个请求，"
                             f"{len(holding)} 个抓取节点未完成")
            return waited
        for worker, n in requeue_dead(server, keys, busy).items():
            waited.requeued[worker] = waited.requeued.get(worker, 0) + n
        if _any_worker_alive(server, keys.prefix):
            no_worker_since = None
        else:
            no_worker_since = no_worker_since or now
            if now - no_worker_since > heartbeat:
                waited.status = "failed"
                waited.reason = _no_worker_reason(waited.requeued, queued, heartbeat)
                return waited
        time.sleep(POLL_SECONDS)


def _no_worker_reason(requeued: dict[str, int], queued: int, heartbeat: float) -> str:
    lost = ""
    if requeued:
        lost = (f"抓取节点 {'、'.join(sorted(requeued))} 失联（超过 {heartbeat:g} 秒无心跳），"
                f"其未完成的 {sum(requeued.values())} 个请求已交回队列；")
    return (f"{lost}没有正在运行的抓取节点（zwgk crawl-worker）：队列中有 {queued} 个请求"
            f"等待超过 {heartbeat:g} 秒，本次抓取未完成")


def _end(server: redis.Redis, keys: RunKeys, status: str) -> None:
    """Tell the workers the run is over (they close its spider) and drop its queue and claims."""
    claim_keys = list(server.scan_iter(match=keys.claims_pattern, count=100))
    pipe = server.pipeline(transaction=True)
    pipe.hset(keys.meta, "status", status)
    pipe.srem(runs_key(keys.prefix), keys.run_id)
    pipe.delete(keys.requests, keys.dupefilter, *claim_keys)
    pipe.expire(keys.meta, KEEP_META_SECONDS)
    pipe.execute()


def _drop_keys(server: redis.Redis, keys: RunKeys) -> None:
    """Every key of the run but its meta (kept a while with an expiry, for late workers)."""
    claim_keys = list(server.scan_iter(match=keys.claims_pattern, count=100))
    server.delete(*[k for k in keys.all() if k != keys.meta], *claim_keys)


def _int_hash(server: redis.Redis, key: str) -> dict[str, int]:
    return {k.decode(): int(v) for k, v in server.hgetall(key).items()}


def finalize(config: Config, db: Database, server: redis.Redis, keys: RunKeys, site_id: str,
             elapsed: float, requeued: dict[str, int] | None = None) -> None:
    """Every worker is idle and flushed: write the SectionCrawl rows and the run's status and stats."""
    import datetime as dt

    crawl_day = dt.date.fromisoformat(server.hget(keys.meta, "crawl_day").decode())
    spider = _spider(config, db, server, keys, site_id, PriorState(), crawl_day)
    spider.load_states()
    rows = spider.finish_sections(spider.all_states(), utcnow(), "finished")
    spider.sink.flush()
    with db.session() as s:
        refine_items_from_pages(s, site_id)
    stats: dict[str, Any] = dict(_int_hash(server, keys.counts))
    warcs = sorted(w.decode() for w in server.smembers(keys.warcs))
    stats.update(
        mode="redis",
        workers=_int_hash(server, keys.responses),
        warc_files=warcs,
        warc_file=warcs[0] if warcs else None,
        elapsed_time_seconds=round(elapsed, 2),
        finish_reason="finished",
        sections={r["section_id"]: r["outcome"] for r in rows},
    )
    if requeued:  # workers that died mid-run; the live ones redid their requests
        stats.update(dead_workers=dict(sorted(requeued.items())), requeued_requests=sum(requeued.values()))
    status, reason = run_status(rows)
    finish_run(db, keys.run_id, status, reason, stats)


def crawl_one(config: Config, db: Database, server: redis.Redis, site_id: str, limit: float) -> CrawlOutcome:
    run_id = create_run(db, site_id)
    keys = RunKeys(config.scale.key_prefix, run_id)
    started = time.monotonic()
    ended = False
    try:
        seed(config, db, server, keys, site_id)
        waited = wait_done(config, server, keys, started + limit, limit)
        _end(server, keys, "done" if waited.status is None else "cancelled")
        ended = True
        if waited.status is None:
            finalize(config, db, server, keys, site_id, time.monotonic() - started, waited.requeued)
        else:
            _mark_unfinished(db, run_id, site_id, config, waited.status, waited.reason or waited.status)
    except Exception as exc:  # noqa: BLE001 - recorded in the run, never crashes the caller
        log.exception("分布式抓取 %s 出错", site_id)
        what = "Redis 出错" if isinstance(exc, redis.RedisError) else "分布式抓取出错"
        _mark_unfinished(db, run_id, site_id, config, "failed", f"{what}：{exc.__class__.__name__}: {exc}")
    finally:
        try:
            if not ended:
                _end(server, keys, "cancelled")
            _drop_keys(server, keys)
        except redis.RedisError:
            log.warning("无法清理 Redis 中第 %s 次抓取的键", run_id)
    return _outcome(db, site_id, run_id, time.monotonic() - started, None)
