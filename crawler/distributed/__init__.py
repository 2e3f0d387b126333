"""Distributed crawl over Redis (scrapy-redis): a coordinator seeds each run's requests into a
shared queue, ``zwgk crawl-worker`` processes (on this or other machines) pop and crawl them,
and the coordinator finishes the CrawlRun when the queue is empty and no worker holds a request.

Off unless ``[scale] redis_url`` (or the environment variable ZWGK_REDIS_URL) is set; the embedded
one-process-per-site crawl in ``crawler.runner`` stays the default.
"""

from __future__ import annotations

import os

from zwgk.config import REDIS_URL_ENV, Config

__all__ = ["REDIS_URL_ENV", "redis_url"]


def redis_url(config: Config) -> str:
    """The Redis URL to use: ZWGK_REDIS_URL when set, else ``[scale] redis_url`` ("" = embedded mode)."""
    return os.environ.get(REDIS_URL_ENV, "").strip() or config.scale.redis_url
