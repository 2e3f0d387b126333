"""One run of our link checker on the benchmark site (child process of run.py; prints one JSON line).

Loads the generator's manifest into a fresh SQLite file as Link + LinkRef rows (what the crawler
stores; timed apart as load_s), then times ``check_links`` alone (check_s).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / "bench" / "work"
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from crawler.linkcheck.politeness import PolitenessParams  # noqa: E402
from crawler.linkcheck.runner import check_links  # noqa: E402
from store.db import Database  # noqa: E402
from store.models import Link, LinkRef  # noqa: E402
from store.sync import sync_config  # noqa: E402
from zwgk.config import parse_config  # noqa: E402

PARAMS = PolitenessParams(per_host_concurrency=32, per_host_rate=0, global_concurrency=64)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--refused-port", type=int, required=True)
    args = parser.parse_args()
    db_path = WORK / "ours.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    config = parse_config(
        f"""
[general]
database_url = "sqlite:///{db_path}"
[links]
confirm_runs = 2
recheck_delay_seconds = 1
cache_hours = 0
timeout_seconds = 15
[[departments]]
id = "office"
name = "区政府办公室"
[[sites]]
id = "portal"
name = "示范区人民政府"
base_url = "http://127.0.0.1:{args.port}/"
department = "office"
""",
        WORK / "bench-settings.toml",
        check_indicators=False,
    )
    started = time.monotonic()
    db = Database(config.database_url)
    sync_config(db, config)
    ids: dict[str, int] = {}
    links, refs = [], []
    for line in (WORK / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        for url, kind in entry["links"]:
            if url not in ids:
                ids[url] = len(ids) + 1
                links.append({"id": ids[url], "url": url, "host": urlsplit(url).netloc})
            refs.append(
                {
                    "link_id": ids[url],
                    "source_url": entry["source"],
                    "site_id": "portal",
                    "on_home_page": entry["home"],
                    "kind": kind,
                }
            )
    with db.session() as s:
        s.execute(Link.__table__.insert(), links)
        s.execute(LinkRef.__table__.insert(), refs)
    load_s = time.monotonic() - started

    started = time.monotonic()
    stats = check_links(config, db, params=PARAMS)
    check_s = time.monotonic() - started
    with db.session() as s:
        broken = sorted(s.scalars(select(Link.url).where(Link.verdict == "broken")))
    print(
        json.dumps(
            {
                "load_s": round(load_s, 2),
                "check_s": round(check_s, 2),
                "links": stats.links_total,
                "requests": stats.requests,
                "rechecked": stats.rechecked,
                "verdicts": stats.verdicts,
                "reasons": stats.reasons,
                "broken": broken,
            }
        )
    )


if __name__ == "__main__":
    main()
