"""The engine: bind indicators to sections and sites, run the kinds, record findings.

Binding:
- a section runs the indicator its ``indicator`` setting names;
- indicators with ``applies_to = "sections"`` run on every section (only the listed
  ``categories`` when given), e.g. privacy, page tags, freshness windows;
- indicators with ``applies_to = "sites"`` run once per site, e.g. links, availability,
  the national veto counts.

A section whose latest SectionCrawl (captured by the end of as_of) is not ok/unchanged/empty
gets ``unknown`` with the crawl's reason for every section-scope result — same rule, period
and due as a readable crawl would have produced, so the lifecycle never mistakes it for a pass.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from checks.calendar import WorkCalendar
from checks.kinds import get_kind
from checks.model import Context, Outcome, SectionData, SiteData
from checks.packs import Indicator, Registry, load_registry
from checks.queries import day_end_utc, load_sites
from store.models import utcnow

if TYPE_CHECKING:
    from checks.lifecycle import Plan
    from store.db import Database
    from zwgk.config import Config, SiteConfig

log = logging.getLogger(__name__)


@dataclass(slots=True)
class FindingResult:
    """One verdict of one rule on one section or site for one period (see ARCHITECTURE.md)."""

    rule: str
    kind: str
    site: str | None
    section: str | None
    department: str | None
    status: str  # pass | fail | warn | unknown
    period: str | None
    due: dt.date | None
    message: str
    evidence: list[dict[str, Any]] = field(default_factory=list)
    uncertain: bool = False
    severity: str = "deduct"
    details: dict[str, Any] = field(default_factory=dict)
    name: str = ""  # the indicator's name (for people)

    @property
    def key(self) -> str:
        return finding_key(self.rule, self.site, self.section, self.period)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # Pickled as the constructor's arguments (the default slots state costs ~25 % more). The worker
        # processes send plain tuples of these fields instead (``RESULT_FIELDS``, checks.workers): cheaper still.
        return (FindingResult, (self.rule, self.kind, self.site, self.section, self.department, self.status,
                                self.period, self.due, self.message, self.evidence, self.uncertain, self.severity,
                                self.details, self.name))


# The constructor's arguments in order (what ``__reduce__`` pickles; checks.workers sends results as these tuples).
RESULT_FIELDS = tuple(f.name for f in fields(FindingResult))


def finding_key(rule: str, site: str | None, section: str | None, period: str | None) -> str:
    return f"{rule}|{site or ''}|{section or ''}|{period or ''}"


SITE_BATCH = 50  # sites loaded per round of queries in run_checks
PAGE_KINDS = ("privacy", "metadata")  # need article pages; skipped section-wide when pages are not fetched


def bound_indicators(registry: Registry, section: SectionData, *, pages: bool = True) -> list[Indicator]:
    """The section's own indicator plus every section-wide one that fits its category."""
    out: list[Indicator] = []
    own = registry.indicators.get(section.config.indicator)
    if own is not None:
        out.append(own)
    for ind in registry.indicators.values():
        if ind.applies_to != "sections" or ind is own:
            continue
        if ind.categories and (section.config.category or "") not in ind.categories:
            continue
        if not pages and ind.kind in PAGE_KINDS:
            continue
        out.append(ind)
    return out


def site_indicators(registry: Registry) -> list[Indicator]:
    return [ind for ind in registry.indicators.values() if ind.applies_to == "sites"]


def _results(ind: Indicator, site: SiteData, section: SectionData | None,
             outcomes: list[Outcome]) -> list[FindingResult]:
    """The rule's outcomes as results: an info-level rule's fail reads warn (it reports, it never fails a
    site); section and department default to the section's (the site's department for site scope); on a
    section, a verdict with no evidence of its own cites the list pages (a verdict of absence, "未公开", is
    judged on them)."""
    rule, kind, severity, name = ind.id, ind.kind, ind.severity, ind.name
    info = severity == "info"
    site_id = site.config.id
    if section is not None:
        section_id, department, listed = section.config.id, section.config.department, section.list_evidence
    else:
        section_id, department, listed = None, site.config.department, None
    out = []
    for o in outcomes:
        status = o.status
        if info and status == "fail":
            status = "warn"
        evidence = o.evidence
        if not evidence and listed is not None:
            evidence = list(listed)
        out.append(FindingResult(rule, kind, site_id, o.section if o.section is not None else section_id,
                                 o.department or department, status, o.period, o.due, o.message, evidence,
                                 o.uncertain, severity, o.details, name))
    return out


def _unknown(outcome: Outcome, section: SectionData) -> Outcome:
    """The same result slot, judged unknown because the section could not be read."""
    reason = section.unreadable_reason()
    crawl = section.crawl
    details = {"crawl_outcome": crawl.outcome if crawl else None, "crawl_reason": crawl.reason if crawl else None,
               "would_be": outcome.status}
    return Outcome("unknown", f"无法判断：{reason}", outcome.period, outcome.due, list(section.list_evidence),
                   outcome.uncertain, details)


def evaluate_section(
    ind: Indicator, site: SiteData, section: SectionData, ctx: Context, *, bound: bool = True
) -> list[FindingResult]:
    spec = get_kind(ind.kind)
    try:
        outcomes = spec.fn(ind, section, ctx)
    except Exception as exc:  # a broken rule must not hide the others
        log.exception("rule %s failed on %s/%s", ind.id, site.config.id, section.config.id)
        outcomes = [Outcome("unknown", f"规则执行出错：{type(exc).__name__}: {exc}")]
    if not section.readable:
        outcomes = [_unknown(o, section) for o in outcomes]
        if not outcomes and bound:  # the section's own rule always reports the blind spot
            outcomes = [Outcome("unknown", f"无法判断：{section.unreadable_reason()}",
                                evidence=list(section.list_evidence))]
    return _results(ind, site, section, outcomes)


def evaluate_site(ind: Indicator, site: SiteData, ctx: Context) -> list[FindingResult]:
    spec = get_kind(ind.kind)
    try:
        outcomes = spec.fn(ind, site, ctx)
    except Exception as exc:
        log.exception("rule %s failed on %s", ind.id, site.config.id)
        outcomes = [Outcome("unknown", f"规则执行出错：{type(exc).__name__}: {exc}")]
    return _results(ind, site, None, outcomes)


def evaluate(
    registry: Registry, sites: list[SiteData], as_of: dt.date, calendar: WorkCalendar, *,
    config: Config | None = None, cutoff: dt.datetime | None = None, section_id: str | None = None,
) -> list[FindingResult]:
    """Run every bound indicator over already loaded site data (pure: no database, no clock)."""
    results: list[FindingResult] = []
    pages = config is None or config.crawl.fetch_articles
    bound: dict[tuple[str | None, str], list[Indicator]] = {}  # bound_indicators per (own indicator, category)
    per_site = site_indicators(registry)
    for site in sites:
        ctx = Context(as_of, calendar, config, registry, cutoff, site)  # the same for every section of the site
        for section in site.sections:
            if section_id and section.config.id != section_id:
                continue
            conf = section.config
            shape = (conf.indicator, conf.category or "")
            inds = bound.get(shape)
            if inds is None:
                inds = bound[shape] = bound_indicators(registry, section, pages=pages)
            for ind in inds:
                results.extend(evaluate_section(ind, site, section, ctx, bound=ind.id == conf.indicator))
        if section_id:
            continue  # a single-section audit runs only the section's rules
        for ind in per_site:
            results.extend(evaluate_site(ind, site, ctx))
    return results


def iter_checks(
    config: Config,
    db: Database,
    as_of: dt.date,
    *,
    site_id: str | None = None,
    section_id: str | None = None,
    record: bool = True,
    registry: Registry | None = None,
    workers: int | None = None,
    evidence_until: dt.datetime | None = None,
) -> Iterator[list[FindingResult]]:
    """``run_checks`` batch by batch: yields each site batch's results once they are recorded.

    Sites are loaded, judged and recorded in batches of ``SITE_BATCH``: a few queries per batch,
    and only one batch of items, pages and stored findings in memory at a time. Each batch's
    lifecycle update is its own short transaction (crawlers writing meanwhile wait only that
    long); a run that stops half-way is completed by running it again (same as_of: same outcome).
    With several batches and cores the batches are judged in worker processes
    (``checks.workers``; ``workers=0`` judges here) and recorded here, in the same order: the
    judging side also works out each batch's lifecycle rows (``checks.lifecycle.plan_batch``),
    this side only writes them.
    """
    registry = registry or load_registry(config)
    calendar = WorkCalendar(config.calendar)
    cutoff = evidence_until or day_end_utc(as_of, config.general.tz)
    sites = [s for s in config.sites if site_id is None or s.id == site_id]
    if site_id is not None and not sites:
        raise KeyError(site_id)
    from checks.lifecycle import write_plan
    from checks.workers import judge_in_workers, worker_count

    now = utcnow() if record else None
    batches = [sites[start:start + SITE_BATCH] for start in range(0, len(sites), SITE_BATCH)]
    count = worker_count(db.url, len(batches), workers)
    if count:
        judged = judge_in_workers(config, registry, db.url, batches, as_of, cutoff, section_id, count, now=now)
    else:
        judged = (judge_batch(db, registry, batch, as_of, calendar, config, cutoff, section_id, now)
                  for batch in batches)
    # No cyclic garbage collection while batches are judged, unpickled and written: the runs build
    # millions of small acyclic containers, and every full collection walked all results kept so far
    # (≈ 25 % of the CPU at 200 sites). The caller's own code between batches runs with it on.
    paused = gc.isenabled()
    gc.disable()
    try:
        for results, plan in judged:
            if plan is not None:
                with db.session() as session:
                    write_plan(session, plan)
            if paused:
                gc.enable()
            try:
                yield results
            finally:
                gc.disable()
    finally:
        if paused:
            gc.enable()


def judge_batch(db: Database, registry: Registry, sites: list[SiteConfig], as_of: dt.date, calendar: WorkCalendar,
                config: Config, cutoff: dt.datetime, section_id: str | None,
                now: dt.datetime | None) -> tuple[list[FindingResult], Plan | None]:
    """Load and judge one batch of sites; with ``now`` (the run records) also plan its lifecycle update.

    The plan reads the stored findings of the batch's own keys, which no other batch writes, so it
    may be made while the recording process is still writing earlier batches.
    """
    from checks.lifecycle import plan_batch

    with db.session() as session:
        data = load_sites(session, sites, cutoff)
        results = evaluate(registry, data, as_of, calendar, config=config, cutoff=cutoff, section_id=section_id)
        plan = plan_batch(session, results, as_of, now) if now is not None else None
    return results, plan


def run_checks(
    config: Config,
    db: Database,
    as_of: dt.date,
    *,
    site_id: str | None = None,
    section_id: str | None = None,
    record: bool = True,
    registry: Registry | None = None,
    workers: int | None = None,
    evidence_until: dt.datetime | None = None,
) -> list[FindingResult]:
    """Judge what was stored by the end of ``as_of``; with ``record`` update the findings lifecycle.

    ``evidence_until`` (naive UTC) replaces the end of the day as the evidence cutoff: the demo judges
    its site's date with the crawl it has just made, even when that crawl ran past midnight or the
    site's date is a chosen past day."""
    results: list[FindingResult] = []
    paused = gc.isenabled()
    gc.disable()  # for the whole run (see iter_checks): collecting the growing list is what costs
    try:
        for batch in iter_checks(config, db, as_of, site_id=site_id, section_id=section_id, record=record,
                                 registry=registry, workers=workers, evidence_until=evidence_until):
            results += batch
    finally:
        if paused:
            gc.enable()
    return results
