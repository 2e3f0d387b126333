"""Scrapy settings for one site's crawl, derived from the validated configuration."""

from __future__ import annotations

from typing import Any

from crawler.linkcheck.politeness import PolitenessParams
from zwgk.config import Config, SiteConfig

# Large enough for list and article pages; attachments get their own per-request cap.
MIN_PAGE_MAXSIZE = 30_000_000
# The only Scrapy extensions a crawl uses: Scrapy's other defaults (telnet, memory checks, feeds, JOBDIR,
# CLOSESPIDER_*, remote control) are never turned on here. Replacing the base list, not disabling them in
# EXTENSIONS, keeps them from being imported at all (Scrapy imports every listed class, even one set to
# None): RemoteControl alone imports aiohttp, ≈ 0.4–1 profiled s per worker start.
EXTENSIONS_USED = {
    "scrapy.extensions.corestats.CoreStats": 0,
    "scrapy.extensions.logcount.LogCount": 0,
    "scrapy.extensions.logstats.LogStats": 0,
    "scrapy.extensions.throttle.AutoThrottle": 0,
}


def obey_robots(config: Config, site: SiteConfig) -> bool:
    return config.crawl.obey_robots if site.obey_robots is None else site.obey_robots


def host_limits(config: Config) -> tuple[int, float]:
    """Per-host concurrency and minimum spacing shared with the link checker.

    One small county server sees both the crawler and the link checker: each
    obeys the stricter of ``[crawl]`` and ``[links]`` per-host limits.
    """
    shared = PolitenessParams.from_links(config.links)
    concurrency = min(config.crawl.concurrency_per_host, shared.per_host_concurrency)
    return concurrency, max(config.crawl.delay_seconds, shared.interval)


def scrapy_settings(config: Config, site: SiteConfig, *, log_level: str = "WARNING") -> dict[str, Any]:
    crawl = config.crawl
    per_host, delay = host_limits(config)
    return {
        "BOT_NAME": "zwgk-monitor",
        "USER_AGENT": config.general.user_agent,
        "ROBOTSTXT_OBEY": obey_robots(config, site),
        "ROBOTSTXT_USER_AGENT": config.general.user_agent,
        "CONCURRENT_REQUESTS": max(8, per_host * 2),
        "CONCURRENT_REQUESTS_PER_DOMAIN": per_host,
        "CONCURRENT_ITEMS": 10,
        # Its cache misses on bound methods: it re-parsed the callback's source for every response.
        "WARN_ON_GENERATOR_RETURN_VALUE": False,
        "DOWNLOAD_DELAY": delay,
        "RANDOMIZE_DOWNLOAD_DELAY": False,
        "DOWNLOAD_TIMEOUT": crawl.download_timeout,
        "AUTOTHROTTLE_ENABLED": crawl.autothrottle,
        "AUTOTHROTTLE_START_DELAY": delay,
        "AUTOTHROTTLE_MAX_DELAY": max(30.0, delay * 4),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(per_host),
        "RETRY_ENABLED": crawl.retry_times > 0,
        "RETRY_TIMES": crawl.retry_times,
        "REDIRECT_MAX_TIMES": 10,
        # Every status reaches the spider: a 404 or 500 is recorded with its reason, not dropped.
        "HTTPERROR_ALLOW_ALL": True,
        # The spider keeps the raw bytes for the WARC evidence and undoes gzip/deflate itself.
        "DOWNLOADER_MIDDLEWARES": {
            "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
            "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
            "crawler.middleware.SharedRobotsTxtMiddleware": 100,
        },
        "DEFAULT_REQUEST_HEADERS": {
            "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5",
            "Accept-Encoding": "gzip, deflate",
        },
        "DOWNLOAD_MAXSIZE": max(MIN_PAGE_MAXSIZE, crawl.max_attachment_bytes),
        "DOWNLOAD_WARNSIZE": 0,
        "DOWNLOAD_FAIL_ON_DATALOSS": True,
        "COOKIES_ENABLED": True,
        "TELNETCONSOLE_ENABLED": False,
        "MEMUSAGE_ENABLED": False,
        "EXTENSIONS_BASE": EXTENSIONS_USED,
        "LOG_LEVEL": log_level,
        "LOG_ENABLED": True,
        "DNSCACHE_ENABLED": True,
    }
