"""How fast is this machine right now? A fixed CPU-bound workload to put beside benchmark numbers.

    .venv/bin/python bench/calibrate.py            # prints one JSON line, appends it to bench/work/calibrate.jsonl

The benchmarks' absolute times moved by ≈ 1.7× between two sessions on "the same" 2-core VM
(2026-12-01 vs 2026-12-02, both at low load): targets like "under 30 s" depend on the machine, so every
RESULTS.md entry quotes this calibration next to its numbers. The workload mixes what the monitor spends its
CPU on: interpreted loops, JSON, SQLite inserts and queries, regular expressions, HTML parsing with lxml.
Median CPU seconds of five rounds; lower is faster.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sqlite3
import statistics
import time
from pathlib import Path

import lxml.html

WORK = Path(__file__).resolve().parent / "work"
PAGE = (
    "<html><head><meta charset='utf-8'><title>关于2026年11月城乡低保资金发放情况的公示</title></head><body>"
    + "".join(
        f"<li><a href='/art/2026/11/{i}/art_1_{i}.html'>关于第{i}批困难群众救助资金发放的公示</a>"
        f"<span>2026-11-{i % 28 + 1:02d}</span></li>"
        for i in range(200)
    )
    + "</body></html>"
)
DATE = re.compile(r"(\d{4})[-年/.](\d{1,2})[-月/.](\d{1,2})")


def workload() -> None:
    """One round: ≈ 0.5–1 s of CPU on this kind of machine."""
    total = 0
    for i in range(2_000_000):
        total += i
    rows = [{"url": f"http://x.gov.cn/{i}", "title": "政务公开" * 3, "n": i} for i in range(20_000)]
    for _ in range(5):
        json.loads(json.dumps(rows, ensure_ascii=False))
    db = sqlite3.connect(":memory:")
    db.execute("create table t (id integer primary key, url text, title text, n integer)")
    db.executemany("insert into t (url, title, n) values (:url, :title, :n)", rows * 5)
    db.execute("select count(*), sum(n) from t where url like '%9%'").fetchone()
    db.close()
    for _ in range(20):
        tree = lxml.html.fromstring(PAGE)
        for text in tree.xpath("//li/span/text()"):
            DATE.search(text)


def measure(rounds: int = 5) -> dict[str, object]:
    """Median CPU seconds per round, with the time and the load it was measured at."""
    times = []
    for _ in range(rounds):
        start = time.process_time()
        workload()
        times.append(time.process_time() - start)
    return {
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "calibration_cpu_s": round(statistics.median(times), 3),
        "rounds": [round(t, 3) for t in times],
        "load1": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    result = measure()
    line = json.dumps(result)
    print(line)
    WORK.mkdir(parents=True, exist_ok=True)
    with (WORK / "calibrate.jsonl").open("a", encoding="utf-8") as out:
        out.write(line + "\n")


if __name__ == "__main__":
    main()
