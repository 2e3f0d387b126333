"""reports.mail.build_message gives exactly the bytes the standard library's generator writes.

The reference is the whole message built and serialised by ``email`` (set_content / add_alternative /
add_attachment, ``as_bytes(policy=SMTP)``), as reports.mail did before it put the base64 bodies in
place itself.
"""

from __future__ import annotations

import datetime as dt
import email
import hashlib
import random
from email.message import EmailMessage
from email.policy import SMTP, default

import pytest

from reports.mail import XLSX_TYPE, build_message, format_datetime, message_id, safe_subject


def library_message(*, sender: str, recipient: str, subject: str, text: str, html: str,
                    attachment: tuple[str, bytes] | None, idem_key: str, date: dt.datetime) -> bytes:
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


def _text(rng: random.Random, size: int) -> str:
    alphabet = "政务公开栏目未更新逾期 abcXYZ0123<>&\"'\t\n\r\n\r…—\u2028"
    return "".join(rng.choice(alphabet) for _ in range(size))


CASES = [
    ("", "", None),
    ("一行", "<p>一行</p>", ("department-d001-2026-11-20.xlsx", b"")),
    ("结尾换行\n", "<p>x</p>\n", ("weekly-2026-W47.xlsx", b"PK\x03\x04" * 3)),
    ("CR\rCRLF\r\nLF\n\n\n", "\r\n", ("a.xlsx", bytes(range(256)) * 5)),
]


@pytest.mark.parametrize(("text", "html", "attachment"), CASES)
def test_same_bytes_as_the_library(text: str, html: str, attachment: tuple[str, bytes] | None) -> None:
    args = dict(sender="区政府办公室 <office@example.gov.cn>", recipient="mzj@example.gov.cn",
                subject="【政务公开问题清单】民政局 2026-11-20：待整改3项，最紧急：栏目超过90天未更新",
                text=text, html=html, attachment=attachment, idem_key="department:mzj|2026-11-20|mzj@example.gov.cn",
                date=dt.datetime(2026, 11, 20, 1, 2, 3))
    assert build_message(**args) == library_message(**args)


def test_same_bytes_for_random_bodies_and_sizes() -> None:
    rng = random.Random(8)
    for n in range(60):
        size = rng.choice([0, 1, 56, 57, 58, 113, 114, 115, 1000, 30_000])
        attachment = None if n % 3 == 0 else (f"department-d{n:03d}-2026-11-20.xlsx", rng.randbytes(size))
        args = dict(sender="office@example.gov.cn", recipient=f"r{n}@example.gov.cn",
                    subject=_text(rng, rng.randint(0, 200)), text=_text(rng, size), html=_text(rng, size * 2),
                    attachment=attachment, idem_key=f"department:d{n}|2026-11-20|r{n}", date=dt.datetime(2026, 11, 20))
        built = build_message(**args)
        assert built == library_message(**args)
        parsed = email.message_from_bytes(built, policy=default)
        leaves = [p for p in parsed.walk() if not p.is_multipart()]
        lines = args["text"].encode("utf-8").splitlines()  # bytes: CR and LF only, not U+2028
        assert leaves[0].get_content() == (b"\n".join(lines) + b"\n").decode("utf-8")
        if attachment:
            assert leaves[2].get_content() == attachment[1]


def test_same_bytes_for_bodies_with_line_feeds_only() -> None:
    """Rendered reports have LF line ends only: their bodies skip the split into lines, same bytes."""
    rng = random.Random(9)
    for n in range(40):
        size = rng.choice([0, 1, 2, 57, 1000, 30_000])
        text, html = (_text(rng, size).replace("\r", "") + ("\n" if n % 2 else "") for _ in range(2))
        args = dict(sender="office@example.gov.cn", recipient=f"r{n}@example.gov.cn", subject="日报",
                    text=text, html=html, attachment=None, idem_key=f"daily|2026-11-20|r{n}",
                    date=dt.datetime(2026, 11, 20))
        assert build_message(**args) == library_message(**args)


def test_same_bytes_for_bodies_given_as_utf8() -> None:
    """The reports pass their written files' bytes: the same message as for the text."""
    rng = random.Random(10)
    for n in range(30):
        size = rng.choice([0, 1, 57, 1000, 30_000])
        text, html = _text(rng, size), _text(rng, size * 2)
        if n % 2:
            text, html = text.replace("\r", ""), html.replace("\r", "")
        args = dict(sender="office@example.gov.cn", recipient=f"r{n}@example.gov.cn", subject="日报",
                    attachment=(f"d{n}.xlsx", rng.randbytes(size)), idem_key=f"daily|2026-11-20|r{n}",
                    date=dt.datetime(2026, 11, 20))
        expected = library_message(text=text, html=html, **args)
        assert build_message(text=text.encode("utf-8"), html=html.encode("utf-8"), **args) == expected


@pytest.mark.parametrize("recipient", [
    "mzj@example.gov.cn",
    "区民政局 <mzj@example.gov.cn>",
    '"Zhang, San" <zhang.san.with.a.very.long.local.part.for.folding@departments.example.gov.cn>',
    "a@b.c, d@e.f",
])
@pytest.mark.parametrize("filename", [
    "department-mzj-2026-11-20.xlsx",
    "department-民政局-2026-11-20.xlsx",
    "department-" + "x" * 90 + "-2026-11-20.xlsx",
    'odd "name"; x=1.xlsx',
    None,
])
def test_same_bytes_for_recipients_file_names_senders_and_dates(recipient: str, filename: str | None) -> None:
    """Messages share the library's skeleton per sender, date and attachment: every varying header as the library writes it."""
    for sender, date in (("office@example.gov.cn", dt.datetime(2026, 11, 20)),
                         ("区政府办公室 <office@example.gov.cn>", dt.datetime(2026, 11, 20, 1, 2, 3, tzinfo=dt.UTC)),
                         ("office@example.gov.cn", dt.datetime(2026, 11, 21, 8))):
        for subject in ("日报", "【政务公开问题清单】" + "很长的主题" * 30, "zwgk-stand-in-subject"):
            args = dict(sender=sender, recipient=recipient, subject=subject, text="正文\n", html="<p>正文</p>\n",
                        attachment=(filename, b"PK\x03\x04") if filename else None,
                        idem_key=f"department:mzj|2026-11-20|{recipient}|{subject}", date=date)
            assert build_message(**args) == library_message(**args)
