"""Serve a generated demo site on 127.0.0.1 in a background thread.

GET/HEAD/POST, 301/302 redirects, 404, ETag and Last-Modified with 304 on
conditional requests, per-page content types and charsets. For manual use:
``python -m zwgk.demo.server --port 8765 [--date YYYY-MM-DD]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import errno
import sys
import threading
from dataclasses import dataclass
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from zwgk.demo.model import DemoSite, Page

_NOT_FOUND = (Path(__file__).parent / "templates" / "notfound.html").read_bytes()


class PortInUseError(OSError):
    """The configured demo port is taken."""


@dataclass
class RunningServer:
    """A started demo server: its base URL and a way to stop it."""

    url: str
    host: str
    port: int
    httpd: ThreadingHTTPServer
    thread: threading.Thread

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _http_date(value: dt.datetime) -> str:
    return format_datetime(value.replace(tzinfo=dt.UTC), usegmt=True)


def _handler(site: DemoSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "TRS WCM/7.0"
        sys_version = ""
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
            pass  # quiet: a crawl makes hundreds of requests

        def do_GET(self) -> None:  # noqa: N802 - stdlib naming
            self._answer(head=False)

        def do_HEAD(self) -> None:  # noqa: N802
            self._answer(head=True)

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            form = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
            query = dict(parse_qsl(parts.query, keep_blank_values=True))
            page = site.post(parts.path, query, form)
            if page is None:
                page = Page(body=b"Method Not Allowed", content_type="text/plain; charset=utf-8", status=405)
            self._send(page, head=False, conditional=False)

        def _answer(self, head: bool) -> None:
            parts = urlsplit(self.path)
            page = site.get(parts.path, dict(parse_qsl(parts.query, keep_blank_values=True)))
            if page is None:
                page = Page(body=_NOT_FOUND, status=404)
            self._send(page, head=head, conditional=True)

        def _not_modified(self, page: Page) -> bool:
            if page.status != 200:
                return False
            inm = self.headers.get("If-None-Match")
            if inm is not None:
                return page.etag in {t.strip() for t in inm.split(",")} or inm.strip() == "*"
            ims = self.headers.get("If-Modified-Since")
            if ims and page.last_modified:
                try:
                    since = parsedate_to_datetime(ims)
                except (TypeError, ValueError):
                    return False
                if since.tzinfo is None:
                    since = since.replace(tzinfo=dt.UTC)
                return page.last_modified.replace(tzinfo=dt.UTC, microsecond=0) <= since
            return False

        def _send(self, page: Page, head: bool, conditional: bool) -> None:
            if conditional and self._not_modified(page):
                self.send_response(304)
                self.send_header("ETag", page.etag)
                if page.last_modified:
                    self.send_header("Last-Modified", _http_date(page.last_modified))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(page.status)
            if page.location:
                self.send_header("Location", page.location)
            self.send_header("Content-Type", page.content_type)
            self.send_header("Content-Length", str(len(page.body)))
            if page.status == 200:
                self.send_header("ETag", page.etag)
                if page.last_modified:
                    self.send_header("Last-Modified", _http_date(page.last_modified))
            for name, value in page.headers:
                self.send_header(name, value)
            self.end_headers()
            if not head and page.body:
                self.wfile.write(page.body)

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True  # Linux: still fails while another socket listens on the port
    request_queue_size = 64


def serve(site: DemoSite, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    """Start serving ``site`` in a background thread; ``port=0`` picks a free port.

    Raises ``PortInUseError`` (with a Chinese message) when the port is taken.
    """
    try:
        httpd = _Server((host, port), _handler(site))
    except OSError as exc:
        if exc.errno in (errno.EADDRINUSE, errno.EACCES):
            raise PortInUseError(exc.errno, f"端口 {port} 已被占用（或无权使用），无法启动示范站点；"
                                 f"请关闭占用该端口的程序，或修改 settings.toml 中示范站点的 base_url 端口") from None
        raise
    real_port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, name=f"zwgk-demo-{real_port}", daemon=True)
    thread.start()
    return RunningServer(url=f"http://{host}:{real_port}/", host=host, port=real_port, httpd=httpd, thread=thread)


def main(argv: list[str] | None = None) -> int:
    from zwgk.demo.site import build_site

    parser = argparse.ArgumentParser(prog="python -m zwgk.demo.server", description="启动示范区演示网站（仅 127.0.0.1）")
    parser.add_argument("--port", type=int, default=8765, help="端口（默认 8765）")
    parser.add_argument("--date", type=dt.date.fromisoformat, default=None, help="站点日期 YYYY-MM-DD（默认今天）")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    today = args.date or dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    site = build_site(today, seed=args.seed)
    try:
        running = serve(site, port=args.port)
    except PortInUseError as exc:
        print(exc.strerror, file=sys.stderr)
        return 2
    print(f"示范区演示网站已启动：{running.url}（站点日期 {today}，共 {len(site.pages)} 个页面；Ctrl-C 退出）", flush=True)
    try:
        running.thread.join()
    except KeyboardInterrupt:
        running.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
