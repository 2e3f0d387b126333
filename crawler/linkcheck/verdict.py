"""Confirmation before blame: the verdict of a link from this run's checks and its history (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from crawler.linkcheck.classify import FAILURE_REASONS, OK, REFUSED_REASONS


@dataclass(frozen=True)
class RunCheck:
    """One check of a link in this run (HEAD/GET attempts folded into one reason)."""

    reason: str
    at: float  # monotonic seconds


@dataclass(frozen=True)
class Verdict:
    verdict: str  # ok | suspect | broken | blocked | unknown
    reason: str
    consecutive_failures: int


def decide(
    checks: list[RunCheck],
    previous_failures: int,
    *,
    confirm_runs: int,
    recheck_delay: float,
) -> Verdict:
    """Fold this run's checks into a verdict.

    - the last check is OK: ``ok``, the failure count resets;
    - our client was refused (bot wall, 429): ``blocked``, the count is left as it was;
    - a failure adds one to the count of consecutive failing runs; the link is ``broken`` when
      that reaches ``confirm_runs`` or when two checks at least ``recheck_delay`` apart in this
      run both failed; otherwise it is ``suspect``.
    """
    if not checks:
        return Verdict("unknown", "not_checked", previous_failures)
    last = checks[-1]
    if last.reason == OK:
        return Verdict("ok", OK, 0)
    if last.reason in REFUSED_REASONS:
        return Verdict("blocked", last.reason, previous_failures)
    if last.reason not in FAILURE_REASONS:
        return Verdict("unknown", last.reason, previous_failures)
    failures = previous_failures + 1
    failing = [c for c in checks if c.reason in FAILURE_REASONS]
    confirmed_in_run = len(failing) >= 2 and failing[-1].at - failing[0].at >= recheck_delay > 0
    broken = failures >= confirm_runs or confirmed_in_run
    return Verdict("broken" if broken else "suspect", last.reason, failures)


def needs_recheck(
    first: RunCheck, previous_failures: int, *, confirm_runs: int, recheck_delay: float
) -> bool:
    """Whether a failing link is checked again later in the same run (it could be confirmed now)."""
    return recheck_delay > 0 and first.reason in FAILURE_REASONS and previous_failures + 1 < confirm_runs
