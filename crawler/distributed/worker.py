"""`zwgk crawl-worker`: one long-lived Scrapy process that crawls every announced run from Redis.

Every 0.5 s the worker refreshes its heartbeat key, attaches a crawler (scrapy-redis Scheduler,
per-run queue and RFPDupeFilter keys) to each new run in ``<prefix>:runs`` and stops the crawler of
a run the coordinator ended. Rows go to the configured database through the same Sink as the
embedded crawl; WARC evidence goes to ``<evidence_dir>/.../<site>-<run>-<worker>.warc.gz`` (share
evidence_dir between machines, e.g. over NFS, so reports can read every worker's evidence).

Politeness across workers: each worker gets ``1/crawl_workers`` of a host's budget, so N workers
together keep the limits of one embedded crawl: per-host concurrency ``max(1, c // N)`` and a
download delay of ``N × delay`` per worker (the rate holds exactly; the concurrency exceeds ``c``
only when ``c < N``, as every worker needs at least one slot).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import socket
from typing import Any

import redis

from crawler.distributed import claims
from crawler.distributed.coordinator import connect
from crawler.distributed.keys import RunKeys, runs_key, worker_key
from crawler.distributed.middleware import ORDER
from crawler.distributed.spider import COMMIT_MAX_AGE_SECONDS, DistributedSiteSpider
from crawler.settings import host_limits, scrapy_settings
from store.db import Database
from zwgk.config import Config, SiteConfig

log = logging.getLogger(__name__)
TICK_SECONDS = 0.5


def worker_settings(config: Config, site: SiteConfig, url: str, keys: RunKeys, *, log_level: str) -> dict[str, Any]:
    """The embedded crawl's Scrapy settings, with the scrapy-redis scheduler and this worker's politeness share."""
    settings = scrapy_settings(config, site, log_level=log_level)
    per_host, delay = host_limits(config)
    workers = max(1, config.scale.crawl_workers)
    share = max(1, per_host // workers)
    settings.update({
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "SCHEDULER_PERSIST": True,  # the coordinator owns the keys; a closing worker must not clear them
        "SCHEDULER_QUEUE_CLASS": "crawler.distributed.spider.ClaimingPriorityQueue",
        "SCHEDULER_QUEUE_KEY": keys.requests,
        "SCHEDULER_DUPEFILTER_KEY": keys.dupefilter,
        "DUPEFILTER_CLASS": "crawler.distributed.spider.ClaimingDupeFilter",
        # Commits each handled request's follow-ups with its claim (crawler.distributed.claims).
        "SPIDER_MIDDLEWARES": {"crawler.distributed.middleware.CommitMiddleware": ORDER},
        "REDIS_URL": url,
        "CONCURRENT_REQUESTS_PER_DOMAIN": share,
        # Few local slots: requests stay in the shared queue for the other workers instead of piling up here.
        "CONCURRENT_REQUESTS": max(2, share * 2),
        "DOWNLOAD_DELAY": delay * workers,
        "AUTOTHROTTLE_START_DELAY": delay * workers,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(share),
    })
    return settings


class Worker:
    """Attaches one crawler per announced run and detaches it when the run is over."""

    def __init__(self, config: Config, url: str, worker_id: str, *, log_level: str = "WARNING") -> None:
        from scrapy.crawler import CrawlerProcess
        from scrapy.utils.reactor import install_reactor

        install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
        self.config = config
        self.url = url
        self.worker_id = worker_id
        self.log_level = log_level
        self.prefix = config.scale.key_prefix
        self.server = connect(url)
        self.db = Database(config.database_url)
        # The zwgk CLI installed the root log handler already; Scrapy's own would print every line twice.
        self.process = CrawlerProcess(settings={"LOG_LEVEL": log_level, "TELNETCONSOLE_ENABLED": False},
                                      install_root_handler=False)
        self.crawlers: dict[int, Any] = {}  # run id -> Crawler
        self.finished: set[int] = set()
        self.stopping = False

    # ------------------------------------------------------------------ loop

    def run(self) -> None:
        from twisted.internet import reactor, task

        loop = task.LoopingCall(self.tick)
        reactor.callWhenRunning(loop.start, TICK_SECONDS)
        reactor.addSystemEventTrigger("before", "shutdown", self._shutdown)
        self.process.start(stop_after_crawl=False)
        self.db.dispose()

    def _shutdown(self) -> None:
        self.stopping = True
        with contextlib.suppress(redis.RedisError):
            self.server.delete(worker_key(self.prefix, self.worker_id))

    def tick(self) -> None:
        if self.stopping:
            return
        try:
            ttl = max(5, int(self.config.scale.worker_heartbeat_seconds))
            self.server.set(worker_key(self.prefix, self.worker_id), str(os.getpid()), ex=ttl)
            active = {int(r) for r in self.server.smembers(runs_key(self.prefix))}
        except redis.RedisError as exc:
            log.warning("抓取节点 %s：Redis 不可用：%s", self.worker_id, exc)
            return
        for run_id in sorted(active - set(self.crawlers) - self.finished):
            try:
                self.attach(run_id)
            except Exception:  # noqa: BLE001 - one bad run must not stop the worker
                log.exception("抓取节点 %s：无法加入第 %s 次抓取", self.worker_id, run_id)
                self.finished.add(run_id)
        for run_id in sorted(set(self.crawlers) - active):
            self.detach(run_id)
        for run_id, crawler in list(self.crawlers.items()):
            spider = getattr(crawler, "spider", None)
            if isinstance(spider, DistributedSiteSpider) and run_id in active:
                try:  # handled requests wait at most COMMIT_MAX_AGE_SECONDS (+ one tick) for their commit
                    spider.commit_handled(COMMIT_MAX_AGE_SECONDS)
                except Exception:  # noqa: BLE001 - kept for the next try; the claims stay held meanwhile
                    log.exception("抓取节点 %s：提交第 %s 次抓取的结果失败", self.worker_id, run_id)

    # ------------------------------------------------------------------ runs

    def attach(self, run_id: int) -> None:
        from scrapy.crawler import Crawler

        from crawler.queries import load_prior_state
        from crawler.sink import Sink
        from store.warc import WarcStore, run_warc_path

        keys = RunKeys(self.prefix, run_id)
        meta = {k.decode(): v.decode() for k, v in self.server.hgetall(keys.meta).items()}
        if meta.get("status") != "running":
            self.finished.add(run_id)
            return
        site = self.config.site(meta["site_id"])  # KeyError: this worker's settings lack the site
        # Claims under this id are a previous process's (restarted with the same --id before the
        # coordinator noticed it had died): back to the queue, or nobody would redo them.
        requeued = claims.requeue(self.server, keys, self.worker_id)
        if requeued:
            log.warning("抓取节点 %s：上次运行留下 %s 个未完成的请求，已交回第 %s 次抓取的队列",
                        self.worker_id, requeued, run_id)
        crawl_day = dt.date.fromisoformat(meta["crawl_day"])
        with self.db.session() as s:
            prior = load_prior_state(s, site.id)
        warc = WarcStore(self.config.evidence_dir, run_warc_path(site.id, f"{run_id}-{self.worker_id}", crawl_day))
        crawler = Crawler(DistributedSiteSpider,
                          worker_settings(self.config, site, self.url, keys, log_level=self.log_level))
        self.crawlers[run_id] = crawler
        done = self.process.crawl(
            crawler, config=self.config, site=site, sink=Sink(self.db, run_id, site.id, reuse_snapshots=True), warc=warc, prior=prior,
            crawl_day=crawl_day, redis=self.server, run_keys=keys, worker_id=self.worker_id,
        )
        done.addBoth(self._closed, run_id)
        log.info("抓取节点 %s：加入第 %s 次抓取（%s）", self.worker_id, run_id, site.id)

    def detach(self, run_id: int) -> None:
        crawler = self.crawlers.get(run_id)
        if crawler is not None and crawler.crawling:
            crawler.stop()

    def _closed(self, result: Any, run_id: int) -> None:
        self.crawlers.pop(run_id, None)
        self.finished.add(run_id)
        if hasattr(result, "getTraceback"):
            log.error("抓取节点 %s：第 %s 次抓取异常结束：%s", self.worker_id, run_id, result.getTraceback())


def default_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def run_worker(config: Config, url: str, worker_id: str | None = None, *, log_level: str = "WARNING") -> None:
    Worker(config, url, worker_id or default_worker_id(), log_level=log_level).run()
