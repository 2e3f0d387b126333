"""The daily scorecard says when a site's latest crawl failed, so old conclusions are not read as today's."""

from __future__ import annotations

import json
from pathlib import Path

from reports_dataset import AS_OF, populate, utc, write_settings
from sqlalchemy import select

from reports.build import build_and_queue
from store.models import CrawlRun, OutboxMessage

WEBHOOK = """
[[webhooks]]
id = "office-bot"
kind = "wecom"
url_env = "ZWGK_TEST_ROBOT"
"""


def _runs(db, *runs: tuple[int, int, str, str | None]) -> None:  # type: ignore[no-untyped-def]
    """(day, UTC hour, status, reason) crawl runs of the portal."""
    with db.session() as s:
        for day, hour, status, reason in runs:
            s.add(CrawlRun(site_id="portal", started_at=utc(day, hour), finished_at=utc(day, hour), status=status,
                           reason=reason))


def _daily(config, db) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    build_and_queue(config, db, "daily", AS_OF)
    out = config.reports_dir / "2026-11-20"
    return (out / "daily.txt").read_text(encoding="utf-8"), (out / "daily.html").read_text(encoding="utf-8")


def test_failed_latest_crawl_is_reported_with_the_date_of_the_data(tmp_path: Path) -> None:
    config = write_settings(tmp_path, extra=WEBHOOK)
    db = populate(config)
    reason = "_home: connection（连接被拒绝）<b>"
    # ok on 11-18, failed on 11-19 and (06:00 Beijing) on 11-20; a run after the report's day is not seen
    _runs(db, (17, 22, "ok", None), (18, 22, "failed", "x"), (19, 22, "failed", reason), (20, 23, "ok", None))
    text, html = _daily(config, db)
    assert "== 数据采集异常（1） ==" in text
    assert (
        "- 示范区人民政府门户网站：2026-11-20 06:00 抓取失败（_home: connection（连接被拒绝）<b>）；"
        "最近一次成功抓取为 2026-11-18，该网站的结论基于当时的数据"
    ) in text
    assert "数据采集异常（1）" in html and "基于 2026-11-18 的数据" in html
    assert "连接被拒绝）&lt;b&gt;" in html and "<b>" not in html  # autoescaped
    with db.session() as s:
        hook = s.scalars(select(OutboxMessage).where(OutboxMessage.channel == "webhook")).one()
    assert "1 个网站最近一次抓取未成功" in json.loads(hook.payload)["body"]
    db.dispose()


def test_never_successful_and_recovered_sites(tmp_path: Path) -> None:
    config = write_settings(tmp_path)
    db = populate(config)
    _runs(db, (19, 22, "timeout", "超过 900 秒"))
    text, _html = _daily(config, db)
    assert "2026-11-20 06:00 抓取超时（超过 900 秒）；从未成功抓取，该网站尚无可靠结论" in text

    _runs(db, (19, 23, "ok", None))  # recovered later the same morning: nothing to say
    (config.reports_dir / "2026-11-20" / "daily.txt").unlink()
    text, html = _daily(config, db)
    assert "数据采集异常" not in text and "数据采集异常" not in html
    db.dispose()
