"""RFC 5322 messages built with the standard email library (headers are never string-glued)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
MAX_SUBJECT = 160


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
    text: str,
    html: str,
    attachment: tuple[str, bytes] | None,
    idem_key: str,
    date: dt.datetime,
) -> bytes:
    """A multipart/mixed message: text + HTML alternative, plus the XLSX attachment.

    Every leaf is base64 (CJK text would be base64 anyway; stating it skips the library's
    quoted-printable trial), so fixed boundaries cannot occur in the content and the
    generator need not scan the whole message for a free one.
    """
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = recipient
    msg["Subject"] = safe_subject(subject)
    msg["Date"] = format_datetime(date.replace(tzinfo=dt.UTC) if date.tzinfo is None else date)
    msg["Message-ID"] = message_id(idem_key, sender)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text, subtype="plain", charset="utf-8", cte="base64")
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="base64")
    if attachment:
        name, data = attachment
        msg.add_attachment(data, maintype=XLSX_TYPE[0], subtype=XLSX_TYPE[1], filename=name)
    token = hashlib.sha256(idem_key.encode("utf-8")).hexdigest()[:24]
    for n, part in enumerate(p for p in msg.walk() if p.is_multipart()):
        part.set_boundary(f"=_zwgk_{token}_{n}")
    return msg.as_bytes(policy=SMTP)
