"""Redis key names of the distributed crawl (one place, so coordinator and workers agree)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RunKeys:
    """Keys of one CrawlRun; ``prefix`` is ``[scale] key_prefix``."""

    prefix: str
    run_id: int

    def _k(self, name: str) -> str:
        return f"{self.prefix}:run:{self.run_id}:{name}"

    @property
    def meta(self) -> str:  # hash: site_id, crawl_day, status (running | done | cancelled)
        return self._k("meta")

    @property
    def requests(self) -> str:  # sorted set: scrapy-redis PriorityQueue
        return self._k("requests")

    @property
    def dupefilter(self) -> str:  # set: scrapy-redis RFPDupeFilter fingerprints
        return self._k("dupefilter")

    @property
    def busy(self) -> str:  # hash: worker id -> 1 while it holds a popped request, 0 when idle
        return self._k("busy")

    def claims(self, worker_id: str) -> str:  # hash: claim id -> "<score>|<request>" popped by this worker, not done
        return self._k(f"claims:{worker_id}")

    @property
    def claims_pattern(self) -> str:  # SCAN pattern of every worker's claims hash
        return self._k("claims:*")

    @property
    def claim_seq(self) -> str:  # counter: claim ids
        return self._k("claimseq")

    @property
    def sections(self) -> str:  # hash: section id -> JSON of the spider's SectionState
        return self._k("sections")

    @property
    def counts(self) -> str:  # hash: counter -> summed int (spider counts, sink stats, Scrapy stats)
        return self._k("counts")

    @property
    def responses(self) -> str:  # hash: worker id -> responses it downloaded
        return self._k("responses")

    @property
    def warcs(self) -> str:  # set: WARC files (relative to evidence_dir) the workers wrote
        return self._k("warcs")

    def all(self) -> list[str]:
        """The fixed keys (the per-worker claims hashes are found with ``claims_pattern``)."""
        return [self.meta, self.requests, self.dupefilter, self.busy, self.sections, self.counts,
                self.responses, self.warcs, self.claim_seq]


def runs_key(prefix: str) -> str:
    """Set of run ids the workers should attach to."""
    return f"{prefix}:runs"


def worker_key(prefix: str, worker_id: str) -> str:
    """Heartbeat of one worker (expires when the worker stops refreshing it)."""
    return f"{prefix}:worker:{worker_id}"
