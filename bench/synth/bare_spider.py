"""Baseline: a bare Scrapy spider that GETs a list of URLs and does nothing with the answers.

    python bench/synth/bare_spider.py URLS_FILE

Same Scrapy version and per-host concurrency as the monitor's crawl; no robots.txt, no
extraction, no storage, no evidence. Prints the number of responses.
"""

from __future__ import annotations

import sys
from pathlib import Path

import scrapy
from scrapy.crawler import CrawlerProcess


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
    urls = Path(sys.argv[1]).read_text(encoding="utf-8").split()
    process = CrawlerProcess(
        settings={
            "CONCURRENT_REQUESTS": 64,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 32,
            "ROBOTSTXT_OBEY": False,
            "HTTPERROR_ALLOW_ALL": True,
            "LOG_LEVEL": "WARNING",
            "TELNETCONSOLE_ENABLED": False,
            "RETRY_ENABLED": False,
        }
    )
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler, urls=urls)
    process.start()
    print(crawler.spider.responses if crawler.spider else 0)


if __name__ == "__main__":
    main()
