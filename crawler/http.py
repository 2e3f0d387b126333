"""Small helpers on raw HTTP answers: header access and content decoding (the spider keeps raw bytes)."""

from __future__ import annotations

import hashlib
import zlib

from scrapy.http import Response

try:  # brotli is optional; we only advertise gzip/deflate
    import brotli
except ImportError:  # pragma: no cover
    brotli = None


def header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    if value is None:
        return None
    return value.decode("latin-1", "replace")


def header_dict(response: Response) -> dict[str, str]:
    """Response headers as str -> str (last value wins), for the parsers."""
    return {
        k.decode("latin-1"): b", ".join(v).decode("latin-1", "replace") for k, v in response.headers.items()
    }


def header_pairs(headers) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Scrapy Headers as (name, value) pairs in order, all values kept (for the WARC record)."""
    return [
        (k.decode("latin-1"), v.decode("latin-1", "replace")) for k, values in headers.items() for v in values
    ]


class DecodeError(Exception):
    pass


def content_bytes(response: Response, limit: int) -> bytes:
    """The body with Content-Encoding undone (gzip/deflate/br), at most ``limit`` bytes decoded."""
    body = response.body
    encoding = (header(response, "Content-Encoding") or "").strip().lower()
    if not body or encoding in ("", "identity"):
        return body
    try:
        if encoding in ("gzip", "x-gzip", "deflate"):
            wbits = 47 if encoding != "deflate" else zlib.MAX_WBITS
            try:
                obj = zlib.decompressobj(wbits)
                out = obj.decompress(body, limit + 1)
            except zlib.error:
                if encoding != "deflate":
                    raise
                obj = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate
                out = obj.decompress(body, limit + 1)
        elif encoding == "br" and brotli is not None:
            out = brotli.decompress(body)
        else:
            return body
    except (zlib.error, Exception) as exc:  # noqa: B014
        raise DecodeError(f"内容编码 {encoding} 解压失败：{exc}") from None
    if len(out) > limit:
        raise DecodeError(f"解压后超过大小上限 {limit} 字节")
    return out


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
