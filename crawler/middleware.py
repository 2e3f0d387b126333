"""Downloader middleware fixes.

Scrapy 2.19's RobotsTxtMiddleware lets every request that waited for robots.txt through
(measured here: 4 of 6 start requests got ``None`` as parser, so Disallow was ignored): the
waiters share one Deferred and all but the first receive the previous callback's ``None``.
This subclass re-reads the parser once robots.txt is in.
"""

from __future__ import annotations

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import Request
from scrapy.robotstxt import RobotParser
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred


class SharedRobotsTxtMiddleware(RobotsTxtMiddleware):
    async def robot_parser(self, request: Request) -> RobotParser | None:
        parser = await super().robot_parser(request)
        if parser is None:
            current = self._parsers.get(urlparse_cached(request).netloc)
            if current is not None and not isinstance(current, Deferred):
                return current
        return parser
