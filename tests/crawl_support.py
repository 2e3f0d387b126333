"""A local HTTP server (127.0.0.1, thread) serving small CMS-shaped sites for the crawler tests.

Dates are relative to the crawl day (today in Asia/Shanghai), so horizons behave the same any day.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

TODAY = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()


def check_day() -> dt.date:
    """Today in Asia/Shanghai, read now: call it after the crawl, so a crawl that ran past midnight is
    inside the judged day (TODAY is fixed when the module is imported, minutes earlier)."""
    return dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()


def day(offset: int) -> dt.date:
    return TODAY - dt.timedelta(days=offset)


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    etag: str | None = None
    last_modified: str | None = None
    truncate: int | None = None  # send only this many bytes of the body, then close (Content-Length stays full)


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int


class SiteServer:
    """Routes keyed by ``"METHOD /path?query"``; every request is logged with its headers."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.log: list[Seen] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                route = server.routes.get(f"{self.command} {self.path}")
                status = route.status if route else 404
                if route and route.delay:
                    time.sleep(route.delay)
                headers = dict(route.headers) if route else {"Content-Type": "text/html; charset=utf-8"}
                payload = route.body if route else b"<html><body>Not Found</body></html>"
                if route and status == 200 and (route.etag or route.last_modified):
                    if route.etag:
                        headers["ETag"] = route.etag
                    if route.last_modified:
                        headers["Last-Modified"] = route.last_modified
                    inm = self.headers.get("If-None-Match")
                    ims = self.headers.get("If-Modified-Since")
                    if (inm and inm == route.etag) or (not inm and ims and ims == route.last_modified):
                        status, payload = 304, b""
                with server._lock:
                    server.log.append(Seen(self.command, self.path, dict(self.headers.items()), body, status))
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                if status != 304:
                    self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if status != 304:
                    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                        if route and route.truncate is not None:
                            self.wfile.write(payload[:route.truncate])
                            self.wfile.flush()
                            self.close_connection = True
                        else:
                            self.wfile.write(payload)

            do_GET = _serve  # noqa: N815
            do_POST = _serve  # noqa: N815

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> SiteServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def add(self, path: str, body: str | bytes = "", *, method: str = "GET", status: int = 200,
            charset: str = "utf-8", content_type: str = "text/html", etag: str | None = None,
            last_modified: str | None = None, delay: float = 0.0, headers: dict[str, str] | None = None,
            truncate: int | None = None) -> None:
        data = body.encode(charset) if isinstance(body, str) else body
        hdrs = {"Content-Type": f"{content_type}; charset={charset}" if content_type.startswith("text") else content_type}
        hdrs.update(headers or {})
        self.routes[f"{method} {path}"] = Route(status, data, hdrs, delay, etag, last_modified, truncate)

    def requests(self, path: str, method: str = "GET") -> list[Seen]:
        with self._lock:
            return [s for s in self.log if s.path == path and s.method == method]


# --------------------------------------------------------------------------- page templates


def html_page(title: str, body: str, metas: dict[str, str] | None = None, charset: str = "utf-8") -> str:
    meta = "".join(f'<meta name="{k}" content="{v}">' for k, v in (metas or {}).items())
    return (
        f'<!DOCTYPE html><html><head><meta charset="{charset}"><title>{title}</title>{meta}</head>'
        f'<body><div class="header"><a href="/">首页</a></div>{body}'
        '<div class="footer"><a href="http://www.gov.cn/">中国政府网</a></div></body></html>'
    )


def article_html(title: str, *, pubdate_meta: str | None = None, visible_date: str | None = None,
                 extra: str = "", charset: str = "utf-8") -> str:
    metas = {"ArticleTitle": title}
    if pubdate_meta:
        metas["PubDate"] = pubdate_meta
    date_line = f"<div class='info'>发布日期：{visible_date}</div>" if visible_date else ""
    text = "正文内容。" * 20
    return html_page(title, f"<h1>{title}</h1>{date_line}<div id='zoom'><p>{text}</p>{extra}</div>", metas, charset)


def li(href: str, title: str, date: dt.date) -> str:
    return f'<li><a href="{href}" title="{title}">{title}</a><span>{date:%Y-%m-%d}</span></li>'


# --------------------------------------------------------------------------- sites


@dataclass
class Expect:
    """What the crawl must find: url -> (published, date_source, list_date)."""

    items: dict[str, tuple[dt.date, str, dt.date | None]] = field(default_factory=dict)


def add_trs_site(srv: SiteServer, *, horizon_days: int) -> Expect:
    """TRS: index.html, index_1.html … via createPageHTML; PubDate meta differs from list and URL dates."""
    exp = Expect()
    pages = [[1, 2, 3], [10, 11, 12], [horizon_days + 10, horizon_days + 15, horizon_days + 20], [400, 401, 402]]
    n = 0
    for k, offsets in enumerate(pages):
        rows = []
        for off in offsets:
            n += 1
            list_date = day(off)
            url_date = list_date - dt.timedelta(days=30)  # URL dates lie
            href = f"./{url_date:%Y%m}/t{url_date:%Y%m%d}_{1000 + n}.html"
            title = f"关于第{n}号事项的通知"
            rows.append(li(href, title, list_date))
            art_path = f"/trs/tzgg/{url_date:%Y%m}/t{url_date:%Y%m%d}_{1000 + n}.html"
            meta_date = list_date - dt.timedelta(days=1) if n == 1 else list_date
            extra = '<p><a href="./P020261101.csv">附件：名单.csv</a></p>' if n == 2 else ""
            srv.add(art_path, article_html(title, pubdate_meta=f"{meta_date:%Y-%m-%d} 09:30", extra=extra),
                    etag=f'"art-{n}"', last_modified="Sun, 01 Nov 2026 08:00:00 GMT")
            if n == 2:
                srv.add(f"/trs/tzgg/{url_date:%Y%m}/P020261101.csv", "姓名,电话\n张三,13800000000\n".encode(),
                        content_type="text/csv")
            if k < 2:  # pages beyond the horizon are never fetched
                exp.items[srv.base + art_path] = (meta_date, "meta", list_date)
        script = f'<script>createPageHTML({len(pages)}, {k}, "index", "html");</script>'
        body = f'<div class="list"><ul>{"".join(rows)}</ul></div>{script}'
        name = "index.html" if k == 0 else f"index_{k}.html"
        srv.add(f"/trs/tzgg/{name}", html_page("通知公告", body), etag=f'"list-{k}"',
                last_modified="Sun, 01 Nov 2026 08:00:00 GMT")
    srv.add("/trs/", html_page("首页", '<ul><li><a href="/trs/tzgg/index.html">通知公告</a></li></ul>'))
    return exp


def add_hanweb_site(srv: SiteServer) -> Expect:
    """Hanweb: 2 records in the <datastore>, 4 more through dataproxy.jsp POST groups of 2."""
    exp = Expect()

    def record(n: int) -> tuple[str, str]:
        d = day(n * 2)
        path = f"/art/{d.year}/{d.month}/{d.day}/art_100_{n}.html"
        title = f"汉网第{n}条信息"
        srv.add(path, article_html(title, visible_date=f"{d:%Y-%m-%d}"))
        exp.items[srv.base + path] = (d, "page", d)
        return path, f'<record><![CDATA[<li><a href="{path}" title="{title}">{title}</a><span>{d:%Y-%m-%d}</span></li>]]></record>'

    recs = [record(n) for n in range(1, 7)]
    template = ("/module/web/jpage/dataproxy.jsp?page=1&appid=1&webid=1&path=/&columnid=100&unitid=200"
                "&webname=test&permissiontype=0")
    datastore = (
        f'<div id="200"><script type="text/xml"><datastore><nextgroup><![CDATA[<a href="{template}"></a>]]>'
        f'</nextgroup><recordset>{recs[0][1]}{recs[1][1]}</recordset></datastore></script>'
        '<script>var perPage = 2; var groupSize = 1; var totalRecord = 6;</script></div>'
    )
    srv.add("/col/col100/index.html", html_page("政策文件", datastore))
    for start in (3, 5):
        xml = (f"<datastore><totalrecord>6</totalrecord><recordset>{recs[start - 1][1]}{recs[start][1]}"
               "</recordset></datastore>")
        srv.add(f"/module/web/jpage/dataproxy.jsp?startrecord={start}&endrecord={start + 1}&perpage=2", xml,
                method="POST", content_type="text/xml")
    srv.add("/hanweb/", html_page("汉网首页", '<a href="/col/col100/index.html">政策文件</a>'))
    return exp


def add_ucap_site(srv: SiteServer) -> Expect:
    """UCAP: items in ``var listData = {articleList: [...]}``, page 2 at ?uid=…&pageNum=2."""
    exp = Expect()
    for page in (1, 2):
        arts = []
        for i in range(2):
            n = (page - 1) * 2 + i + 1
            d = day(n * 3)
            path = f"/ucap/content/content_19512063636776{n:05d}.html"
            title = f"开普云第{n}条"
            arts.append({"title": title, "pubDate": f"{d:%Y-%m-%d} 10:00", "urls": json.dumps({"pc": path})})
            srv.add(path, article_html(title, pubdate_meta=f"{d:%Y-%m-%d} 10:00"))
            exp.items[srv.base + path] = (d, "meta", d)
        script = (f"<script>var listData = {{articleList:{json.dumps(arts, ensure_ascii=False)}}};"
                  'var channelsTagSelf = {"articleCount": 4};'
                  "loadPageData({unitid:'u42', perPage:'2'});</script>")
        path = "/ucap/col/col300/index.html" + ("" if page == 1 else "?uid=u42&pageNum=2")
        srv.add(path, html_page("开普云列表", f'<div id="list"></div>{script}'))
    srv.add("/ucap/", html_page("开普云首页", '<a href="/ucap/col/col300/index.html">列表</a>'))
    return exp


def add_gbk_site(srv: SiteServer) -> Expect:
    """A generic GBK site: two list pages linked by 下一页, GBK article pages."""
    exp = Expect()
    for page in (1, 2):
        rows = []
        for i in range(3):
            n = (page - 1) * 3 + i + 1
            d = day(n)
            path = f"/gbk/art/{n}.html"
            title = f"国标编码第{n}条公告"
            rows.append(li(path, title, d))
            srv.add(path, article_html(title, visible_date=f"{d:%Y-%m-%d}", charset="gbk"), charset="gbk")
            exp.items[srv.base + path] = (d, "page", d)
        nxt = '<div class="page"><a href="/gbk/list_2.html">下一页</a></div>' if page == 1 else ""
        body = f'<div class="list"><ul>{"".join(rows)}</ul></div>{nxt}'
        srv.add("/gbk/list.html" if page == 1 else "/gbk/list_2.html", html_page("公告", body, charset="gbk"),
                charset="gbk")
    srv.add("/gbk/", html_page("首页", '<a href="/gbk/list.html">公告</a>', charset="gbk"), charset="gbk")
    return exp


RUISHU = ('<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
          '<meta id="9DhefwqGPrzGxEp9hPaoag" content="abc" r="m"><script r="m">$_ss="x";</script>'
          '<script type="text/javascript" src="/4QbVtADbnLVIc/c.FxJzG50F.js" r="m"></script></head><body></body></html>')


def add_bad_site(srv: SiteServer) -> None:
    """Anti-bot 412, redirect loop, slow page, 500 and a good home page."""
    srv.add("/bad/", html_page("坏站首页", '<a href="/bad/blocked/">栏目</a>'))
    srv.add("/bad/blocked/", RUISHU, status=412)
    srv.add("/bad/loop", "", status=302, headers={"Location": "/bad/loop2"})
    srv.add("/bad/loop2", "", status=302, headers={"Location": "/bad/loop"})
    srv.add("/bad/slow/", html_page("慢", "<ul></ul>"), delay=4.0)
    srv.add("/bad/err/", "<html><body>Internal Server Error</body></html>", status=500)
    srv.add("/bad/private/", html_page("不该抓", "<ul></ul>"))
    srv.add("/robots.txt", "User-agent: *\nDisallow: /bad/private/\n", content_type="text/plain")


SETTINGS = """
[general]
database_url = "sqlite:///{db}"
evidence_dir = "{evidence}"

[crawl]
horizon_days = {horizon}
download_timeout = 1.0
retry_times = 0
autothrottle = false
parallel_sites = 2
site_timeout_seconds = {site_timeout}
max_list_pages = 10

[[departments]]
id = "office"
name = "区政府办公室"
office = true
"""


def site_block(site_id: str, base: str, sections: list[tuple[str, ...]], *, home: str | None = None,
               cms: str = "auto") -> str:
    """A [[sites]] block; sections are (id, list_url) or (id, list_url, indicator)."""
    out = [f'\n[[sites]]\nid = "{site_id}"\nname = "网站{site_id}"\nbase_url = "{base}"\ndepartment = "office"\n'
           f'cms = "{cms}"\n']
    if home:
        out.append(f'home_url = "{home}"\n')
    for sec_id, url, *indicator in sections:
        out.append(f'\n[[sites.sections]]\nid = "{sec_id}"\nname = "栏目{sec_id}"\nlist_url = "{url}"\n'
                   f'indicator = "{indicator[0] if indicator else "national.notice"}"\n')
    return "".join(out)


def write_settings(tmp: Path, blocks: list[str], *, horizon: int = 40, site_timeout: int = 120) -> Path:
    path = tmp / "settings.toml"
    text = SETTINGS.format(db=tmp / "zwgk.db", evidence=tmp / "evidence", horizon=horizon,
                           site_timeout=site_timeout)
    path.write_text(text + "".join(blocks), encoding="utf-8")
    return path
