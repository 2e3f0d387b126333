"""Outbox crash safety: a `zwgk report … --send` process SIGKILLed before or while sending loses nothing.

A real child process renders and queues the reports and starts delivering to an SMTP server on
127.0.0.1 that stalls at a chosen point (greeting, DATA of the n-th message, QUIT after a message
was accepted). The test kills the child there, then a fresh `zwgk outbox --flush` process
delivers to a real aiosmtpd server. Every queued message must arrive, each exactly once
(identified by its Message-ID), and a further flush sends nothing.
"""

from __future__ import annotations

import asyncio
import email
import os
import signal
import socket
import subprocess
import sys
import threading
from email.policy import default
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from conftest import free_port
from reports_dataset import AS_OF, populate, write_settings
from sqlalchemy import select

from reports.build import build_and_queue
from store.db import Database
from store.models import OutboxMessage

ROOT = Path(__file__).resolve().parent.parent
STALL_SECONDS = 60  # far beyond the test: the child is killed while it waits


class StallingInbox:
    """aiosmtpd handler: accepts ``accept`` messages, then stalls (DATA or QUIT) until released."""

    def __init__(self, accept: int, stall: str, quit_reply: str = "221 Bye") -> None:
        self.accept = accept
        self.quit_reply = quit_reply
        self.stall = (
            stall  # "data": before answering the next DATA; "quit": at the QUIT after the last accepted
        )
        self.messages: list[bytes] = []
        self.stalled = threading.Event()
        self.release = threading.Event()

    async def _wait(self) -> None:
        self.stalled.set()
        for _ in range(STALL_SECONDS * 20):
            if self.release.is_set():
                return
            await asyncio.sleep(0.05)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook name
        if self.stall == "data" and len(self.messages) >= self.accept:
            await self._wait()
            return "451 Try again later"  # never accepted: the client is gone by now
        self.messages.append(envelope.original_content or envelope.content)
        return "250 Message accepted"

    async def handle_QUIT(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook name
        if self.stall == "quit" and len(self.messages) >= self.accept:
            await self._wait()
        return self.quit_reply


class SilentServer:
    """A TCP server that accepts connections and never says a word (stalls before the SMTP greeting)."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_server(("127.0.0.1", port))
        self.stalled = threading.Event()
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        self.conns.append(conn)
        self.stalled.set()

    def stop(self) -> None:
        for conn in self.conns:
            conn.close()
        self.sock.close()


def _rows(db: Database) -> list[OutboxMessage]:
    with db.session() as s:
        rows = list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        s.expunge_all()
    return rows


def _message_id(raw: bytes) -> str:
    return str(email.message_from_bytes(raw, policy=default)["Message-ID"])


def _zwgk(*argv: str, config: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "zwgk", *argv, "--config", str(config)],
        cwd=config.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _kill_when_stalled(stalled: threading.Event, proc: subprocess.Popen) -> None:
    if not stalled.wait(timeout=120):
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"the child never reached the stalled server: {out.decode()} {err.decode()}")
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL


def _flush_fresh(config: Path) -> str:
    proc = _zwgk("outbox", "--flush", config=config)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()
    return out.decode()


@pytest.mark.parametrize(
    ("stall", "accept"),
    [("greeting", 0), ("data", 0), ("data", 2)],
    ids=["before-greeting", "during-first-data", "during-third-data"],
)
def test_killed_sender_loses_nothing_and_repeats_nothing(tmp_path: Path, stall: str, accept: int) -> None:
    port = free_port()
    config = write_settings(tmp_path, port=port, enabled=True, retry_base=0)
    db = populate(config)
    build_and_queue(config, db, "daily", AS_OF)  # rendered and queued by an earlier run: office + leader

    if stall == "greeting":
        silent = SilentServer(port)
        stalled, stop_stalling = silent.stalled, silent.stop
        accepted: list[bytes] = []
    else:
        handler = StallingInbox(accept, stall)
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        stalled, accepted = handler.stalled, handler.messages

        def stop_stalling() -> None:
            handler.release.set()
            controller.stop()

    try:
        child = _zwgk("report", "department", "--as-of", AS_OF.isoformat(), "--send", config=config.path)
        _kill_when_stalled(stalled, child)
    finally:
        stop_stalling()

    # the department reports were rendered and queued by the killed process; nothing is lost
    rows = _rows(db)
    assert len(rows) == len(config.departments) + 3  # office, leader; mzj ×2, czj, office's own list
    assert {r.kind for r in rows} == {"daily", "department"}
    assert (config.reports_dir / AS_OF.isoformat()).is_dir()
    sent_before = {r.id for r in rows if r.status == "sent"}
    assert len(accepted) == accept and len(sent_before) == accept  # accepted by the server ⇔ marked sent
    assert {_message_id(raw) for raw in accepted} == {
        _message_id(r.payload) for r in rows if r.id in sent_before
    }
    assert all(r.status == "pending" for r in rows if r.id not in sent_before)

    inbox = StallingInbox(accept=10**6, stall="none")
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        out = _flush_fresh(config.path)
        assert f"发送 {len(rows) - accept} 封" in out, out
        assert "发送 0 封" in _flush_fresh(config.path)  # a second run sends nothing
    finally:
        controller.stop()

    delivered = [_message_id(raw) for raw in accepted + inbox.messages]
    expected = sorted(_message_id(r.payload) for r in rows)
    assert sorted(delivered) == expected and len(set(expected)) == len(rows)  # each exactly once
    final = _rows(db)
    assert {r.status for r in final} == {"sent"}
    db.dispose()


def test_killed_after_the_server_accepted_a_message_does_not_send_it_again(tmp_path: Path) -> None:
    """The server answered 250 to the first message and stalls at QUIT: it is delivered, mark it so at once."""
    port = free_port()
    config = write_settings(tmp_path, port=port, enabled=True, retry_base=0)
    db = populate(config)
    build_and_queue(config, db, "daily", AS_OF)
    handler = StallingInbox(accept=1, stall="quit")
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        child = _zwgk("outbox", "--flush", config=config.path)
        _kill_when_stalled(handler.stalled, child)
    finally:
        handler.release.set()
        controller.stop()
    [first, second] = _rows(db)
    assert len(handler.messages) == 1 and _message_id(handler.messages[0]) == _message_id(first.payload)
    assert (first.status, second.status) == ("sent", "pending")

    inbox = StallingInbox(accept=10**6, stall="none")
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert "发送 1 封" in _flush_fresh(config.path)
    finally:
        controller.stop()
    assert [_message_id(raw) for raw in inbox.messages] == [_message_id(second.payload)]
    db.dispose()


def test_an_error_reply_to_quit_does_not_cause_a_resend(tmp_path: Path) -> None:
    """Accepted (250), then QUIT answered with an error: the message is delivered, not a failure to retry."""
    port = free_port()
    config = write_settings(tmp_path, port=port, enabled=True, retry_base=0)
    db = populate(config)
    build_and_queue(config, db, "daily", AS_OF)
    handler = StallingInbox(accept=10**6, stall="none", quit_reply="421 4.3.2 Service shutting down")
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        out = _flush_fresh(config.path)
        assert "发送 2 封" in out and "待重试 0 封" in out, out
        assert "发送 0 封" in _flush_fresh(config.path)
    finally:
        controller.stop()
    assert len(handler.messages) == 2
    assert {r.status for r in _rows(db)} == {"sent"}
    db.dispose()
