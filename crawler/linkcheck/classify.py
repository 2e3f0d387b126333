"""Pure classification: reason codes, error-page bodies, bot walls, page similarity.

Nothing here does I/O; the fetcher passes status, headers and the first bytes of the body.
Crawled text is untrusted: it is only searched for markers, never executed or rendered.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from lxml import html as lxml_html

# Reason codes stored on LinkCheck.reason and Link.reason.
OK = "ok"
FAILURE_REASONS = frozenset(
    {
        "http_404",
        "http_410",
        "http_4xx",
        "http_5xx",
        "timeout",
        "dns",
        "connection",
        "tls",
        "too_many_redirects",
        "redirect_loop",
        "soft_404",
    }
)
# Our client was refused; the link itself may be fine. Never "broken".
REFUSED_REASONS = frozenset({"blocked", "rate_limited"})

REASON_LABELS = {
    "ok": "正常",
    "http_404": "404 页面不存在",
    "http_410": "410 已删除",
    "http_4xx": "HTTP 4xx 错误",
    "http_5xx": "服务器错误 5xx",
    "timeout": "超时",
    "dns": "域名无法解析",
    "connection": "连接失败",
    "tls": "证书/TLS 错误",
    "too_many_redirects": "重定向次数过多",
    "redirect_loop": "重定向循环",
    "soft_404": "软 404（错误页或跳转首页）",
    "blocked": "被反爬虫拦截",
    "rate_limited": "请求过于频繁（429）",
}

# Statuses for which HEAD answers are not trusted and GET is tried.
HEAD_UNRELIABLE = frozenset({400, 403, 404, 405, 406, 409, 410, 429, 500, 501, 502, 503})

# Extensions of links that are not HTML pages (HEAD is enough for them).
_EXTENSIONS = (
    "pdf doc docx xls xlsx ppt pptx wps et dps ofd zip rar 7z gz tar jpg jpeg png gif bmp webp svg ico "
    "mp3 mp4 avi flv wmv mov txt csv xml js css woff woff2 ttf apk exe"
)
BINARY_EXTENSIONS = frozenset(_EXTENSIONS.split())

# Phrases that mark an error page. Strong ones count anywhere in a short page; "404" only in the title.
ERROR_PHRASES = (
    "页面不存在",
    "您访问的页面不存在",
    "您所访问的页面不存在",
    "页面已删除",
    "页面已被删除",
    "信息已删除",
    "该信息已删除",
    "文章已删除",
    "内容已删除",
    "页面未找到",
    "找不到页面",
    "找不到您要访问的页面",
    "页面找不到了",
    "您访问的页面找不回来了",
    "页面走丢了",
    "访问的页面不存在",
    "该页面不存在",
    "信息不存在",
    "文章不存在",
    "page not found",
    "not found",
)
_TITLE_ERROR = re.compile(
    r"\b404\b|not\s*found|页面不存在|找不到|未找到|走丢|^\s*(错误|出错|提示信息|系统提示|温馨提示|信息已删除)",
    re.I,
)
SHORT_PAGE_CHARS = 3000  # an error page is short; a long article that quotes a phrase is not one

# WAF products that announce themselves in the Server header of their 403/503 answers.
_BOT_SERVER = re.compile(r"yundun|wzws|safedog|jiasule|yunjiasu|yunsuo|360wzb|panyun", re.I)
# The stock 403 page of a web server (a permission problem on the site, not a bot wall).
_STOCK_ERROR_PAGE = re.compile(
    r"<center>\s*(nginx|openresty|tengine)[^<]*</center>|You don't have permission to access|Apache/[\d.]+ Server at",
    re.I,
)


def reason_for_status(status: int) -> str:
    """Reason code of a final (non-redirect) HTTP status."""
    if status < 400:
        return OK
    if status == 404:
        return "http_404"
    if status == 410:
        return "http_410"
    if status == 429:
        return "rate_limited"
    if status >= 500:
        return "http_5xx"
    return "http_4xx"


def bot_wall(status: int, headers: Mapping[str, str], body: str) -> str | None:
    """Why the answer is an anti-bot wall rather than the page (None when it is not).

    Uses the crawler's detector (瑞数 412/202, 360 磐云, 加速乐 521, generic walls) and WAF
    Server headers; a web server's stock "403 Forbidden" page is a real 4xx, not a wall.
    """
    from crawler.extract.antibot import detect_block

    if status in (403, 503) and _BOT_SERVER.search(headers.get("Server", "")):
        return f"被反爬拦截：防火墙 (HTTP {status}，Server: {headers.get('Server', '')[:40]})"
    if status in (403, 404, 405) and _STOCK_ERROR_PAGE.search(body[:5000]):
        return None
    return detect_block(status, headers, body)


@dataclass(frozen=True)
class PageText:
    """What soft-404 logic needs of an HTML body."""

    title: str
    text: str

    @property
    def shingles(self) -> frozenset[int]:
        return shingles(self.title + " " + self.text)


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_-]+)""", re.I)


def decode_body(body: bytes, encoding: str | None = None) -> str:
    """Header charset, then <meta charset>, then UTF-8, then GB18030 (a superset of GBK/GB2312)."""
    found = _META_CHARSET.search(body[:4096])
    for name in (encoding, found.group(1).decode("ascii") if found else None):
        if name:
            try:
                return body.decode(name, errors="replace")
            except LookupError:
                continue
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("gb18030", errors="replace")


def page_text(body: bytes, encoding: str | None = None) -> PageText:
    """Title and visible text of an HTML body (scripts and styles dropped)."""
    text = decode_body(body, encoding).strip()
    if not text:
        return PageText("", "")
    text = re.sub(r"^<\?xml[^>]*>", "", text)  # lxml refuses str input with an encoding declaration
    try:
        root = lxml_html.document_fromstring(text)
    except (ValueError, lxml_html.etree.ParserError):
        return PageText("", "")
    for bad in root.xpath("//script|//style|//noscript"):
        bad.drop_tree()
    title = " ".join(root.xpath("string(//title)").split())
    return PageText(title, " ".join(root.text_content().split()))


def shingles(text: str, size: int = 4) -> frozenset[int]:
    """Hashed character n-grams of text (for a cheap Jaccard similarity)."""
    text = re.sub(r"\d+", "0", text.lower())  # dates, counters and ids differ between error pages
    if len(text) <= size:
        return frozenset({zlib.crc32(text.encode())}) if text else frozenset()
    return frozenset(zlib.crc32(text[i : i + size].encode()) for i in range(len(text) - size + 1))


def similarity(a: frozenset[int], b: frozenset[int]) -> float:
    if not a and not b:
        return 1.0
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def looks_like_error_page(page: PageText) -> str | None:
    """The marker that makes a 200 page an error page, or None."""
    if page.title and _TITLE_ERROR.search(page.title) and len(page.text) < SHORT_PAGE_CHARS:
        return f"标题：{page.title[:60]}"
    if len(page.text) < SHORT_PAGE_CHARS:
        low = page.text.lower()
        for phrase in ERROR_PHRASES:
            if phrase in low:
                return f"正文含“{phrase}”"
    return None


_HOME_PATHS = frozenset(
    {
        "",
        "/",
        "/index.html",
        "/index.htm",
        "/index.shtml",
        "/index.jsp",
        "/index.php",
        "/default.html",
        "/default.htm",
        "/default.aspx",
        "/main.html",
    }
)
_ERROR_PATH = re.compile(
    r"(^|/)(404|error|errors|notfound|not[-_]found|nopage|deleted|pagenotfound)(\.[a-z]+|/|$)", re.I
)


def is_home_url(url: str) -> bool:
    """The root page of a host (what removed pages often redirect to)."""
    parts = urlsplit(url)
    return parts.path.lower() in _HOME_PATHS and not parts.query


def is_error_url(url: str) -> bool:
    """A URL that names an error page (/404.html, /error.jsp, /notfound …)."""
    return bool(_ERROR_PATH.search(urlsplit(url).path))


def wants_body(url: str, kind: str) -> bool:
    """Page links are fetched with GET (a soft 404 shows only in the body); files with HEAD."""
    if kind not in ("a", "", None):
        return False
    path = urlsplit(url).path.lower()
    ext = path.rsplit(".", 1)[-1] if "." in path.rsplit("/", 1)[-1] else ""
    return ext not in BINARY_EXTENSIONS
