"""Spider middleware of the distributed crawl: commit each handled response's request (see ``claims``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any

from scrapy.crawler import Crawler
from scrapy.http import Request, Response

from crawler.distributed.claims import STATES_META

# Closest to the engine (Scrapy's own spider middlewares start at 25): the commit sees the requests
# as the other middlewares (Referer, Depth, ...) left them, exactly what Scrapy would have scheduled.
ORDER = 10


class CommitMiddleware:
    """Takes the callback's follow-up requests out of Scrapy's hands and commits them with the claim."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CommitMiddleware:
        return cls(crawler)

    async def process_spider_output(self, response: Response, result: Iterable[Any] | AsyncIterator[Any]
                                    ) -> AsyncIterator[Any]:
        if hasattr(result, "__aiter__"):
            outputs = [o async for o in result]
        else:
            outputs = list(result)
        requests = [o for o in outputs if isinstance(o, Request)]
        spider: Any = self.crawler.spider
        for o in outputs:
            if not isinstance(o, Request):
                yield o
        for request in spider.commit(response.meta, requests, response.meta.get(STATES_META) or {}):
            yield request
