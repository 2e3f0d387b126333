"""Recognize anti-bot answers (瑞数, 360 磐云 WAF, 加速乐, generic bot walls) so they count as blocked."""

from __future__ import annotations

import re
from collections.abc import Mapping

_RS_MARKER = re.compile(r"""<(?:meta|script)\b[^>]*\br\s*=\s*["']m["']|\$_ss\s*=|\$_ts\s*=""", re.I)
_PANYUN = re.compile(r"ChallengeForm|waf_answer", re.I)
_JSL = re.compile(r"__jsl_clearance|__jsluid", re.I)
# Matched on the lower-cased text with plain substring tests (much faster than one big re.I alternation).
_WALL = ("访问被拒绝", "访问被阻断", "拒绝访问", "access denied", "forbidden", "请输入验证码", "安全验证",
         "人机验证", "滑动验证", "captcha", "网站防火墙", "安全狗", "safedog", "云锁", "yunsuo", "waf拦截",
         "当前访问疑似黑客攻击", "您的请求带有不合法参数")
_TAGS = re.compile(r"<script\b.*?</script>|<style\b.*?</style>|<!--.*?-->|<[^>]+>", re.S | re.I)
_SPACE = re.compile(r"\s+")
_LINK = re.compile(r"<a\b[^>]*\bhref\s*=\s*[\"']?(?!javascript|#)[^\s>\"']", re.I)
# A page "has content" when it shows this much text and some real links.
_CONTENT_CHARS = 200
_CONTENT_LINKS = 5


def _content_size(text: str) -> tuple[int, int]:
    visible = _SPACE.sub("", _TAGS.sub(" ", text))
    return len(visible), len(_LINK.findall(text))


def _thin(text: str) -> bool:
    chars, links = _content_size(text)
    return chars < _CONTENT_CHARS or links < _CONTENT_LINKS


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, list | tuple):
        return "; ".join(_text(v) for v in value)
    return str(value)


def _header(headers: Mapping, name: str) -> str:
    """A header value from a plain dict or Scrapy-like headers (bytes keys, list values)."""
    for key, value in headers.items():
        if _text(key).lower() == name:
            return _text(value)
    return ""


def detect_block(status: int, headers: Mapping[str, str], text: str) -> str | None:
    """Reason string (Chinese + marker) when the response is an anti-bot answer: 瑞数 (412, meta r="m",
    <script r='m'>$_ss=), 360 磐云 WAF (__panyun, ChallengeForm, waf_answer), 加速乐 (521, __jsl_clearance),
    generic 403 bot walls (e.g. '访问被拒绝', 'Access Denied', captcha pages). None for normal pages.
    Gansu pages embed <script r='m'> even when served normally WITH content: decided by status and by
    the absence of real content, not by the marker alone."""
    text = text or ""
    headers = headers or {}
    cookies = _header(headers, "set-cookie")
    low = text.lower()
    if ("r='m'" in low or 'r="m"' in low or "$_ss" in low or "$_ts" in low) and _RS_MARKER.search(text):
        if status in (202, 412):
            return f"被反爬拦截：瑞数 (HTTP {status}，r='m' 挑战脚本)"
        if _thin(text):
            return f"被反爬拦截：瑞数 (HTTP {status}，r='m' 挑战脚本，页面无内容)"
    if status == 412:
        return "被反爬拦截：瑞数 (HTTP 412)"
    if ("challengeform" in low or "waf_answer" in low) and _PANYUN.search(text):
        return f"被反爬拦截：360 磐云 WAF (HTTP {status}，ChallengeForm/waf_answer 挑战)"
    if "__panyun" in low and _thin(text):
        return f"被反爬拦截：360 磐云 WAF (HTTP {status}，__panyun)"
    if status == 521 or (("__jsl" in low or _JSL.search(cookies)) and _thin(text)):
        return f"被反爬拦截：加速乐 (HTTP {status}，__jsl_clearance)"
    wall = next((marker for marker in _WALL if marker in low), None)
    if wall and (status in (403, 405, 429, 493, 494) or _thin(text)):
        start = low.index(wall)
        return f"被反爬拦截：访问拦截页 (HTTP {status}，“{text[start:start + len(wall)]}”)"
    return None
