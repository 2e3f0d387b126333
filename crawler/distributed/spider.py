"""The site spider as one of several workers: requests come from a shared scrapy-redis queue,
section state lives in Redis, and the coordinator (not the spider) writes the SectionCrawl rows.

Completion bookkeeping: popping a request and marking this worker busy in the run's ``busy`` hash
is one Lua script (atomic), and the worker marks itself idle only when its Scrapy engine is idle,
i.e. every popped request was handled, its follow-up requests are in the Redis queue and its rows
are flushed to the database. So "queue empty and nobody busy" means the run is complete.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Request, Response
from scrapy_redis.queue import PriorityQueue
from twisted.python.failure import Failure

from crawler.distributed.keys import RunKeys
from crawler.distributed.state import state_from_json, state_to_json
from crawler.spider import HOME_SECTION, SectionState, SiteSpider

log = logging.getLogger(__name__)

# Pop the best request (lowest score = highest priority, as scrapy-redis pushes -priority) and mark
# the worker busy in the same atomic step.
POP_AND_CLAIM = """
local r = redis.call('ZRANGE', KEYS[1], 0, 0)
if #r == 0 then return false end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
redis.call('HSET', KEYS[2], ARGV[1], 1)
return r[1]
"""

# Scrapy stats summed over workers into the run's stats (as the embedded crawl records them).
SUMMED_SCRAPY_STATS = (
    "downloader/request_count",
    "downloader/response_count",
    "downloader/response_bytes",
    "retry/count",
    "robotstxt/forbidden",
)
# The engine polls the queue this often while idle (Scrapy's default is 5 s).
IDLE_POLL_SECONDS = 0.5
KEYS_TTL_SECONDS = 7 * 86400  # run keys the workers write expire even if no coordinator deletes them


class ClaimingPriorityQueue(PriorityQueue):
    """scrapy-redis PriorityQueue whose pop also marks the popping worker busy for the run."""

    def pop(self, timeout: int = 0) -> Request | None:
        spider = self.spider
        data = self.server.eval(POP_AND_CLAIM, 2, self.key, spider.run_keys.busy, spider.worker_id)
        return self._decode_request(data) if data else None


class DistributedSiteSpider(SiteSpider):
    """SiteSpider whose state is shared through Redis; see the module docstring."""

    name = "zwgk_site_redis"

    def __init__(self, *, redis: Any, run_keys: RunKeys, worker_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.redis = redis
        self.run_keys = run_keys
        self.worker_id = worker_id
        self._pushed: dict[str, int] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> DistributedSiteSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._on_engine_started, signal=signals.engine_started)
        crawler.signals.connect(spider._on_idle, signal=signals.spider_idle)
        return spider

    # ------------------------------------------------------------------ section state in Redis

    def all_states(self) -> list[SectionState]:
        return [self.home, *self.sections.values()]

    def save_states(self, states: list[SectionState]) -> None:
        if states:
            self.redis.hset(self.run_keys.sections, mapping={st.section_id: state_to_json(st) for st in states})

    def load_states(self) -> None:
        for section_id, text in self.redis.hgetall(self.run_keys.sections).items():
            self._put(state_from_json(text), section_id.decode() if isinstance(section_id, bytes) else section_id)

    def _put(self, st: SectionState, section_id: str) -> None:
        if section_id == HOME_SECTION:
            self.home = st
        elif section_id in self.sections:
            self.sections[section_id] = st

    def _load(self, section_id: str) -> SectionState:
        text = self.redis.hget(self.run_keys.sections, section_id)
        if text is not None:
            self._put(state_from_json(text), section_id)
        return self.home if section_id == HOME_SECTION else self.sections[section_id]

    # ------------------------------------------------------------------ callbacks around shared state

    async def start(self) -> AsyncIterator[Any]:
        """Workers start nothing themselves: the coordinator seeded the queue."""
        return
        yield  # pragma: no cover - makes this an async generator

    def seed_requests(self) -> AsyncIterator[Any]:
        """The embedded spider's start requests (home page, page 1 of every section), for the coordinator."""
        return SiteSpider.start(self)

    def parse_home(self, response: Response) -> list[Any]:
        st = self._load(HOME_SECTION)
        out = list(super().parse_home(response))
        self.save_states([st])
        return out

    def home_failed(self, failure: Failure) -> None:
        st = self._load(HOME_SECTION)
        super().home_failed(failure)
        self.save_states([st])

    def parse_list(self, response: Response) -> list[Any]:
        self._load(response.meta["section"])
        out = list(super().parse_list(response))
        self.save_states([self.sections[response.meta["section"]]])
        return out

    def list_failed(self, failure: Failure) -> None:
        section_id = failure.request.meta["section"]  # type: ignore[attr-defined]
        self._load(section_id)
        super().list_failed(failure)
        self.save_states([self.sections[section_id]])

    def parse_article(self, response: Response) -> list[Any]:
        """The page row must be in the database before another worker stores its attachments."""
        out = list(super().parse_article(response))
        if out:
            self.sink.flush()
        return out

    def _article_request(self, st: SectionState, item: Any) -> Request | None:
        """Articles are deduplicated across workers by the run's RFPDupeFilter (same URL listed twice)."""
        request = super()._article_request(st, item)
        return request.replace(dont_filter=False) if request is not None else None

    # ------------------------------------------------------------------ engine signals

    def _on_engine_started(self) -> None:
        # Scrapy re-polls the scheduler on a 5 s heartbeat; other workers' requests should not wait that long.
        self.crawler.engine._SLOT_HEARTBEAT_INTERVAL = IDLE_POLL_SECONDS  # noqa: SLF001

    def _on_idle(self) -> None:
        """Engine idle: flush rows, publish counters, then (last) mark this worker idle for the run."""
        try:
            self.sink.flush()
            self.report(idle=True)
        except Exception:  # noqa: BLE001 - stay busy; the coordinator's timeout covers a lasting failure
            log.exception("抓取节点 %s：上报空闲状态失败", self.worker_id)
        raise DontCloseSpider  # the worker closes the run when the coordinator says it is over

    def report(self, *, idle: bool) -> None:
        """Publish this worker's counters (as deltas) and, when idle, clear its busy mark; only while the run is on."""
        if self.redis.hget(self.run_keys.meta, "status") != b"running":
            return  # the coordinator ended the run (and may have deleted its keys): write nothing back
        totals: dict[str, int] = {}
        for source in (self.counts, self.sink.stats):
            for key, value in source.items():
                totals[key] = totals.get(key, 0) + int(value)
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        for key in SUMMED_SCRAPY_STATS:
            if isinstance(stats.get(key), int):
                totals[key] = int(stats[key])
        pipe = self.redis.pipeline(transaction=True)
        for key, value in totals.items():
            delta = value - self._pushed.get(key, 0)
            if delta:
                pipe.hincrby(self.run_keys.counts, key, delta)
        pipe.hset(self.run_keys.responses, self.worker_id, totals.get("downloader/response_count", 0))
        if self.warc is not None:
            pipe.sadd(self.run_keys.warcs, self.warc.relative_path)
        if idle:
            pipe.hset(self.run_keys.busy, self.worker_id, 0)
        for key in (self.run_keys.counts, self.run_keys.responses, self.run_keys.warcs, self.run_keys.busy):
            pipe.expire(key, KEYS_TTL_SECONDS)  # bounded even if a write races the coordinator's clean-up
        pipe.execute()
        self._pushed = totals

    def closed(self, reason: str) -> None:
        """Flush and close this worker's files; the coordinator writes the SectionCrawl rows."""
        try:
            self.sink.flush()  # the counters were published when the engine went idle
        finally:
            if self.warc is not None:
                self.warc.close()
