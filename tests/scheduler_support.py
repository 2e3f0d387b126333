"""Helpers for the scheduler tests: a local site on 127.0.0.1, a settings file, waiting on JobRuns."""

from __future__ import annotations

import datetime as dt
import http.server
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import insert

from store.db import Database
from store.models import JobRun, utcnow

SITE_FILES = Path(__file__).resolve().parent / "files" / "scheduler_site"


class _Handler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, directory=str(SITE_FILES), **kwargs)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass


@contextmanager
def local_site() -> Iterator[tuple[str, str, str]]:
    """Serve a small site on 127.0.0.1: (base_url, list_url, indicator).

    The bundled demo district is used when ``zwgk.demo.server`` exists (its stale
    weekly 工作动态 column); until then a tiny static site with one generic list.
    """
    try:
        from zwgk.demo.server import serve

        from zwgk.demo.site import build_site
    except ImportError:
        serve = None
    if serve is not None:
        site = build_site(dt.date.today())
        server = serve(site, host="127.0.0.1", port=0)
        try:
            base = server.url.rstrip("/") + "/"
            path = urlsplit(site.planted.stale_list_url).path or "/"
            yield base, base + path.lstrip("/"), "shanting.03"
        finally:
            server.stop()
        return
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{httpd.server_address[1]}/"
        yield base, base + "gzdt/index.html", "shanting.03"
    finally:
        httpd.shutdown()
        httpd.server_close()


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


def importable(module: str) -> bool:
    """Whether a pipeline stage's module exists yet (other helpers are building them)."""
    import importlib

    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True
