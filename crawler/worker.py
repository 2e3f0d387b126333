"""`python -m crawler --worker`: one long-lived process that crawls the sites its parent sends, in one reactor.

Start-up (imports, reactor, database) is paid once per worker, not once per site. Each site gets its
own Scrapy ``Crawler`` (its own settings, downloader and per-host slots, Sink and WARC file) and its
own time budget: when it runs out the site's spider is closed and its run recorded as ``timeout``,
while the other sites of the worker go on (``crawler.deadline`` caps every download at the time left).

Protocol (JSON lines). Parent → worker on stdin: ``{"op": "crawl", "site", "run_id", "limit"}``; end of
stdin means "no more sites": the worker finishes the sites it has and exits 0. Worker → parent on the
original stdout (fd 1 is pointed at stderr, so a stray print cannot break the protocol):
``{"event": "started"|"done", "site", "run_id"[, "status"]}``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from typing import IO, Any

from crawler.child import _drop_disabled_levels, finish_crawl, finish_run
from crawler.deadline import DEADLINE_SETTING
from store.db import Database
from store.models import CrawlRun, SectionCrawl
from zwgk.config import Config

log = logging.getLogger(__name__)

DEADLINE_MIDDLEWARE = "crawler.deadline.SiteDeadlineMiddleware"


def timeout_reason(limit: float) -> str:
    return f"抓取超时（超过 {limit:g} 秒），已停止该网站的抓取"


@dataclass
class _Active:
    site_id: str
    run_id: int
    limit: float
    crawler: Any
    sink: Any
    warc: Any
    timer: Any = None
    timed_out: bool = False


class SiteWorker:
    """Crawls sites as their commands arrive; each finished site is reported at once."""

    def __init__(self, config: Config, events: IO[str], *, log_level: str = "WARNING") -> None:
        from scrapy.crawler import CrawlerProcess
        from scrapy.utils.reactor import install_reactor

        # The crawlers are built here (one per site, own settings), not by the process: install its reactor.
        install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
        self.config = config
        self.events = events
        self.log_level = log_level
        self.db = Database(config.database_url, run_migrations=False)  # the parent migrated it
        self.process = CrawlerProcess(settings={"LOG_LEVEL": log_level, "TELNETCONSOLE_ENABLED": False})
        _drop_disabled_levels(log_level)
        self.active: dict[int, _Active] = {}
        self.input_done = False

    # ------------------------------------------------------------------ loop

    def run(self) -> None:
        reader = threading.Thread(target=self._read_commands, name="zwgk-worker-stdin", daemon=True)
        from twisted.internet import reactor

        reactor.callWhenRunning(reader.start)
        self.process.start(stop_after_crawl=False, install_signal_handlers=True)
        self.db.dispose()

    def _read_commands(self) -> None:
        from twisted.internet import reactor

        for line in sys.stdin:
            line = line.strip()
            if line:
                reactor.callFromThread(self.handle, json.loads(line))
        reactor.callFromThread(self.handle, {"op": "end"})

    def handle(self, msg: dict[str, Any]) -> None:
        if msg.get("op") == "crawl":
            self.start_site(str(msg["site"]), int(msg["run_id"]), float(msg["limit"]))
        elif msg.get("op") == "end":
            self.input_done = True
            self._maybe_stop()

    def _emit(self, event: str, **fields: Any) -> None:
        self.events.write(json.dumps({"event": event, **fields}, ensure_ascii=False) + "\n")
        self.events.flush()

    def _maybe_stop(self) -> None:
        from twisted.internet import reactor

        if self.input_done and not self.active and reactor.running:
            reactor.stop()

    # ------------------------------------------------------------------ sites

    def start_site(self, site_id: str, run_id: int, limit: float) -> None:
        from scrapy.crawler import Crawler
        from twisted.internet import reactor

        from crawler.queries import load_prior_state
        from crawler.settings import scrapy_settings
        from crawler.sink import Sink
        from crawler.spider import SiteSpider
        from store.warc import WarcStore, run_warc_path

        self._emit("started", site=site_id, run_id=run_id)
        try:
            site = self.config.site(site_id)
            crawl_day = dt.datetime.now(self.config.general.tz).date()
            with self.db.session() as s:
                prior = load_prior_state(s, site.id)
            warc = WarcStore(self.config.evidence_dir, run_warc_path(site.id, run_id, crawl_day))
            sink = Sink(self.db, run_id, site.id)
            settings = scrapy_settings(self.config, site, log_level=self.log_level)
            settings[DEADLINE_SETTING] = time.monotonic() + limit
            settings["DOWNLOADER_MIDDLEWARES"] = {**settings["DOWNLOADER_MIDDLEWARES"], DEADLINE_MIDDLEWARE: 360}
            crawler = Crawler(SiteSpider, settings)
            active = _Active(site.id, run_id, limit, crawler, sink, warc)
            self.active[run_id] = active
            active.timer = reactor.callLater(limit, self._time_up, run_id)
            done = self.process.crawl(crawler, config=self.config, site=site, sink=sink, warc=warc, prior=prior,
                                      crawl_day=crawl_day)
        except Exception as exc:  # noqa: BLE001 - one bad site must not stop the worker
            self.active.pop(run_id, None)
            self._failed(site_id, run_id, exc)
            return
        done.addBoth(self._closed, run_id)

    def _time_up(self, run_id: int) -> None:
        from scrapy.utils.defer import deferred_from_coro

        active = self.active.get(run_id)
        if active is None:
            return
        active.timed_out = True
        engine = getattr(active.crawler, "engine", None)
        if engine is not None and engine.spider is not None:
            deferred_from_coro(engine.close_spider_async(reason="timeout")).addErrback(
                lambda f: log.error("关闭超时网站失败：%s", f.getTraceback()))

    def _closed(self, result: Any, run_id: int) -> None:
        active = self.active.pop(run_id)
        if active.timer is not None and active.timer.active():
            active.timer.cancel()
        status = "failed"
        try:
            if hasattr(result, "getTraceback"):
                raise RuntimeError(result.getErrorMessage())
            finish_crawl(self.db, run_id, active.crawler, active.sink, active.warc, {"worker_pid": os.getpid()})
            if active.timed_out:
                mark_timed_out(self.db, run_id, timeout_reason(active.limit))
            with self.db.session() as s:
                run = s.get(CrawlRun, run_id)
                status = run.status if run is not None else "failed"
        except Exception as exc:  # noqa: BLE001
            self._failed(active.site_id, run_id, exc, result)
            return
        self._emit("done", site=active.site_id, run_id=run_id, status=status)
        self._maybe_stop()

    def _failed(self, site_id: str, run_id: int, exc: BaseException, result: Any = None) -> None:
        detail = result.getTraceback() if hasattr(result, "getTraceback") else traceback.format_exc()
        log.error("网站 %s 抓取异常：%s", site_id, detail)
        try:
            finish_run(self.db, run_id, "failed", f"抓取进程异常：{exc.__class__.__name__}: {exc}",
                       {"traceback": detail[-4000:]})
        except Exception:  # noqa: BLE001 - the parent records what it can
            log.exception("无法记录网站 %s 的抓取结果", site_id)
        self._emit("done", site=site_id, run_id=run_id, status="failed")
        self._maybe_stop()


def mark_timed_out(db: Database, run_id: int, reason: str) -> None:
    """A site stopped at its deadline: the run and every section row are ``timeout`` (nothing concluded)."""
    with db.session() as s:
        run = s.get(CrawlRun, run_id)
        if run is not None:
            run.status = "timeout"
            run.reason = reason
        for row in s.query(SectionCrawl).filter(SectionCrawl.run_id == run_id):
            row.outcome = "timeout"
            row.reason = reason


def serve(config: Config, *, log_level: str = "WARNING") -> int:
    """Run the worker on this process's stdin/stdout; returns the exit status."""
    events = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    SiteWorker(config, events, log_level=log_level).run()
    events.close()
    return 0
