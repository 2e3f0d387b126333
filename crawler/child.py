"""One site's crawl inside its own process: CrawlRun row, Scrapy spider, final status and stats."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
import traceback
from typing import Any

from crawler import outcomes as oc
from store.db import Database
from store.models import CrawlRun, utcnow
from zwgk.config import Config, ConfigError, load_config

log = logging.getLogger(__name__)

SCRAPY_STATS = (
    "downloader/request_count",
    "downloader/response_count",
    "downloader/response_bytes",
    "retry/count",
    "robotstxt/forbidden",
    "elapsed_time_seconds",
    "finish_reason",
)


def create_run(db: Database, site_id: str) -> int:
    with db.session() as s:
        run = CrawlRun(site_id=site_id, status="running", started_at=utcnow())
        s.add(run)
        s.flush()
        return run.id


def finish_run(db: Database, run_id: int, status: str, reason: str | None, stats: dict[str, Any]) -> None:
    with db.session() as s:
        run = s.get(CrawlRun, run_id)
        if run is None:
            return
        run.status = status
        run.reason = reason
        run.stats = stats
        run.finished_at = utcnow()


def run_status(rows: list[dict[str, Any]]) -> tuple[str, str | None]:
    """ok when every section (and the home page) was readable, failed when none was, else partial."""
    bad = [r for r in rows if r["outcome"] not in oc.READABLE]
    if not bad:
        return "ok", None
    reason = "；".join(f"{r['section_id']}: {r['outcome']}（{r['reason'] or ''}）" for r in bad[:10])
    if len(bad) == len(rows):
        return "failed", reason
    return "partial", reason


def finish_crawl(db: Database, run_id: int, crawler: Any, sink: Any, warc: Any,
                 extra: dict[str, Any] | None = None) -> None:
    """After the spider closed: the run's status (from its section rows) and stats (plus ``extra``)."""
    spider = crawler.spider
    rows = spider.finished if spider is not None else []
    scrapy_stats = crawler.stats.get_stats() if crawler.stats else {}
    stats: dict[str, Any] = {k: _plain(scrapy_stats[k]) for k in SCRAPY_STATS if k in scrapy_stats}
    stats.update(spider.counts if spider is not None else {})
    stats.update(sink.stats)
    stats["sections"] = {r["section_id"]: r["outcome"] for r in rows}
    stats["warc_file"] = warc.relative_path
    stats.update(extra or {})
    if not rows:
        finish_run(db, run_id, "failed", "爬虫未产生任何栏目结果", stats)
    else:
        status, reason = run_status(rows)
        finish_run(db, run_id, status, reason, stats)


def crawl_site(config: Config, site_id: str, run_id: int | None = None, *, log_level: str = "WARNING") -> int:
    """Crawl one site in this process (the reactor runs once); returns the CrawlRun id."""
    from scrapy.crawler import CrawlerProcess

    from crawler.queries import load_prior_state
    from crawler.settings import scrapy_settings
    from crawler.sink import Sink
    from crawler.spider import SiteSpider
    from store.warc import WarcStore, run_warc_path

    site = config.site(site_id)
    db = Database(config.database_url)
    if run_id is None:
        run_id = create_run(db, site.id)
    try:
        crawl_day = dt.datetime.now(config.general.tz).date()
        with db.session() as s:
            prior = load_prior_state(s, site.id)
        warc = WarcStore(config.evidence_dir, run_warc_path(site.id, run_id, crawl_day))
        sink = Sink(db, run_id, site.id)
        _drop_disabled_levels(log_level)
        process = CrawlerProcess(settings=scrapy_settings(config, site, log_level=log_level))
        crawler = process.create_crawler(SiteSpider)
        process.crawl(crawler, config=config, site=site, sink=sink, warc=warc, prior=prior, crawl_day=crawl_day)
        process.start()
        finish_crawl(db, run_id, crawler, sink, warc)
    except BaseException as exc:
        finish_run(db, run_id, "failed", f"抓取进程异常：{exc.__class__.__name__}: {exc}",
                   {"traceback": traceback.format_exc()[-4000:]})
        raise
    finally:
        db.dispose()
    return run_id


def _drop_disabled_levels(log_level: str) -> None:
    """Skip log calls below ``log_level`` before a record is built.

    Scrapy sets the root logger to NOTSET and filters in its handler, so every debug call
    (pdfminer logs ~1,000 per PDF, Scrapy one per response) built a LogRecord only to drop it:
    measured 47,000 records for one 300-article site.
    """
    level = logging.getLevelName(str(log_level).upper())
    if isinstance(level, int) and level > logging.DEBUG:
        logging.disable(level - 1)


def _plain(value: Any) -> Any:
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler", description="抓取网站（独立进程）")
    parser.add_argument("--config", required=True, metavar="PATH")
    parser.add_argument("--site", metavar="ID", help="只抓取这一个网站")
    parser.add_argument("--worker", action="store_true",
                        help="常驻抓取进程：从标准输入逐行接收要抓取的网站（由 crawler.runner 启动）")
    parser.add_argument("--run-id", type=int, default=None, help="由调度进程预先创建的 CrawlRun id")
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(argv)
    if bool(args.site) == args.worker:
        parser.error("需要 --site ID 或 --worker 之一")
    # Scrapy installs the root log handler itself (at --log-level); no basicConfig here.
    try:
        config = load_config(args.config)
        if args.site:
            config.site(args.site)
    except ConfigError as exc:
        print(exc.render(), file=sys.stderr)
        return 2
    except KeyError:
        print(f"未知网站 `{args.site}`", file=sys.stderr)
        return 2
    if args.worker:
        from crawler.worker import serve

        return serve(config, log_level=args.log_level)
    run_id = crawl_site(config, args.site, args.run_id, log_level=args.log_level)
    print(f"run_id={run_id}")
    return 0
