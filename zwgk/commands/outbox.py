"""`zwgk outbox`: list queued, sent and failed messages; `--flush` delivers what is due."""

from __future__ import annotations

import argparse

from zwgk.cli import add_config_option

LABELS = {"pending": "待发送", "sent": "已发送", "failed": "发送失败"}
CHANNELS = {"smtp": "邮件", "file": "文件", "webhook": "机器人"}


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("outbox", help="查看发件箱（待发送、已发送、发送失败），--flush 立即投递")
    parser.add_argument("--flush", action="store_true", help="投递到期的待发送消息")
    parser.add_argument("--status", choices=tuple(LABELS), help="只列出该状态的消息")
    parser.add_argument("--limit", type=int, default=50, help="最多列出多少条（默认 50）")
    add_config_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from reports import queries
    from reports.delivery.outbox import describe, flush_outbox
    from zwgk.app import open_app

    app = open_app(args.config)
    try:
        if args.flush:
            print(describe(flush_outbox(app.config, app.db)))
        with app.db.session() as session:
            rows = queries.list_messages(session, args.status, args.limit)
            if not rows:
                print("发件箱为空。")
            for m in rows:
                when = m.sent_at or m.next_attempt_at or m.created_at
                line = (
                    f"#{m.id} {LABELS.get(m.status, m.status)} {CHANNELS.get(m.channel, m.channel)} "
                    f"{m.kind} {m.period} → {m.recipient}  尝试 {m.attempts} 次  {when:%Y-%m-%d %H:%M} UTC"
                )
                print(line)
                print(f"    {' '.join(m.subject.split())}")
                if m.last_error:
                    print(f"    最后错误：{' '.join(m.last_error.split())}")
        return 0
    finally:
        app.close()
