"""The demo server on 127.0.0.1: GET/HEAD/POST, 304, 404, redirects, charsets, port clashes."""

from __future__ import annotations

import datetime as dt
import http.client
import re
from email.utils import format_datetime

import pytest

from zwgk.demo import build_site
from zwgk.demo.server import PortInUseError, serve
from zwgk.demo.site import SOFT404_PATH

TODAY = dt.date(2026, 11, 22)


@pytest.fixture(scope="module")
def site():
    return build_site(TODAY)


@pytest.fixture(scope="module")
def server(site):
    running = serve(site)
    yield running
    running.stop()


def request(server, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def test_listens_on_localhost_only(server):
    assert server.url == f"http://127.0.0.1:{server.port}/"
    assert server.httpd.server_address[0] == "127.0.0.1"


def test_get_returns_the_page_with_validators(server, site):
    status, headers, body = request(server, "GET", "/index.html")
    assert status == 200
    assert body == site.get("/index.html").body
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["etag"] == site.get("/index.html").etag
    assert headers["last-modified"].endswith("GMT")
    assert int(headers["content-length"]) == len(body)


def test_head_has_headers_but_no_body(server, site):
    status, headers, body = request(server, "HEAD", "/zwdt/gzdt/index.html")
    assert status == 200 and body == b""
    assert int(headers["content-length"]) == len(site.get("/zwdt/gzdt/index.html").body)


def test_conditional_requests_get_304(server):
    _, headers, _ = request(server, "GET", "/zwgk/tzgg/index.html")
    status, _, body = request(server, "GET", "/zwgk/tzgg/index.html", headers={"If-None-Match": headers["etag"]})
    assert status == 304 and body == b""
    status, _, _ = request(server, "GET", "/zwgk/tzgg/index.html", headers={"If-None-Match": '"other"'})
    assert status == 200
    status, _, _ = request(server, "GET", "/zwgk/tzgg/index.html",
                           headers={"If-Modified-Since": headers["last-modified"]})
    assert status == 304
    long_ago = format_datetime(dt.datetime(2000, 1, 1, tzinfo=dt.UTC), usegmt=True)
    status, _, _ = request(server, "GET", "/zwgk/tzgg/index.html", headers={"If-Modified-Since": long_ago})
    assert status == 200


def test_404_and_redirects(server, site):
    status, headers, body = request(server, "GET", site.planted.broken_link_target)
    assert status == 404 and "页面不存在".encode() in body
    status, headers, _ = request(server, "GET", SOFT404_PATH)
    assert status == 302 and headers["location"] == "/"
    status, headers, _ = request(server, "GET", "/zwgk/")
    assert status == 301 and headers["location"] == "/zwgk/index.html"
    status, headers, _ = request(server, "HEAD", SOFT404_PATH)
    assert status == 302 and headers["location"] == "/"


def test_gbk_page_is_served_as_gbk(server, site):
    status, headers, body = request(server, "GET", site.planted.gbk_list_url)
    assert status == 200 and headers["content-type"] == "text/html; charset=GBK"
    assert "统计月报" in body.decode("gbk")


def test_attachments_have_their_content_types(server, site):
    status, headers, body = request(server, "GET", site.planted.id_leak_attachment)
    assert status == 200 and headers["content-type"].startswith("application/vnd.openxmlformats")
    assert body[:2] == b"PK"


def test_post_dataproxy_returns_groups_and_total(server, site):
    form = b"col=1&appid=1&webid=1&path=/&columnid=1001&sourceContentType=1&unitid=4001&permissiontype=0"
    status, headers, body = request(
        server, "POST", "/module/web/jpage/dataproxy.jsp?startrecord=46&endrecord=90&perpage=15", body=form,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 200 and headers["content-type"].startswith("text/xml")
    text = body.decode("utf-8")
    total = int(re.search(r"<totalrecord>(\d+)</totalrecord>", text).group(1))
    records = re.findall(r"<record><!\[CDATA\[(.*?)\]\]></record>", text)
    assert total == len(site.hanweb[1001].records) > 45
    assert len(records) == min(45, total - 45)
    assert records[0] == site.hanweb[1001].records[45]
    # Past the end: no records, same total.
    status, _, body = request(server, "POST", f"/module/web/jpage/dataproxy.jsp?startrecord={total + 1}&endrecord={total + 45}",
                              body=form, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200 and b"<record>" not in body and f"<totalrecord>{total}</totalrecord>".encode() in body


def test_post_elsewhere_is_refused(server):
    status, _, _ = request(server, "POST", "/index.html", body=b"a=1")
    assert status == 405


def test_port_in_use_fails_with_a_chinese_message(server, site):
    with pytest.raises(PortInUseError) as info:
        serve(site, port=server.port)
    assert "已被占用" in info.value.strerror


def test_handles_a_burst_of_parallel_requests(server, site):
    from concurrent.futures import ThreadPoolExecutor

    paths = [p for p in site.pages if p.endswith(".html")][:200]
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda p: request(server, "GET", p)[0], paths))
    assert statuses.count(200) == len(paths)
