"""Delivery against a real SMTP server (aiosmtpd on 127.0.0.1) and a local webhook endpoint."""

from __future__ import annotations

import datetime as dt
import email
import io
import json
import threading
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from conftest import free_port
from openpyxl import load_workbook
from reports_dataset import AS_OF, populate, write_settings
from sqlalchemy import select

from reports.build import build_and_queue
from reports.delivery.outbox import flush_outbox
from store.models import OutboxMessage


class Inbox:
    """aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook name
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 Message accepted"


@pytest.fixture
def smtp_port() -> int:
    return free_port()


def start_smtp(port: int) -> tuple[Controller, Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, inbox


def statuses(db) -> dict[str, int]:
    with db.session() as s:
        rows = list(s.scalars(select(OutboxMessage)))
    out: dict[str, int] = {}
    for r in rows:
        out[r.status] = out.get(r.status, 0) + 1
    return out


def test_outbox_waits_while_server_is_down_then_delivers_exactly_once(tmp_path: Path, smtp_port: int) -> None:
    config = write_settings(tmp_path, port=smtp_port, enabled=True)
    db = populate(config)
    build_and_queue(config, db, "daily", AS_OF)
    build_and_queue(config, db, "department", AS_OF, department_id="mzj")
    queued = statuses(db)["pending"]
    assert queued == 4  # office + leader (daily), two 区民政局 addresses (department)

    # server down: nothing is lost, everything waits with the error recorded
    stats = flush_outbox(config, db)
    assert (stats.sent, stats.retrying, stats.failed) == (0, 4, 0)
    with db.session() as s:
        rows = list(s.scalars(select(OutboxMessage)))
    assert all(r.status == "pending" and r.attempts == 1 and "Connection" in (r.last_error or "") for r in rows)

    controller, inbox = start_smtp(smtp_port)
    try:
        stats = flush_outbox(config, db)
        assert (stats.sent, stats.retrying) == (4, 0)
        assert statuses(db) == {"sent": 4}
        # a second flush and a rerun of the reports send nothing twice
        assert flush_outbox(config, db).delivered == 0
        build_and_queue(config, db, "daily", AS_OF)
        build_and_queue(config, db, "department", AS_OF, department_id="mzj")
        assert flush_outbox(config, db).delivered == 0
    finally:
        controller.stop()

    assert sorted(r for rcpts, _ in inbox.messages for r in rcpts) == [
        "leader@example.gov.cn", "mzj-2@example.gov.cn", "mzj@example.gov.cn", "office@example.gov.cn",
    ]
    ids = set()
    for rcpts, raw in inbox.messages:
        msg = email.message_from_bytes(raw, policy=default)
        assert msg["To"] == rcpts[0] and msg["From"] == "zwgk-monitor@example.gov.cn"
        ids.add(msg["Message-ID"])
        types = [p.get_content_type() for p in msg.walk()]
        assert types[:4] == ["multipart/mixed", "multipart/alternative", "text/plain", "text/html"]
        (xlsx,) = [p for p in msg.walk() if p.get_filename()]
        assert xlsx.get_filename().endswith("-2026-11-20.xlsx")
        wb = load_workbook(io.BytesIO(xlsx.get_content()))
        assert wb.worksheets and wb.worksheets[0].freeze_panes == "A2"
        body = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        if rcpts[0].startswith("mzj"):
            assert "区民政局政务公开问题清单" in body and "区财政局" not in html
            assert wb.sheetnames == ["区民政局"]
        else:
            assert "政务公开每日监测通报" in body and "各部门情况" in html
            assert wb.sheetnames[:2] == ["部门汇总", "区政府办公室"]
    assert len(ids) == 4


def test_backoff_is_exponential_and_gives_up_after_max_attempts(tmp_path: Path, smtp_port: int) -> None:
    config = write_settings(tmp_path, port=smtp_port, enabled=True, max_attempts=3, retry_base=60)
    db = populate(config)
    build_and_queue(config, db, "department", AS_OF, department_id="czj")
    t0 = dt.datetime(2026, 11, 20, 1, 0)
    assert flush_outbox(config, db, now=t0).retrying == 1
    with db.session() as s:
        row = s.scalars(select(OutboxMessage)).one()
    assert row.next_attempt_at == t0 + dt.timedelta(seconds=60)
    assert flush_outbox(config, db, now=t0 + dt.timedelta(seconds=30)).retrying == 0  # not due yet
    t1 = t0 + dt.timedelta(seconds=61)
    assert flush_outbox(config, db, now=t1).retrying == 1
    with db.session() as s:
        row = s.scalars(select(OutboxMessage)).one()
    assert (row.attempts, row.next_attempt_at) == (2, t1 + dt.timedelta(seconds=120))
    stats = flush_outbox(config, db, now=t1 + dt.timedelta(seconds=121))
    assert stats.failed == 1 and "czj@example.gov.cn" in stats.failures[0]
    with db.session() as s:
        row = s.scalars(select(OutboxMessage)).one()
    assert (row.status, row.attempts) == ("failed", 3)
    # a message given up on is not retried, and the office's daily scorecard reports it
    assert flush_outbox(config, db, now=t1 + dt.timedelta(days=1)).delivered == 0
    build_and_queue(config, db, "daily", AS_OF + dt.timedelta(days=1))
    text = (config.reports_dir / "2026-11-21" / "daily.txt").read_text(encoding="utf-8")
    assert "== 投递失败的消息（1） ==" in text and "czj@example.gov.cn" in text


def test_mail_disabled_writes_eml_files(tmp_path: Path) -> None:
    config = write_settings(tmp_path, enabled=False)
    db = populate(config)
    build_and_queue(config, db, "weekly", AS_OF)
    stats = flush_outbox(config, db)
    assert (stats.written, stats.sent) == (2, 0)
    files = sorted((config.outbox_dir / "2026-W47").glob("*.eml"))
    assert [f.name.split("-", 1)[1] for f in files] == ["weekly-office@example.gov.cn.eml", "weekly-leader@example.gov.cn.eml"]
    msg = email.message_from_bytes(files[0].read_bytes(), policy=default)
    assert "政务公开每周考评通报" in msg.get_body(("plain",)).get_content()
    with db.session() as s:
        assert {(r.status, r.channel) for r in s.scalars(select(OutboxMessage))} == {("sent", "file")}
    assert flush_outbox(config, db).delivered == 0


class _Hook(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server hook name
        length = int(self.headers.get("Content-Length", 0))
        type(self).received.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


WEBHOOK = """
[[webhooks]]
id = "office-bot"
kind = "wecom"
url_env = "ZWGK_TEST_ROBOT"
report_base_url = "https://zwgk.example.gov.cn/reports/"

[[webhooks]]
id = "mzj-bot"
kind = "dingtalk"
url_env = "ZWGK_TEST_ROBOT_MZJ"
departments = ["mzj"]
"""


def test_webhook_summary_through_apprise_to_a_local_endpoint(tmp_path: Path, monkeypatch) -> None:
    """apprise's wecombot:// and dingtalk:// plugins post to fixed public hosts, so the transport is
    exercised with apprise's generic json:// plugin against 127.0.0.1; the robot URLs are only parsed."""
    import apprise

    config = write_settings(tmp_path, extra=WEBHOOK)
    db = populate(config)
    build_and_queue(config, db, "daily", AS_OF)
    build_and_queue(config, db, "department", AS_OF)
    with db.session() as s:
        hooks = {r.recipient: r for r in s.scalars(select(OutboxMessage).where(OutboxMessage.channel == "webhook"))}
    assert sorted(hooks) == ["webhook:mzj-bot", "webhook:office-bot"]  # 区财政局 has no robot
    office = json.loads(hooks["webhook:office-bot"].payload)
    assert office["body"].endswith("详情：https://zwgk.example.gov.cn/reports/2026-11-20/daily.html")
    assert "未通过 4 项（新增 3 项）" in office["body"]
    mzj = json.loads(hooks["webhook:mzj-bot"].payload)
    assert mzj["title"].startswith("【政务公开问题清单】区民政局") and "区财政局" not in mzj["body"]

    # the env var is missing: the robot message waits with a readable reason
    monkeypatch.delenv("ZWGK_TEST_ROBOT", raising=False)
    monkeypatch.delenv("ZWGK_TEST_ROBOT_MZJ", raising=False)
    flush_outbox(config, db)
    with db.session() as s:
        row = s.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "webhook:office-bot")).one()
    assert row.status == "pending" and "ZWGK_TEST_ROBOT" in row.last_error

    _Hook.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"json://127.0.0.1:{server.server_address[1]}/robot"
        monkeypatch.setenv("ZWGK_TEST_ROBOT", url)
        monkeypatch.setenv("ZWGK_TEST_ROBOT_MZJ", url)
        stats = flush_outbox(config, db)
        assert stats.sent == 2
        assert flush_outbox(config, db).delivered == 0
    finally:
        server.shutdown()
        server.server_close()
    messages = sorted(r["message"] for r in _Hook.received)
    assert len(messages) == 2 and any("详情：https://zwgk.example.gov.cn/reports/2026-11-20/daily.html" in m for m in messages)

    for robot in ("wecombot://0123456789abcdef", "dingtalk://abcdef0123456789"):
        assert apprise.Apprise().add(robot), robot


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx", None),  # apprise knows it
        ("https://oapi.dingtalk.com/robot/send?access_token=abcdef0123456789", "dingtalk://abcdef0123456789/"),
        (
            "https://oapi.dingtalk.com/robot/send?access_token=abcdef0123456789&secret=SEC0a1b2c",
            "dingtalk://SEC0a1b2c@abcdef0123456789/",
        ),
    ],
)
def test_robot_urls_as_the_robot_settings_show_them(monkeypatch, given: str, expected: str | None) -> None:
    """Operators paste the URL from the 企业微信 / 钉钉 robot settings; apprise must accept what we hand it."""
    import apprise

    from reports.delivery.webhook import robot_url
    from zwgk.config import WebhookConfig

    monkeypatch.setenv("ZWGK_TEST_ROBOT_URL", given)
    url = robot_url(WebhookConfig(id="bot", kind="dingtalk", url_env="ZWGK_TEST_ROBOT_URL"))
    assert url == (expected or given)
    assert apprise.Apprise().add(url), url


def test_department_with_nothing_to_report_gets_files_but_no_mail(tmp_path: Path) -> None:
    config = write_settings(tmp_path)
    db = populate(config, findings=[])
    paths = build_and_queue(config, db, "department", AS_OF)
    assert len(paths) == 9  # three departments × html, txt, xlsx
    assert "目前没有待整改事项。" in (config.reports_dir / "2026-11-20" / "department-mzj.txt").read_text(encoding="utf-8")
    assert statuses(db) == {}
    build_and_queue(config, db, "daily", AS_OF)  # the office still gets its scorecard
    assert statuses(db) == {"pending": 2}
