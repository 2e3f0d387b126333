"""Baseline: a bare Scrapy spider that GETs a list of URLs and does nothing with the answers.

    python bench/synth/bare_spider.py URLS_FILE [URLS_FILE ...]

One crawler per file (a site's URLs), all in this process's reactor at once: one file per process is
the old "one process per site" layout, several files per process the "one process per core" layout
of the monitor's crawl workers. Same Scrapy version and per-host concurrency as the monitor's crawl;
no robots.txt, no extraction, no storage, no evidence. Prints the number of responses.
"""

from __future__ import annotations

import sys
from pathlib import Path

import scrapy
from scrapy.crawler import CrawlerProcess

SETTINGS = {
    "CONCURRENT_REQUESTS": 64,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 32,
    "ROBOTSTXT_OBEY": False,
    "HTTPERROR_ALLOW_ALL": True,
    "LOG_LEVEL": "WARNING",
    "TELNETCONSOLE_ENABLED": False,
    "RETRY_ENABLED": False,
}


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, urls: list[str], **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.urls = urls
        self.responses = 0

    async def start(self):  # type: ignore[no-untyped-def]
        for url in self.urls:
            yield scrapy.Request(url, callback=self.parse, dont_filter=True)

    def parse(self, response: scrapy.http.Response) -> None:
        self.responses += 1


def main() -> None:
    process = CrawlerProcess(settings=SETTINGS)
    crawlers = []
    for name in sys.argv[1:]:
        crawler = process.create_crawler(BareSpider)
        process.crawl(crawler, urls=Path(name).read_text(encoding="utf-8").split())
        crawlers.append(crawler)
    process.start()
    print(sum(c.spider.responses for c in crawlers if c.spider))


if __name__ == "__main__":
    main()
