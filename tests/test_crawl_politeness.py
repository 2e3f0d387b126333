"""The crawler and the link checker share one per-host limit: the stricter of [crawl] and [links]."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from crawler.linkcheck.politeness import PolitenessParams
from crawler.settings import scrapy_settings
from zwgk.config import load_config

ROOT = Path(__file__).resolve().parent.parent


def test_crawler_obeys_the_link_checkers_per_host_limits() -> None:
    config = load_config(ROOT / "settings.toml")
    site = config.sites[0]
    strict = dataclasses.replace(
        config,
        crawl=dataclasses.replace(config.crawl, concurrency_per_host=8, delay_seconds=0.0),
        links=dataclasses.replace(config.links, per_host_concurrency=2, per_host_rate=4.0),
    )
    settings = scrapy_settings(strict, site)
    shared = PolitenessParams.from_links(strict.links)
    assert settings["CONCURRENT_REQUESTS_PER_DOMAIN"] == shared.per_host_concurrency == 2
    assert settings["DOWNLOAD_DELAY"] == shared.interval == 0.25
    assert settings["AUTOTHROTTLE_START_DELAY"] == 0.25


def test_stricter_crawl_settings_win() -> None:
    config = load_config(ROOT / "settings.toml")
    slow = dataclasses.replace(
        config,
        crawl=dataclasses.replace(config.crawl, concurrency_per_host=1, delay_seconds=2.0),
        links=dataclasses.replace(config.links, per_host_concurrency=16, per_host_rate=100.0),
    )
    settings = scrapy_settings(slow, config.sites[0])
    assert settings["CONCURRENT_REQUESTS_PER_DOMAIN"] == 1
    assert settings["DOWNLOAD_DELAY"] == 2.0
