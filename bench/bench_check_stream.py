"""The scheduler's check path at province scale: ``pipeline.check_tally`` streams ``iter_checks``, keeps counts.

    flock /tmp/bench.lock .venv/bin/python bench/bench_check_stream.py   # one run on a fresh copy of base.db

Prints the check's wall time, the status counts (equal to ``bench_checks.py bench``'s) and peak RSS / CPU of this
process and of its check workers. This process's CPU includes copying the 830 MB store and loading the config.
Needs ``bench/work/scale-<sites>/base.db`` (``bench_checks.py populate --sites 2000``).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_checks  # noqa: E402
from bench_checks import AS_OF  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=2000)
    args = parser.parse_args()
    settings = bench_checks.fresh_copy(args.sites, "stream")
    from zwgk import pipeline
    from zwgk.app import open_app

    app = open_app(settings)
    try:
        start = time.perf_counter()
        tally = pipeline.check_tally(app, AS_OF)
        wall = time.perf_counter() - start
    finally:
        app.close()
        bench_checks.drop_copy(settings)
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({
        "sites": args.sites, "check_s": round(wall, 2), "results": tally.total, "statuses": tally.statuses,
        "parent_maxrss_mb": own.ru_maxrss // 1024, "parent_cpu_s": round(own.ru_utime + own.ru_stime, 1),
        "workers_maxrss_mb": workers.ru_maxrss // 1024,
        "workers_cpu_s": round(workers.ru_utime + workers.ru_stime, 1),
    }))


if __name__ == "__main__":
    main()
