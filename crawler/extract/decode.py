"""Turn response bytes into text: header charset, then <meta>, then detection."""

from __future__ import annotations

import codecs
import re

import charset_normalizer

_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([\w.:-]+)""", re.I
)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]+encoding\s*=\s*["']([\w.:-]+)""", re.I)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
# Charsets servers send by default without knowing the page: weaker than the page's own <meta>.
_WEAK = {"iso8859-1", "latin-1", "cp1252", "ascii"}


def normalize_encoding(name: str | None) -> str | None:
    """Python codec name, with GBK/GB2312 widened to GB18030; None when unknown."""
    if not name:
        return None
    try:
        codec = codecs.lookup(name.strip().strip("'\"").lower()).name
    except LookupError:
        return None
    if codec in {"gbk", "gb2312", "hz", "gb18030"}:
        return "gb18030"
    return codec


def _try(body: bytes, encoding: str | None) -> str | None:
    if not encoding:
        return None
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _looks_chinese(text: str) -> bool:
    return not _CONTROL.search(text) and bool(_CJK.search(text))


_MOJIBAKE = re.compile(r"[\u00c0-\u00ef][\u0080-\u00bf]{1,2}")


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 that was read as Latin-1 and saved again (``è¯·ç¨å`` → ``请稍候``); else unchanged."""
    if _CJK.search(text) or len(_MOJIBAKE.findall(text)) < 3:
        return text
    try:
        fixed = text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text
    return fixed if _CJK.search(fixed) else text


def decode_body(body: bytes, content_type: str | None) -> tuple[str, str]:
    """Text and encoding name: HTTP header charset, then <meta charset>/http-equiv, then detection
    (charset-normalizer). GBK/GB2312 are decoded as GB18030 (superset). Double-encoded UTF-8
    (mojibake) is repaired. Never raises."""
    try:
        text, encoding = _decode(body or b"", content_type)
        return repair_mojibake(text), encoding
    except Exception:  # noqa: BLE001 - the contract is "never raises"
        return (body or b"").decode("utf-8", "replace"), "utf-8"


def _decode(body: bytes, content_type: str | None) -> tuple[str, str]:
    for bom, name in _BOMS:
        if body.startswith(bom):
            return body[len(bom):].decode(name, "replace"), name
    header = None
    if content_type:
        m = _HEADER_CHARSET.search(content_type)
        header = normalize_encoding(m.group(1)) if m else None
    head = body[:4096]
    m = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
    meta = normalize_encoding(m.group(1).decode("ascii", "ignore")) if m else None
    order = [header, meta] if header not in _WEAK else [meta, header]
    for enc in order:
        text = _try(body, enc)
        if text is not None:
            return text, enc  # type: ignore[return-value]
    text = _try(body, "utf-8")
    if text is not None:
        return text, "utf-8"
    # Government sites that are not UTF-8 are almost always GBK: prefer it when it reads as clean Chinese.
    text = _try(body, "gb18030")
    if text is not None and _looks_chinese(text):
        return text, "gb18030"
    best = charset_normalizer.from_bytes(body).best()
    if best is not None:
        enc = normalize_encoding(best.encoding) or best.encoding
        text = _try(body, enc)
        if text is not None:
            return text, enc
    for enc in ("gb18030", "big5"):
        text = _try(body, enc)
        if text is not None:
            return text, enc
    fallback = header or meta or "utf-8"
    return body.decode(fallback, "replace"), fallback
