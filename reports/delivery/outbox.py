"""Flush the persistent outbox: send what is due, retry with exponential back-off, give up after max_attempts.

Each message is handled in its own transaction: send, then mark sent. An SMTP message is
marked (and committed) as soon as the server has accepted its DATA, before QUIT, so a
process killed afterwards or a server erring at QUIT does not send it again. Only a crash
between the server's acceptance and that commit (milliseconds) can repeat one message;
its stable Message-ID lets mail clients recognise the repeat. When mail is disabled the
e-mails are written as .eml files to ``config.outbox_dir`` instead.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from reports import queries
from reports.build import write_atomic
from reports.delivery import smtp, webhook
from store.db import Database
from store.models import OutboxMessage, utcnow
from zwgk.config import Config

log = logging.getLogger(__name__)
_UNSAFE = re.compile(r"[^A-Za-z0-9._@-]+")


@dataclass
class FlushStats:
    sent: int = 0
    written: int = 0  # .eml files (mail disabled)
    retrying: int = 0
    failed: int = 0  # gave up during this flush
    failures: list[str] = field(default_factory=list)  # Chinese lines for people

    @property
    def delivered(self) -> int:
        return self.sent + self.written


def flush_outbox(config: Config, db: Database, *, now: dt.datetime | None = None) -> FlushStats:
    """Deliver every due pending message once; returns what happened."""
    now = now or utcnow()
    stats = FlushStats()
    with db.session() as session:
        ids = [m.id for m in queries.due_messages(session, now)]
    for message_id in ids:
        with db.session() as session:
            msg = session.get(OutboxMessage, message_id)
            if msg is None or msg.status != "pending":
                continue
            recorded: list[bool] = []

            def accepted(msg: OutboxMessage = msg, session: Session = session, done: list = recorded) -> None:
                _mark_sent(msg, "smtp")
                session.commit()  # the server has it: record before QUIT, so no crash after sends it twice
                done.append(True)

            try:
                channel = _deliver(config, msg, accepted)
            except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
                if recorded:  # delivered and recorded; what failed came after
                    log.warning("消息已投递，其后出错：%s：%s", msg.recipient, exc)
                    stats.sent += 1
                else:
                    _record_failure(config, msg, exc, now, stats)
                continue
            if not recorded:
                _mark_sent(msg, channel)
            if channel == "file":
                stats.written += 1
            else:
                stats.sent += 1
    return stats


def _mark_sent(msg: OutboxMessage, channel: str) -> None:
    msg.status = "sent"
    msg.channel = channel
    msg.sent_at = utcnow()
    msg.last_error = None
    msg.attempts += 1


def _deliver(config: Config, msg: OutboxMessage, accepted: Callable[[], None]) -> str:
    """Send one message; returns the channel actually used."""
    if msg.channel == "webhook":
        hook = next((h for h in config.webhooks if f"webhook:{h.id}" == msg.recipient), None)
        if hook is None:
            raise webhook.WebhookError(f"配置中已没有 {msg.recipient}")
        webhook.send(hook, msg.payload)
        return "webhook"
    if not config.mail.enabled:
        name = f"{msg.id:06d}-{msg.kind}-{_UNSAFE.sub('_', msg.recipient)}.eml"
        write_atomic(config.outbox_dir / msg.period / name, msg.payload)
        return "file"
    smtp.send(config.mail, msg.recipient, msg.payload, accepted)
    return "smtp"


def _record_failure(config: Config, msg: OutboxMessage, exc: Exception, now: dt.datetime, stats: FlushStats) -> None:
    msg.attempts += 1
    msg.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    if msg.attempts >= config.mail.max_attempts:
        msg.status = "failed"
        msg.next_attempt_at = None
        stats.failed += 1
        line = f"投递失败（已尝试 {msg.attempts} 次，不再重试）：{msg.recipient}《{msg.subject}》：{msg.last_error}"
        stats.failures.append(line)
        log.error(line)
    else:
        delay = config.mail.retry_base_seconds * (2 ** (msg.attempts - 1))
        msg.next_attempt_at = now + dt.timedelta(seconds=delay)
        stats.retrying += 1
        log.warning("投递失败，%s 后重试：%s：%s", msg.next_attempt_at, msg.recipient, msg.last_error)


def describe(stats: FlushStats) -> str:
    """One Chinese summary of a flush (plus a line per message given up on)."""
    lines = [
        f"投递完成：发送 {stats.sent} 封，写入文件 {stats.written} 封，待重试 {stats.retrying} 封，放弃 {stats.failed} 封"
    ]
    lines += stats.failures
    return "\n".join(lines)
