"""Site batches judged in worker processes (one per core); the caller records them in order.

Each worker opens its own connection to the database (never the parent's), loads one batch of
sites at a time, runs ``checks.engine.evaluate`` on it and, when the run records, reads the stored
findings of the batch's keys and works out the lifecycle rows (``checks.lifecycle.plan_batch``);
it sends the results and those rows back pickled. The
batches come back in their original order (``Pool.imap``), so a caller that records them one by
one writes findings and events exactly as the serial loop does. Writing stays in the caller:
SQLite takes one writer at a time, and the lifecycle of a key depends on the order of writes.

Workers are forked when the caller has no other thread (cheap: modules and config are shared
copy-on-write); with threads (the scheduler) they come from a fork server, since forking a
threaded process can copy a lock that some other thread holds.
"""

from __future__ import annotations

import datetime as dt
import gc
import multiprocessing
import os
import threading
from collections.abc import Iterator
from itertools import starmap
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from checks.engine import FindingResult
    from checks.lifecycle import Plan
    from checks.packs import Registry
    from zwgk.config import Config, SiteConfig

_state: dict[str, Any] = {}  # the worker's own config, registry, calendar and database


def worker_count(url: str, batches: int, requested: int | None = None) -> int:
    """How many worker processes to use: 0 (judge in this process) for one batch, an in-memory
    SQLite database or a single core; else one per core, at most one per batch."""
    if requested is not None:
        return max(0, min(requested, batches))
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
        return 0
    if batches < 2:
        return 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return 0 if cores < 2 else min(cores, batches)


def start_method() -> str:
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


def _init(config: Config, registry: Registry, url: str, as_of: dt.date, cutoff: dt.datetime,
          section_id: str | None, now: dt.datetime | None) -> None:
    from checks.calendar import WorkCalendar
    from store.db import Database

    _state.update(config=config, registry=registry, as_of=as_of, cutoff=cutoff, section_id=section_id, now=now,
                  calendar=WorkCalendar(config.calendar), db=Database(url, run_migrations=False), batches=0)
    # The worker's garbage is acyclic but plentiful (a batch's rows and views): automatic collections
    # kept walking it and everything inherited (the config). Collected once before each batch instead.
    gc.disable()
    gc.freeze()


FULL_GC_EVERY = 10  # batches between full collections (the others collect only what was made since the last)


def _judge(sites: list[SiteConfig]) -> tuple[list[tuple[Any, ...]], Plan | None]:
    """One batch's results as tuples of their fields in constructor order (``RESULT_FIELDS``: cheaper to pickle
    and unpickle than one reduce per object; the caller rebuilds them) and its lifecycle plan."""
    from checks.engine import RESULT_FIELDS, judge_batch

    s = _state
    # The previous batch's cycles (a few hundred SQLAlchemy statement objects; its results are gone: sent). They
    # are all young: with automatic collection off, everything made since the last collection is generation 0,
    # and collecting it alone costs ≈ 0.5 ms where a full collection costs 5–10 ms. A full one now and then.
    s["batches"] += 1
    gc.collect(2 if s["batches"] % FULL_GC_EVERY == 0 else 0)
    results, plan = judge_batch(s["db"], s["registry"], sites, s["as_of"], s["calendar"], s["config"], s["cutoff"],
                                s["section_id"], s["now"])
    return list(map(attrgetter(*RESULT_FIELDS), results)), plan


def judge_in_workers(
    config: Config, registry: Registry, url: str, batches: list[list[SiteConfig]], as_of: dt.date,
    cutoff: dt.datetime, section_id: str | None, workers: int, *, method: str | None = None,
    now: dt.datetime | None = None,
) -> Iterator[tuple[list[FindingResult], Plan | None]]:
    """The results of each batch, in batch order, judged by ``workers`` processes; with ``now`` (recording)
    also the batch's lifecycle plan (``checks.lifecycle.plan_batch``) for the caller to write."""
    ctx = multiprocessing.get_context(method or start_method())
    pool = ctx.Pool(workers, initializer=_init, initargs=(config, registry, url, as_of, cutoff, section_id, now))
    from checks.engine import FindingResult

    try:
        for rows, plan in pool.imap(_judge, batches):
            yield list(starmap(FindingResult, rows)), plan
        pool.close()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()
