"""Helpers for the scheduler tests: a local site on 127.0.0.1, a settings file, waiting on JobRuns."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from store.db import Database
from store.models import JobRun, utcnow
from zwgk.demo.server import serve
from zwgk.demo.site import build_site


@contextmanager
def local_site() -> Iterator[tuple[str, str, str]]:
    """Serve the bundled demo district on 127.0.0.1: (base_url, list_url, indicator).

    The section is the demo's weekly 工作动态 column (planted stale).
    """
    site = build_site(dt.datetime.now(ZoneInfo("Asia/Shanghai")).date())
    server = serve(site, host="127.0.0.1", port=0)
    try:
        base = server.url.rstrip("/") + "/"
        path = urlsplit(site.planted.stale_list_url).path or "/"
        yield base, base + path.lstrip("/"), "shanting.03"
    finally:
        server.stop()


def write_settings(tmp_path: Path, base_url: str, list_url: str, indicator: str) -> Path:
    """A settings.toml whose database, evidence, reports and outbox live under tmp_path."""
    path = tmp_path / "settings.toml"
    path.write_text(
        f"""\
[general]
timezone = "Asia/Shanghai"
database_url = "sqlite:///zwgk.db"
evidence_dir = "evidence"
reports_dir = "reports"
outbox_dir = "outbox"

[crawl]
site_timeout_seconds = 120
obey_robots = false
max_list_pages = 2
fetch_attachments = false

[links]
check_external = false
confirm_runs = 1
recheck_delay_seconds = 0

[mail]
enabled = false

[[departments]]
id = "office"
name = "区政府办公室"
emails = ["office@example.gov.cn"]
office = true

[[sites]]
id = "local"
name = "本地测试站"
base_url = "{base_url}"
department = "office"

  [[sites.sections]]
  id = "gzdt"
  name = "工作动态"
  list_url = "{list_url}"
  indicator = "{indicator}"
  category = "dynamic"
""",
        encoding="utf-8",
    )
    return path


def seed_success(db: Database, job_ids: list[str], when: dt.datetime | None = None) -> None:
    """Record earlier successful runs, so these jobs are not due at start."""
    when = when or utcnow()
    with db.session() as s:
        for job_id in job_ids:
            s.execute(
                insert(JobRun).values(
                    job_id=job_id, kind="seed", started_at=when, finished_at=when, status="ok", message="seed"
                )
            )


def wait_for(predicate: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")

