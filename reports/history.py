"""Report rows as they stood for a past day (``store.history``): a report regenerated for an earlier
day shows each finding as it was then, not as later checks left it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from reports.queries import FINDING_COLUMNS
from store.history import past_states

_ID, _STATUS, _MESSAGE, _RESOLVED, _REOPENED = (
    FINDING_COLUMNS.index(c) for c in ("id", "status", "message", "resolved_at", "reopened_count")
)


def rewind(session: Session, findings: Sequence[Sequence[Any]], as_of: dt.date, until_utc: dt.datetime
           ) -> Sequence[Sequence[Any]]:
    """``findings`` (``reports.queries.findings_known_by`` rows) as they stood for ``as_of``, whose end is
    ``until_utc`` (naive UTC); rows of findings no later day changed are returned as they are."""
    states = past_states(session, as_of, until_utc)
    if not states:
        return findings
    out: list[Sequence[Any]] = []
    for row in findings:
        state = states.get(row[_ID])
        if state is None:
            out.append(row)
            continue
        fixed = list(row)
        fixed[_STATUS] = state.status
        if state.message:
            fixed[_MESSAGE] = state.message
        fixed[_RESOLVED] = state.resolved_at
        fixed[_REOPENED] = max(0, (row[_REOPENED] or 0) - state.reopened_later)
        out.append(tuple(fixed))
    return out
