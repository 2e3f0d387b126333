"""How far back the crawler must read a section's list so that its own rule can be judged.

``[crawl] horizon_days`` (default 400) covers weekly, monthly and the freshness windows; a yearly
rule judges several past reports (e.g. the 年报 for the last three years), whose publications can
be older. The crawler reads such a section back to the first day of the oldest period judged.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from checks.packs import Registry
    from zwgk.config import SectionConfig

SLACK_DAYS = 31  # a report published a little before its period ends still counts


def days_needed(registry: Registry, section: SectionConfig, as_of: dt.date) -> int:
    """Days before ``as_of`` the section's own rule looks at (0 when it needs nothing special)."""
    from checks.kinds.cadence import KIND, oldest_judged_day

    indicator = registry.indicators.get(section.indicator)
    if indicator is None or indicator.kind != KIND:
        return 0
    params = {**indicator.params, **(section.params or {})}
    try:
        start = oldest_judged_day(params, as_of)
    except (KeyError, ValueError, TypeError):  # a bad parameter is reported by the check itself
        return 0
    return (as_of - start).days + SLACK_DAYS
