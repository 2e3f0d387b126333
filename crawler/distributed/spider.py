"""The site spider as one of several workers: requests come from a shared scrapy-redis queue,
section state lives in Redis, and the coordinator (not the spider) writes the SectionCrawl rows.

Every request a worker pops is claimed (``crawler.distributed.claims``): once it is handled, the
worker flushes its rows and commits it — follow-up requests, changed section states and counters
enter Redis together with the release of the claim, in one Lua script (``CommitMiddleware`` does
this for callbacks, the errbacks below for failures). The worker marks itself idle only when its
Scrapy engine is idle, so "queue empty and nobody busy" means the run is complete; a dead worker's
claims go back to the queue (see the coordinator).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Request, Response
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from twisted.python.failure import Failure

from crawler.distributed import claims
from crawler.distributed.claims import CLAIM_META, KEYS_TTL_SECONDS, STATES_META
from crawler.distributed.keys import RunKeys
from crawler.distributed.state import state_from_json, state_to_json
from crawler.spider import SectionState, SiteSpider
from store.models import HOME_SECTION

log = logging.getLogger(__name__)

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
# Handled requests are committed together (one flush, one script): this many, or after this long.
COMMIT_BATCH = 50
COMMIT_MAX_AGE_SECONDS = 0.5


class ClaimingPriorityQueue(PriorityQueue):
    """scrapy-redis PriorityQueue whose pop claims the request for the popping worker (and marks it busy)."""

    def pop(self, timeout: int = 0) -> Request | None:
        spider = self.spider
        found = claims.pop_and_claim(self.server, spider.run_keys, spider.worker_id)
        if found is None:
            return None
        claim, data = found
        request = self._decode_request(data)
        request.meta[CLAIM_META] = claim
        return request

    def push(self, request: Request) -> None:
        """A claimed request that Scrapy schedules again (redirect, retry) moves to the queue with its claim:
        the claim is released and the new request pushed in one commit (the dupefilter is checked there)."""
        claim = request.meta.pop(CLAIM_META, None)
        if claim is None:
            super().push(request)
            return
        spider = self.spider
        fingerprint = "" if request.dont_filter else spider.crawler.engine.scheduler.df.request_fingerprint(request)
        spider.commit({CLAIM_META: claim}, [], {}, pushed=[(fingerprint, -request.priority, self.encode(request))])

    def encode(self, request: Request) -> bytes:
        return self._encode_request(request)


class ClaimingDupeFilter(RFPDupeFilter):
    """scrapy-redis RFPDupeFilter that leaves a rescheduled claimed request to the queue's commit (atomic)."""

    def request_seen(self, request: Request) -> bool:
        if CLAIM_META in request.meta:
            return False
        return super().request_seen(request)


class DistributedSiteSpider(SiteSpider):
    """SiteSpider whose state is shared through Redis; see the module docstring."""

    name = "zwgk_site_redis"

    def __init__(self, *, redis: Any, run_keys: RunKeys, worker_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.redis = redis
        self.run_keys = run_keys
        self.worker_id = worker_id
        self._pushed: dict[str, int] = {}
        self._handled: list[claims.Handled] = []  # handled requests not yet committed
        self._handled_since = 0.0

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
        response.meta[STATES_META] = {HOME_SECTION: state_to_json(st)}  # saved by the commit
        return out

    def home_failed(self, failure: Failure) -> None:
        st = self._load(HOME_SECTION)
        super().home_failed(failure)
        self.commit(failure.request.meta, [], {HOME_SECTION: state_to_json(st)})  # type: ignore[attr-defined]

    def parse_list(self, response: Response) -> list[Any]:
        section_id = response.meta["section"]
        self._load(section_id)
        out = list(super().parse_list(response))
        response.meta[STATES_META] = {section_id: state_to_json(self.sections[section_id])}
        return out

    def list_failed(self, failure: Failure) -> None:
        section_id = failure.request.meta["section"]  # type: ignore[attr-defined]
        self._load(section_id)
        super().list_failed(failure)
        self.commit(failure.request.meta, [], {section_id: state_to_json(self.sections[section_id])})  # type: ignore[attr-defined]

    def parse_article(self, response: Response) -> list[Any]:
        """A list, so that the commit sees every follow-up (the page row is flushed before they leave)."""
        return list(super().parse_article(response))

    def article_failed(self, failure: Failure) -> None:
        super().article_failed(failure)
        self.commit(failure.request.meta, [], {})  # type: ignore[attr-defined]

    def attachment_failed(self, failure: Failure) -> None:
        super().attachment_failed(failure)
        self.commit(failure.request.meta, [], {})  # type: ignore[attr-defined]

    # ------------------------------------------------------------------ commit a handled request

    def commit(self, meta: Mapping[str, Any], requests: Sequence[Request], states: Mapping[str, str], *,
               pushed: Sequence[tuple[str, float, bytes]] = ()) -> list[Request]:
        """Queue the handled request's commit (its claim, follow-ups and changed section states).

        ``pushed`` are follow-ups already encoded (fingerprint or "" for dont_filter, score, data).
        Returns the requests Scrapy should still schedule itself: none, unless the request was not
        claimed from the shared queue (then the rows are flushed and the states saved at once).
        """
        claim = meta.get(CLAIM_META)
        if claim is None:
            self.sink.flush()
            if states:
                self.redis.hset(self.run_keys.sections, mapping=dict(states))
            return list(requests)
        scheduler = self.crawler.engine.scheduler
        encoded = [*pushed, *(("" if r.dont_filter else scheduler.df.request_fingerprint(r), -r.priority,
                               scheduler.queue.encode(r)) for r in requests)]
        if not self._handled:
            self._handled_since = time.monotonic()
        self._handled.append(claims.Handled(claim, encoded, dict(states)))
        self.commit_handled(COMMIT_MAX_AGE_SECONDS if len(self._handled) < COMMIT_BATCH else 0.0)
        return []

    def commit_handled(self, max_age: float = 0.0) -> None:
        """Flush the rows, then commit the handled requests (when the oldest waited ``max_age`` seconds)."""
        if not self._handled or time.monotonic() - self._handled_since < max_age:
            return
        handled, self._handled = self._handled, []
        try:
            self.sink.flush()  # rows first: a committed request's work is stored
            totals = self._totals()
            deltas = {k: v - self._pushed.get(k, 0) for k, v in totals.items() if v != self._pushed.get(k, 0)}
            added, lost = claims.commit(self.redis, self.run_keys, self.worker_id, handled, deltas)
        except Exception:
            self._handled[:0] = handled  # try again later (the claims are still held)
            raise
        if lost:
            log.warning("抓取节点 %s：%s 个请求已不归本节点（曾被判定失联而交回队列，或本次抓取已结束），其结果不再提交",
                        self.worker_id, lost)
        if lost < len(handled):
            self._pushed = totals
        if added:
            slot = getattr(self.crawler.engine, "_slot", None)  # take the new requests now, not at the next poll
            if slot is not None:
                slot.nextcall.schedule()

    def _article_request(self, st: SectionState, item: Any) -> Request | None:
        """Articles are deduplicated across workers by the run's RFPDupeFilter (same URL listed twice)."""
        request = super()._article_request(st, item)
        return request.replace(dont_filter=False) if request is not None else None

    # ------------------------------------------------------------------ engine signals

    def _on_engine_started(self) -> None:
        # Scrapy re-polls the scheduler on a 5 s heartbeat; other workers' requests should not wait that long.
        self.crawler.engine._SLOT_HEARTBEAT_INTERVAL = IDLE_POLL_SECONDS  # noqa: SLF001

    def _on_idle(self) -> None:
        """Engine idle: commit what was handled, publish counters, then (last) mark this worker idle for the run."""
        try:
            self.commit_handled()
            self.sink.flush()
            self.report(idle=True)
        except Exception:  # noqa: BLE001 - stay busy; the coordinator's timeout covers a lasting failure
            log.exception("抓取节点 %s：上报空闲状态失败", self.worker_id)
        raise DontCloseSpider  # the worker closes the run when the coordinator says it is over

    def _totals(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for source in (self.counts, self.sink.stats):
            for key, value in source.items():
                totals[key] = totals.get(key, 0) + int(value)
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        for key in SUMMED_SCRAPY_STATS:
            if isinstance(stats.get(key), int):
                totals[key] = int(stats[key])
        return totals

    def report(self, *, idle: bool) -> None:
        """Publish this worker's counters (as deltas) and, when idle, clear its busy mark and claims (every
        request it popped was handled; one whose callback raised is not retried, as in the embedded crawl);
        only while the run is on."""
        if self.redis.hget(self.run_keys.meta, "status") != b"running":
            return  # the coordinator ended the run (and may have deleted its keys): write nothing back
        totals = self._totals()
        pipe = self.redis.pipeline(transaction=True)
        for key, value in totals.items():
            delta = value - self._pushed.get(key, 0)
            if delta:
                pipe.hincrby(self.run_keys.counts, key, delta)
        pipe.hset(self.run_keys.responses, self.worker_id, totals.get("downloader/response_count", 0))
        if self.warc is not None:
            pipe.sadd(self.run_keys.warcs, self.warc.relative_path)
        if idle:
            pipe.delete(self.run_keys.claims(self.worker_id))
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
