"""Name what went wrong with a fetch: outcome code + Chinese reason (see ARCHITECTURE.md)."""

from __future__ import annotations

from dataclasses import dataclass

from scrapy import exceptions as scrapy_exceptions
from scrapy.exceptions import IgnoreRequest
from twisted.internet import error as terror
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

OK = "ok"
UNCHANGED = "unchanged"
EMPTY = "empty"
BLOCKED = "blocked"
TIMEOUT = "timeout"
HTTP_ERROR = "http_error"
CONNECTION = "connection"
PARSE_ERROR = "parse_error"
ROBOTS = "robots"
TOO_LARGE = "too_large"

# Outcomes that let a check conclude something about a section.
READABLE = frozenset({OK, UNCHANGED, EMPTY})


@dataclass(frozen=True)
class Problem:
    outcome: str
    reason: str


def _scrapy_error(name: str) -> tuple[type[BaseException], ...]:
    """A download exception of newer Scrapy (2.13+) as a 1-tuple; empty on versions without it."""
    cls = getattr(scrapy_exceptions, name, None)
    return (cls,) if cls is not None else ()


_REFUSED = _scrapy_error("DownloadConnectionRefusedError")
_NO_HOST = _scrapy_error("CannotResolveHostError")
_DATA_LOSS = _scrapy_error("ResponseDataLossError")
_CANCELLED = _scrapy_error("DownloadCancelledError")


def classify_failure(failure: Failure) -> Problem:
    """Map a Twisted/Scrapy download failure to an outcome and a reason people can read."""
    exc = failure.value
    text = str(exc) or exc.__class__.__name__
    lowered = text.lower()
    if (
        isinstance(exc, terror.TimeoutError | terror.TCPTimedOutError)
        or "timeout" in exc.__class__.__name__.lower()
        or "timed out" in lowered
        or "took longer than" in lowered
    ):
        return Problem(TIMEOUT, f"超时：{text}")
    if isinstance(exc, IgnoreRequest):
        if "robots" in text.lower():
            return Problem(ROBOTS, "robots.txt 不允许抓取")
        if "redirect" in text.lower():
            return Problem(HTTP_ERROR, "重定向次数过多（可能是循环重定向）")
        return Problem(CONNECTION, f"请求被忽略：{text}")
    if "max size" in text.lower() or "maxsize" in text.lower() or "larger than" in text.lower():
        return Problem(TOO_LARGE, f"超过大小上限：{text}")
    if isinstance(exc, (terror.DNSLookupError, *_NO_HOST)):
        return Problem(CONNECTION, f"域名解析失败：{text}")
    if isinstance(exc, (terror.ConnectionRefusedError, *_REFUSED)):
        return Problem(CONNECTION, "连接被拒绝（网站可能已停止服务）")
    if isinstance(exc, _DATA_LOSS):
        return Problem(CONNECTION, "响应被截断（内容不完整）")
    if isinstance(exc, _CANCELLED):
        return Problem(CONNECTION, f"下载被取消：{text}")
    if isinstance(exc, ResponseFailed | ResponseNeverReceived):
        inner = " ".join(str(r.value) for r in getattr(exc, "reasons", []) if hasattr(r, "value"))
        if "DataLoss" in repr(getattr(exc, "reasons", "")) or "loss" in inner.lower():
            return Problem(CONNECTION, "响应被截断（内容不完整）")
        return Problem(CONNECTION, f"连接中断：{inner or text}")
    if isinstance(exc, terror.ConnectError | terror.ConnectionLost | terror.ConnectionDone):
        return Problem(CONNECTION, f"连接失败：{text}")
    return Problem(CONNECTION, f"下载失败：{exc.__class__.__name__}: {text}")


def http_problem(status: int) -> Problem | None:
    """A non-success HTTP status as a problem (304 is handled by the caller)."""
    if status >= 400:
        return Problem(HTTP_ERROR, f"HTTP {status}")
    if status >= 300 and status != 304:
        return Problem(HTTP_ERROR, f"HTTP {status}（未跟随的重定向）")
    return None
