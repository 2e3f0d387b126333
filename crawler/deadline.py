"""Downloader middleware: no download of a site outlives the site's time budget.

Several sites share one worker process (crawler/worker.py). When a site's time is up its spider is
closed, and Scrapy waits for the downloads in flight; capping each download's timeout at the time
left means a site that hangs is stopped at its deadline (not ``DOWNLOAD_TIMEOUT`` later) while the
other sites in the worker go on.
"""

from __future__ import annotations

import time
from typing import Any

# Settings key: the site's deadline on this process's time.monotonic() clock.
DEADLINE_SETTING = "ZWGK_SITE_DEADLINE"
MIN_TIMEOUT = 0.5


class SiteDeadlineMiddleware:
    def __init__(self, deadline: float | None) -> None:
        self.deadline = deadline

    @classmethod
    def from_crawler(cls, crawler: Any) -> SiteDeadlineMiddleware:
        value = crawler.settings.getfloat(DEADLINE_SETTING, 0.0)
        return cls(value or None)

    def process_request(self, request: Any, spider: Any = None) -> None:
        if self.deadline is None:
            return None
        left = max(MIN_TIMEOUT, self.deadline - time.monotonic())
        current = request.meta.get("download_timeout")
        if not current or current > left:
            request.meta["download_timeout"] = left
        return None
