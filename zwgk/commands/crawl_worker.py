"""`zwgk crawl-worker`: crawl the runs that `zwgk crawl` queues in Redis ([scale] redis_url)."""

from __future__ import annotations

import argparse
import logging
import sys

from zwgk.cli import add_config_option


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("crawl-worker", help="分布式抓取节点：从 Redis 队列领取请求并抓取（需配置 [scale] redis_url）")
    add_config_option(parser)
    parser.add_argument("--id", dest="worker_id", default=None, metavar="NAME",
                        help="节点名称（默认 主机名-进程号；同一 Redis 下须唯一）")
    parser.add_argument("--log-level", default="WARNING", choices=("DEBUG", "INFO", "WARNING", "ERROR"),
                        help="日志级别（默认 WARNING）")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import redis

    from crawler.distributed import REDIS_URL_ENV, redis_url
    from crawler.distributed.worker import run_worker
    from zwgk.config import load_config

    logging.getLogger().setLevel(args.log_level)
    config = load_config(args.config)
    url = redis_url(config)
    if not url:
        print(f"未配置 Redis：请在 {args.config} 的 [scale] 中设置 redis_url，或设置环境变量 {REDIS_URL_ENV}",
              file=sys.stderr)
        return 2
    if args.worker_id is not None and not all(c.isalnum() or c in "-_." for c in args.worker_id):
        print("节点名称只能包含英文字母、数字和 - _ .", file=sys.stderr)
        return 2
    try:
        run_worker(config, url, args.worker_id, log_level=args.log_level)
    except redis.RedisError as exc:
        print(f"无法连接 Redis（{url.split('@')[-1]}）：{exc}", file=sys.stderr)
        return 1
    return 0
