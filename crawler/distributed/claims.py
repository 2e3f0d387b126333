"""Requests in flight, per worker: a dead worker's requests go back to the run's queue.

Popping a request moves it (with its queue score) into the popping worker's claims hash and marks the
worker busy, in one Lua script. Handled requests are committed in batches (every 50 requests or
0.5 s, and whenever the worker goes idle): the worker flushes their rows to the database, then one
more script releases their claims and, in the same atomic step, pushes their follow-up requests
(through the run's dupefilter), saves the section states they changed and adds the worker's
counters. So a request either has all its effects in Redis or is still claimed.

The coordinator puts the claims of a worker whose heartbeat expired back into the queue
(``requeue``), where a live worker pops them again; the section states and dupefilter are those of
the last commit, so the redone request gives what the first attempt would have given. The rows of a
request that was flushed but not yet committed (the worker died between the two) are written again:
pages, items and links are upserts, and a list page already stored for the run keeps its first
snapshot row (``Sink(reuse_snapshots=True)``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from crawler.distributed.keys import RunKeys

CLAIM_META = "zwgk_claim"  # request.meta key: the claim id of a popped request
STATES_META = "zwgk_states"  # response.meta key: section id -> state JSON to save with the commit
KEYS_TTL_SECONDS = 7 * 86400  # claims expire even if no coordinator deletes them

# KEYS: queue, busy, claims, claim_seq; ARGV: worker id, ttl.
# The best request is the lowest score (scrapy-redis pushes -priority).
_POP_AND_CLAIM = """
local r = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #r == 0 then return false end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
local id = redis.call('INCR', KEYS[4])
redis.call('HSET', KEYS[3], id, r[2] .. '|' .. r[1])
redis.call('EXPIRE', KEYS[3], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], 1)
return {id, r[1]}
"""

# KEYS: claims, queue, dupefilter, sections, counts
# ARGV: c, c x (claim id, n, n x (fingerprint or "" for dont_filter, score, request), m, m x (section, state)),
#       k, k x (counter, delta). Each claim still held is released with its effects; a claim that is gone (the
#       coordinator requeued it: another worker redoes it) is skipped with its effects. The counters are added
#       when at least one claim was committed. Returns {requests pushed, claims skipped}.
_COMMIT = """
local i = 1
local c = tonumber(ARGV[i]); i = i + 1
local pushed, lost = 0, 0
for _ = 1, c do
  local held = redis.call('HDEL', KEYS[1], ARGV[i]) == 1
  if not held then lost = lost + 1 end
  i = i + 1
  local n = tonumber(ARGV[i]); i = i + 1
  for _ = 1, n do
    local fp, score, data = ARGV[i], ARGV[i + 1], ARGV[i + 2]
    i = i + 3
    if held and (fp == '' or redis.call('SADD', KEYS[3], fp) == 1) then
      redis.call('ZADD', KEYS[2], score, data)
      pushed = pushed + 1
    end
  end
  n = tonumber(ARGV[i]); i = i + 1
  for _ = 1, n do
    if held then redis.call('HSET', KEYS[4], ARGV[i], ARGV[i + 1]) end
    i = i + 2
  end
end
local k = tonumber(ARGV[i]); i = i + 1
for _ = 1, k do
  if lost < c then redis.call('HINCRBY', KEYS[5], ARGV[i], ARGV[i + 1]) end
  i = i + 2
end
return {pushed, lost}
"""

# KEYS: claims, queue, busy; ARGV: worker id. Returns the number of requests put back.
_REQUEUE = """
local all = redis.call('HGETALL', KEYS[1])
local n = 0
for i = 1, #all, 2 do
  local v = all[i + 1]
  local sep = string.find(v, '|', 1, true)
  redis.call('ZADD', KEYS[2], string.sub(v, 1, sep - 1), string.sub(v, sep + 1))
  n = n + 1
end
redis.call('DEL', KEYS[1])
redis.call('HDEL', KEYS[3], ARGV[1])
return n
"""


def pop_and_claim(server: Any, keys: RunKeys, worker_id: str) -> tuple[str, bytes] | None:
    """Pop the best request and claim it for the worker: (claim id, encoded request), or None."""
    found = server.eval(_POP_AND_CLAIM, 4, keys.requests, keys.busy, keys.claims(worker_id), keys.claim_seq,
                        worker_id, KEYS_TTL_SECONDS)
    if not found:
        return None
    claim, data = found
    return (claim.decode() if isinstance(claim, bytes) else str(claim)), data


@dataclass
class Handled:
    """One handled request waiting for the commit: its claim, encoded follow-ups and changed section states."""

    claim: str
    requests: Sequence[tuple[str, float, bytes]] = ()  # (fingerprint or "" for dont_filter, score, data)
    states: Mapping[str, str] = field(default_factory=dict)  # section id -> state JSON


def commit(server: Any, keys: RunKeys, worker_id: str, handled: Sequence[Handled],
           counts: Mapping[str, int]) -> tuple[int, int]:
    """Release the claims with their effects (see the module docstring): (requests pushed, claims found requeued)."""
    args: list[Any] = [len(handled)]
    for h in handled:
        args += [h.claim, len(h.requests)]
        for fingerprint, score, data in h.requests:
            args += [fingerprint, repr(float(score)), data]
        args.append(len(h.states))
        for section_id, text in h.states.items():
            args += [section_id, text]
    args.append(len(counts))
    for key, delta in counts.items():
        args += [key, int(delta)]
    pushed, lost = server.eval(_COMMIT, 5, keys.claims(worker_id), keys.requests, keys.dupefilter, keys.sections,
                               keys.counts, *args)
    return int(pushed), int(lost)


def requeue(server: Any, keys: RunKeys, worker_id: str) -> int:
    """Put every request the worker claimed back in the run's queue and clear its busy mark."""
    return int(server.eval(_REQUEUE, 3, keys.claims(worker_id), keys.requests, keys.busy, worker_id))


def claimed(server: Any, keys: RunKeys) -> dict[str, int]:
    """Worker id -> requests it holds (popped, not committed) in this run."""
    prefix = keys.claims("")
    out = {}
    for key in server.scan_iter(match=keys.claims_pattern, count=100):
        name = key.decode() if isinstance(key, bytes) else key
        out[name[len(prefix):]] = int(server.hlen(key))
    return {w: n for w, n in out.items() if n}
