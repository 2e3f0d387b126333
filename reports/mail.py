"""RFC 5322 messages built with the standard email library (headers are never string-glued)."""

from __future__ import annotations

import binascii
import datetime as dt
import functools
import hashlib
import re
import secrets
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP, default
from email.utils import format_datetime

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
MAX_SUBJECT = 160
_LINES = re.compile(rb".{1,76}", re.S)  # base64 lines (``findall``: ≈ 2× faster than slicing in a loop)


def safe_subject(text: str) -> str:
    """One line, no control characters, bounded length: crawled or configured text cannot add headers."""
    text = _CONTROL.sub(" ", text)
    text = " ".join(text.split())
    return text if len(text) <= MAX_SUBJECT else text[: MAX_SUBJECT - 1] + "…"


def message_id(idem_key: str, sender: str) -> str:
    """A stable Message-ID per outbox key, so a resend after a crash can be recognised as the same mail."""
    domain = sender.rpartition("@")[2] or "localhost"
    digest = hashlib.sha256(idem_key.encode("utf-8")).hexdigest()[:32]
    return f"<zwgk.{digest}@{domain}>"


def build_message(
    *,
    sender: str,
    recipient: str,
    subject: str,
    text: str | bytes,
    html: str | bytes,
    attachment: tuple[str, bytes] | None,
    idem_key: str,
    date: dt.datetime,
) -> bytes:
    """A multipart/mixed message: text + HTML alternative, plus the XLSX attachment.

    Every leaf is base64 (CJK text would be base64 anyway; stating it skips the library's
    quoted-printable trial), so fixed boundaries cannot occur in the content and the
    generator need not scan the whole message for a free one.

    The standard library builds and serialises the message's structure and headers with a
    placeholder body in each leaf; the bodies are base64-encoded here and put in their place.
    The bytes are the same as the library's own output (``tests/test_reports_mail.py``), without
    its line-by-line rewrite of megabytes of base64 (a province's 500 department mails: ≈ 1 M
    lines through ``email.generator``).

    ``text`` and ``html`` may be given UTF-8 encoded already (the written report files' bytes).
    """
    bodies = [_base64_body(_text_bytes(text)), _base64_body(_text_bytes(html))]
    if attachment:
        bodies.append(_base64_body(attachment[1]))
    date_text = format_datetime(date.replace(tzinfo=dt.UTC) if date.tzinfo is None else date)
    skeleton = _skeleton(sender, date_text, attachment is not None)
    token = hashlib.sha256(idem_key.encode("utf-8")).hexdigest()[:24]
    values = {"To": recipient, "Subject": safe_subject(subject), "Message-ID": message_id(idem_key, sender)}
    if attachment:
        values["Content-Disposition"] = attachment[0]
    pieces = []
    for n, segment in enumerate(skeleton.segments):
        segment = segment.replace(skeleton.token, token.encode("ascii"))
        for name in skeleton.headers[n]:
            segment = segment.replace(skeleton.lines[name], _header_line(name, values[name]), 1)
        pieces.append(segment)
        if n < len(bodies):
            pieces.append(bodies[n])
    return b"".join(pieces)


@dataclass(frozen=True)
class _Skeleton:
    """A message as the library writes it, split where the bodies go, with stand-in values in the headers
    that differ from message to message (``lines``: their folded lines; ``headers``: which are in which segment)."""

    segments: list[bytes]
    token: bytes
    lines: dict[str, bytes]
    headers: list[list[str]]


_STAND_IN = {"To": "recipient@zwgk-stand-in.invalid", "Subject": "zwgk-stand-in-subject",
             "Message-ID": "<zwgk-stand-in@zwgk-stand-in.invalid>", "Content-Disposition": "zwgk-stand-in.xlsx"}
_STAND_IN_TOKEN = "f" * 24  # a boundary token of the same length and characters: the same folding


@functools.lru_cache(maxsize=8)
def _skeleton(sender: str, date_text: str, attachment: bool) -> _Skeleton:
    """The library's message for these constant parts, built once (≈ 5 ms of ``email`` per message)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = _STAND_IN["To"]
    msg["Subject"] = _STAND_IN["Subject"]
    msg["Date"] = date_text
    msg["Message-ID"] = _STAND_IN["Message-ID"]
    msg["Auto-Submitted"] = "auto-generated"
    # Empty content: the headers set_content writes do not depend on it (charset and CTE are given).
    msg.set_content("", subtype="plain", charset="utf-8", cte="base64")
    msg.add_alternative("", subtype="html", charset="utf-8", cte="base64")
    if attachment:
        msg.add_attachment(b"", maintype=XLSX_TYPE[0], subtype=XLSX_TYPE[1], filename=_STAND_IN["Content-Disposition"])
    for n, part in enumerate(p for p in msg.walk() if p.is_multipart()):
        part.set_boundary(f"=_zwgk_{_STAND_IN_TOKEN}_{n}")
    marker = secrets.token_hex(16)  # unguessable: no header can contain it
    leaves = [p for p in msg.walk() if not p.is_multipart()]
    for n, part in enumerate(leaves):
        part.set_payload(f"{marker}.{n}\n")
    segments = []
    rest = msg.as_bytes(policy=SMTP)
    for n in range(len(leaves)):
        before, found, rest = rest.partition(f"{marker}.{n}\r\n".encode("ascii"))
        if not found:
            raise RuntimeError("MIME placeholder not found")  # cannot happen: one per leaf, in walk order
        segments.append(before)
    segments.append(rest)
    names = list(_STAND_IN) if attachment else list(_STAND_IN)[:3]
    lines = {name: _header_line(name, _STAND_IN[name]) for name in names}
    headers = [[name for name in names if lines[name] in segment] for segment in segments]
    if sorted(name for found in headers for name in found) != sorted(names) or any(
        segment.count(lines[name]) != 1 for segment, found in zip(segments, headers, strict=True) for name in found
    ):
        raise RuntimeError("MIME stand-in header not found once")  # cannot happen: one header each
    return _Skeleton(segments, _STAND_IN_TOKEN.encode("ascii"), lines, headers)


def _header_line(name: str, value: str) -> bytes:
    """The folded header as the generator writes it (``Content-Disposition``: an attachment's, ``value`` its file name)."""
    if name == "Content-Disposition":  # what add_attachment(filename=value) sets (contentmanager._finalize_set)
        part = EmailMessage()
        part["Content-Disposition"] = "attachment"
        part.set_param("filename", value, header="Content-Disposition", replace=True)
        return SMTP.fold_binary(*next(iter(part.raw_items())))
    return SMTP.fold_binary(name, default.header_store_parse(name, value)[1])


def _text_bytes(text: str | bytes) -> bytes:
    """What ``set_content(str, cte="base64")`` encodes: UTF-8, line ends normalised to LF, a final LF."""
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    if b"\r" not in data:  # LF only (the rendered reports): the same bytes without splitting every line
        return data if data.endswith(b"\n") else data + b"\n"
    return b"\n".join(data.splitlines()) + b"\n"


def _base64_body(data: bytes) -> bytes:
    """Base64 in lines of 76 characters, CRLF after each (as the library writes it under the SMTP policy)."""
    encoded = binascii.b2a_base64(data, newline=False)
    if not encoded:
        return b""
    lines = _LINES.findall(encoded)
    lines.append(b"")
    return b"\r\n".join(lines)
