"""Send one stored RFC 5322 message over SMTP (none / STARTTLS / SSL)."""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable

from zwgk.config import MailConfig

log = logging.getLogger(__name__)


def send(
    mail: MailConfig, recipient: str, payload: bytes, accepted: Callable[[], None] | None = None
) -> None:
    """Deliver ``payload`` to ``recipient``; raises on any failure before the server accepted it.

    Once the server has answered the DATA with 2xx the message is delivered: ``accepted`` is
    called right then (the outbox records it as sent before anything else can go wrong), and a
    failing QUIT afterwards is logged, never raised (raising would make the caller send it again).
    """
    timeout = mail.timeout_seconds
    if mail.security == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            mail.host, mail.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(mail.host, mail.port, timeout=timeout)
    try:
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
        if accepted is not None:
            accepted()
        _quit(client, recipient)
    finally:
        client.close()


def _quit(client: smtplib.SMTP, recipient: str) -> None:
    """Say goodbye; the message is already delivered, so a server that errs here changes nothing."""
    try:
        client.quit()
    except (smtplib.SMTPException, OSError) as exc:
        log.warning("邮件已被服务器接收（%s），结束会话时出错：%s", recipient, exc)
