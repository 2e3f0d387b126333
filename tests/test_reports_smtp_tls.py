"""SMTP over STARTTLS and implicit TLS with a login from the environment, against aiosmtpd on 127.0.0.1.

The server's certificate is self-signed for 127.0.0.1; the client trusts it only through
SSL_CERT_FILE (certificate verification stays on: without it the send fails).
"""

from __future__ import annotations

import dataclasses
import email
import shutil
import smtplib
import ssl
import subprocess
from email.policy import default
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from conftest import free_port
from reports_dataset import AS_OF, populate, write_settings
from sqlalchemy import select

from reports.build import build_and_queue
from reports.delivery import smtp
from reports.delivery.outbox import flush_outbox
from store.models import OutboxMessage
from zwgk.config import MailConfig

USER, PASSWORD = "zwgk-sender", "s3cret-pass"
MESSAGE = (
    b"From: zwgk-monitor@example.gov.cn\r\nTo: office@example.gov.cn\r\n"
    b"Subject: =?utf-8?b?5rWL6K+V?=\r\n\r\nhello\r\n"
)


class Inbox:
    """Keeps accepted messages and whether each came over TLS from the logged-in user."""

    def __init__(self, password: str = PASSWORD) -> None:
        self.password = password
        self.messages: list[tuple[bytes, bool, object]] = []
        self.logins: list[str] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook name
        over_tls = server.transport.get_extra_info("ssl_object") is not None
        self.messages.append((envelope.original_content or envelope.content, over_tls, session.auth_data))
        return "250 Message accepted"

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:  # type: ignore[no-untyped-def]
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            USER.encode(),
            self.password.encode(),
        )
        if ok:
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False)


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed (Debian package openssl)")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )
    return cert, key


def _server_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def _mail(port: int, security: str) -> MailConfig:
    return MailConfig(
        enabled=True, host="127.0.0.1", port=port, sender="zwgk-monitor@example.gov.cn", security=security,
        username_env="TEST_ZWGK_SMTP_USER", password_env="TEST_ZWGK_SMTP_PASSWORD", timeout_seconds=10,
    )


def _start(
    port: int, security: str, cert: Path, key: Path, password: str = PASSWORD
) -> tuple[Controller, Inbox]:
    inbox = Inbox(password)
    tls = _server_context(cert, key)
    options: dict[str, object] = {"authenticator": inbox.authenticate, "auth_required": True}
    if security == "starttls":
        options.update(tls_context=tls, require_starttls=True, auth_require_tls=True)
    else:
        # implicit TLS: aiosmtpd only counts STARTTLS as "TLS" for AUTH, so allow AUTH on this TLS socket
        options.update(ssl_context=tls, auth_require_tls=False)
    controller = Controller(inbox, hostname="127.0.0.1", port=port, server_hostname="127.0.0.1", **options)
    controller.start()
    return controller, inbox


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize(
    ("security", "password"),
    # smtplib's login() encodes credentials as ASCII: a 中文 password raised UnicodeEncodeError (now UTF-8 AUTH PLAIN)
    [("starttls", PASSWORD), ("ssl", PASSWORD), ("starttls", "政务公开-密码-2026")],
)
def test_tls_and_login_from_the_environment(
    security: str, password: str, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = certificate
    port = free_port()
    controller, inbox = _start(port, security, cert, key, password=password)
    mail = _mail(port, security)
    try:
        # certificate verification is on: an untrusted certificate is refused
        monkeypatch.setenv("SSL_CERT_FILE", str(Path(cert).parent / "missing.pem"))
        monkeypatch.setenv("TEST_ZWGK_SMTP_USER", USER)
        monkeypatch.setenv("TEST_ZWGK_SMTP_PASSWORD", password)
        with pytest.raises(ssl.SSLCertVerificationError):
            smtp.send(mail, "office@example.gov.cn", MESSAGE)

        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        # no login in the environment: the server that requires one refuses the message
        monkeypatch.delenv("TEST_ZWGK_SMTP_USER")
        monkeypatch.delenv("TEST_ZWGK_SMTP_PASSWORD")
        with pytest.raises(smtplib.SMTPException):
            smtp.send(mail, "office@example.gov.cn", MESSAGE)
        # a wrong password is refused too
        monkeypatch.setenv("TEST_ZWGK_SMTP_USER", USER)
        monkeypatch.setenv("TEST_ZWGK_SMTP_PASSWORD", f"{password}-wrong")
        with pytest.raises(smtplib.SMTPAuthenticationError):
            smtp.send(mail, "office@example.gov.cn", MESSAGE)
        assert inbox.messages == []

        monkeypatch.setenv("TEST_ZWGK_SMTP_PASSWORD", password)
        smtp.send(mail, "office@example.gov.cn", MESSAGE)
    finally:
        controller.stop()
    assert inbox.logins == [USER]
    [(raw, over_tls, _auth)] = inbox.messages
    assert over_tls and b"hello" in raw


def test_outbox_delivers_scorecards_over_starttls(
    tmp_path: Path, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = certificate
    port = free_port()
    config = write_settings(tmp_path, port=port, enabled=True)
    config = dataclasses.replace(config, mail=dataclasses.replace(_mail(port, "starttls"), sender=config.mail.sender))
    db = populate(config)
    build_and_queue(config, db, "department", AS_OF, department_id="czj")
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    monkeypatch.setenv("TEST_ZWGK_SMTP_USER", USER)
    monkeypatch.setenv("TEST_ZWGK_SMTP_PASSWORD", PASSWORD)
    controller, inbox = _start(port, "starttls", cert, key)
    try:
        stats = flush_outbox(config, db)
    finally:
        controller.stop()
    assert (stats.sent, stats.retrying, stats.failed) == (1, 0, 0)
    with db.session() as s:
        row = s.scalars(select(OutboxMessage)).one()
    assert (row.status, row.channel, row.last_error) == ("sent", "smtp", None)
    [(raw, over_tls, _auth)] = inbox.messages
    msg = email.message_from_bytes(raw, policy=default)
    assert over_tls and msg["To"] == "czj@example.gov.cn"
    assert PASSWORD.encode() not in raw
    db.dispose()
