"""Decoding response bytes, and anti-bot classification on synthetic answers."""

from __future__ import annotations

import datetime as dt

from conftest import FILES

from crawler.extract.antibot import detect_block
from crawler.extract.article import parse_article
from crawler.extract.decode import decode_body

GBK_PAGE = FILES / "extract" / "gbk_article.html"
TITLE = "关于公布2026年第一批城乡低保对象名单的公示"


def test_gbk_page_with_header_charset() -> None:
    text, encoding = decode_body(GBK_PAGE.read_bytes(), "text/html; charset=GBK")
    assert encoding == "gb18030"
    assert "镕基村、喆园社区" in text  # characters outside GB2312
    art = parse_article(text, "http://www.example.gov.cn/zwgk/202603/t20260305_1.html")
    assert art.title == TITLE
    assert art.pubdate == dt.datetime(2026, 3, 5, 10, 20)


def test_gbk_page_without_header_uses_meta_gb2312_as_gb18030() -> None:
    text, encoding = decode_body(GBK_PAGE.read_bytes(), "text/html")
    assert encoding == "gb18030"
    assert "镕基村" in text and TITLE in text


def test_gbk_page_without_any_declaration_is_detected() -> None:
    body = GBK_PAGE.read_bytes().replace(b' charset=gb2312', b'')
    text, encoding = decode_body(body, None)
    assert TITLE in text
    assert encoding in ("gb18030", "gbk", "gb2312")


def test_wrong_header_charset_falls_back_to_meta() -> None:
    text, encoding = decode_body(GBK_PAGE.read_bytes(), "text/html; charset=utf-8")
    assert encoding == "gb18030" and TITLE in text


def test_latin1_default_header_is_weaker_than_meta() -> None:
    text, encoding = decode_body(GBK_PAGE.read_bytes(), "text/html; charset=ISO-8859-1")
    assert encoding == "gb18030" and TITLE in text


def test_utf8_bom_and_garbage_never_raise() -> None:
    assert decode_body("\ufeff政务公开".encode(), None) == ("政务公开", "utf-8")
    assert decode_body(b"", None)[0] == ""
    text, _ = decode_body(bytes(range(256)) * 3, "text/html; charset=no-such-charset")
    assert isinstance(text, str)


RUISHU = ("<html><head><meta content=\"abc\" r=\"m\"><script type=\"text/javascript\" r='m'>$_ss=window['$_ss'];"
          "</script><script src=\"./khy8.294cc83.js\" r='m'></script></head><body></body></html>")


def test_ruishu_statuses() -> None:
    assert "瑞数" in detect_block(412, {}, RUISHU)
    assert "瑞数" in detect_block(200, {}, RUISHU)
    assert "瑞数" in detect_block(412, {}, "")


def test_ruishu_marker_with_real_content_is_not_blocked() -> None:
    items = "".join(f'<li><a href="/a/{n}.shtml">第{n}条通知公告标题比较长一些的文字内容示例</a></li>' for n in range(20))
    page = RUISHU.replace("<body></body>", f"<body><ul>{items}</ul></body>")
    assert detect_block(200, {}, page) is None


def test_jiasule_and_generic_walls() -> None:
    jsl = "<html><script>document.cookie=('__jsl_clearance=1700000000.1|0|abc');location.href=location.pathname</script></html>"
    assert "加速乐" in detect_block(521, {}, jsl)
    assert "加速乐" in detect_block(200, {"Set-Cookie": "__jsluid_h=abc; path=/"}, "<html></html>")
    assert "加速乐" in detect_block(200, {b"Set-Cookie": [b"__jsluid_s=abc; path=/"]}, "<html></html>")
    assert "访问被拒绝" in detect_block(403, {}, "<html><h1>访问被拒绝</h1></html>")
    assert "Access Denied" in detect_block(403, {}, "<html><title>Access Denied</title></html>")
    assert detect_block(200, {}, "<html><body>请输入验证码<form><input name=code></form></body></html>")
    assert detect_block(403, {}, "<html>403</html>") is None  # a plain 403 is an http_error, not a bot wall
    assert detect_block(404, {}, "<html>not found</html>") is None


def test_mojibake_repair_only_touches_double_encoded_text() -> None:
    from crawler.extract.decode import repair_mojibake

    assert repair_mojibake("正在检查浏览器".encode().decode("latin-1")) == "正在检查浏览器"
    assert repair_mojibake("café, résumé, naïve") == "café, résumé, naïve"
    assert repair_mojibake("政务公开 Ã©") == "政务公开 Ã©"  # already Chinese: left alone
