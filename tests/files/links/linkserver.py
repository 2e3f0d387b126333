"""A scriptable HTTP server on 127.0.0.1 for the link-checker tests (runs in its own thread).

Each path is given a behaviour; the server counts requests per (method, path) and the largest
number of requests it was serving at the same time.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from dataclasses import dataclass, field

from aiohttp import web

PAGE = (
    "<html><head><title>{title}</title></head><body><h1>{title}</h1>"
    + "<p>区人民政府办公室关于做好政务公开工作的通知，各部门要按时公开。</p>" * 20
    + "</body></html>"
)
ERROR_PAGE = (
    "<html><head><title>提示信息</title></head><body><div class='box'>"
    "<p>对不起，您访问的页面不存在或已被删除！</p><a href='/'>返回首页</a></div></body></html>"
)
GENERIC_PAGE = (
    "<html><head><title>欢迎访问示范区人民政府</title></head><body>"
    "<div>示范区人民政府 版权所有 联系我们 网站地图</div><div>请从首页进入栏目浏览信息。</div>"
    "</body></html>"
)
BOT_WALL = (
    "<html><head><title>访问被拒绝</title></head><body>您的访问被拒绝，当前访问疑似黑客攻击，"
    "已被网站防火墙拦截。</body></html>"
)


@dataclass
class Behaviour:
    """How a path answers. ``kind``: ok | status | redirect | slow | fail_first | head_refused |
    error_page | generic | retry_after | bot_wall | file | loop."""

    kind: str = "ok"
    status: int = 200
    target: str = ""
    times: int = 0  # fail_first / retry_after: how many requests fail before it works
    delay: float = 0.0
    retry_after: str = "1"


@dataclass
class LinkServer:
    routes: dict[str, Behaviour] = field(default_factory=dict)
    unknown: str = "404"  # what unknown paths answer: "404" or "generic" (a soft-404 host)
    host: str = "127.0.0.1"
    port: int = 0
    counts: Counter = field(default_factory=Counter)
    in_flight: int = 0
    max_in_flight: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def hits(self, path: str) -> int:
        return sum(n for (method, p), n in self.counts.items() if p == path)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path_qs
        self.counts[(request.method, path)] += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await self._answer(request, path)
        finally:
            self.in_flight -= 1

    async def _answer(self, request: web.Request, path: str) -> web.StreamResponse:
        b = self.routes.get(path)
        if b is None:
            if path == "/" or self.unknown == "404":
                if path == "/":
                    return web.Response(text=PAGE.format(title="首页"), content_type="text/html")
                return web.Response(
                    status=404, text="<html><title>404</title>no</html>", content_type="text/html"
                )
            return web.Response(text=GENERIC_PAGE, content_type="text/html")
        if b.delay:
            await asyncio.sleep(b.delay)
        seen = self.hits(path)
        if b.kind == "ok":
            return web.Response(text=PAGE.format(title=path), content_type="text/html")
        if b.kind == "status":
            return web.Response(
                status=b.status, text=f"<html><body>status {b.status}</body></html>", content_type="text/html"
            )
        if b.kind == "redirect":
            raise web.HTTPFound(b.target)
        if b.kind == "fail_first":
            if seen <= b.times:
                return web.Response(
                    status=b.status or 500, text="<html>error</html>", content_type="text/html"
                )
            return web.Response(text=PAGE.format(title=path), content_type="text/html")
        if b.kind == "head_refused":
            if request.method == "HEAD":
                return web.Response(status=405)
            return web.Response(body=b"%PDF-1.4 test", content_type="application/pdf")
        if b.kind == "error_page":
            return web.Response(text=ERROR_PAGE, content_type="text/html")
        if b.kind == "generic":
            return web.Response(text=GENERIC_PAGE, content_type="text/html")
        if b.kind == "retry_after":
            if seen <= b.times:
                return web.Response(status=429, headers={"Retry-After": b.retry_after}, text="slow down")
            return web.Response(text=PAGE.format(title=path), content_type="text/html")
        if b.kind == "bot_wall":
            return web.Response(status=403, text=BOT_WALL, content_type="text/html")
        if b.kind == "file":
            return web.Response(body=b"%PDF-1.4 " + b"x" * 2000, content_type="application/pdf")
        raise AssertionError(b.kind)

    # ------------------------------------------------------------------ thread plumbing

    def start(self) -> LinkServer:
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        async def boot() -> None:
            app = web.Application()
            app.router.add_route("*", "/{tail:.*}", self.handle)
            self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
            await self._runner.setup()
            site = web.TCPSite(self._runner, self.host, self.port)
            await site.start()
            self.port = self._runner.addresses[0][1]

        def run() -> None:
            self._loop.run_until_complete(boot())
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        assert ready.wait(10), "link test server did not start"
        return self

    def stop(self) -> None:
        async def shutdown() -> None:
            await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
