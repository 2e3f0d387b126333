"""Send one stored RFC 5322 message over SMTP (none / STARTTLS / SSL)."""

from __future__ import annotations

import smtplib
import ssl

from zwgk.config import MailConfig


def send(mail: MailConfig, recipient: str, payload: bytes) -> None:
    """Deliver ``payload`` to ``recipient``; raises on any failure (the caller schedules a retry)."""
    timeout = mail.timeout_seconds
    if mail.security == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            mail.host, mail.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(mail.host, mail.port, timeout=timeout)
    with client:
        client.ehlo()
        if mail.security == "starttls":
            client.starttls(context=ssl.create_default_context())
            client.ehlo()
        user, password = mail.credentials()
        if user and password:
            client.login(user, password)
        refused = client.sendmail(mail.sender, [recipient], payload)
        if refused:
            raise smtplib.SMTPRecipientsRefused(refused)
