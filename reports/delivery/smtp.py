"""Send one stored RFC 5322 message over SMTP (none / STARTTLS / SSL)."""

from __future__ import annotations

import base64
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
            _login(client, user, password)
        refused = client.sendmail(mail.sender, [recipient], payload)
        if refused:
            raise smtplib.SMTPRecipientsRefused(refused)
        if accepted is not None:
            accepted()
        _quit(client, recipient)
    finally:
        client.close()


def _login(client: smtplib.SMTP, user: str, password: str) -> None:
    """Log in. smtplib encodes credentials as ASCII, so non-ASCII ones go as UTF-8 AUTH PLAIN (RFC 4616)."""
    if user.isascii() and password.isascii():
        client.login(user, password)
        return
    if not client.has_extn("auth"):
        raise smtplib.SMTPNotSupportedError("邮件服务器不支持 AUTH 登录")
    if "PLAIN" not in client.esmtp_features["auth"].upper().split():
        raise smtplib.SMTPException("邮件服务器不支持 AUTH PLAIN，含非 ASCII 字符的用户名或密码无法登录")
    token = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode("ascii")
    code, answer = client.docmd("AUTH", "PLAIN " + token)
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, answer)


def _quit(client: smtplib.SMTP, recipient: str) -> None:
    """Say goodbye; the message is already delivered, so a server that errs here changes nothing."""
    try:
        client.quit()
    except (smtplib.SMTPException, OSError) as exc:
        log.warning("邮件已被服务器接收（%s），结束会话时出错：%s", recipient, exc)
