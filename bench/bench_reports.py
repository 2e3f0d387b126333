"""Scorecards at province scale: daily, weekly and every department's report (HTML + text + XLSX).

    .venv/bin/python bench/bench_reports.py bench --sites 2000 --runs 3   # median wall/CPU/peak RSS
    .venv/bin/python bench/bench_reports.py profile --sites 200
    .venv/bin/python bench/bench_reports.py dump --sites 20 --out dir     # the written files (before/after diffs)

Input: the synthetic store of bench/bench_checks.py after one ``run_checks`` (as of 2026-11-20),
kept as ``bench/work/scale-<sites>/checked.db``. Each measured run is a child process on a
fresh copy: ``reports.build.build_and_queue`` for daily, weekly and ``department`` (every
configured department: ``sites // 4``, 500 for 2,000 sites), writing into the reports dir and
queueing the outbox, exactly as the scheduler does.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, os.environ.get("ZWGK_CODE_ROOT", str(ROOT)))
sys.path.insert(0, str(ROOT / "bench"))

import bench_checks  # noqa: E402
from bench_checks import AS_OF, settings_text, workdir  # noqa: E402


def checked(sites: int) -> Path:
    """``checked.db``: base.db after one recorded check run (built once)."""
    wd = workdir(sites)
    out = wd / "checked.db"
    if out.exists():
        return out
    bench_checks.populate(sites)
    settings = bench_checks.fresh_copy(sites, "checking")
    from checks.engine import run_checks
    from store.db import Database
    from zwgk.config import load_config

    config = load_config(settings)
    db = Database(config.database_url)
    run_checks(config, db, AS_OF, record=True)
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    settings.with_suffix(".db").rename(out)
    bench_checks.drop_copy(settings)
    return out


def fresh_copy(sites: int, tag: str | None = None) -> Path:
    wd = workdir(sites)
    tag = tag or f"rep-{os.getpid()}"
    db = wd / f"{tag}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(checked(sites), db)
    reports = wd / f"{tag}-reports"
    shutil.rmtree(reports, ignore_errors=True)
    settings = wd / f"{tag}.toml"
    settings.write_text(settings_text(sites, db).replace('reports_dir = "reports"', f'reports_dir = "{reports}"'),
                        encoding="utf-8")
    return settings


def drop_copy(settings: Path) -> None:
    for suffix in (".db", ".db-wal", ".db-shm", ".toml"):
        settings.with_suffix(suffix).unlink(missing_ok=True)
    shutil.rmtree(settings.with_name(settings.stem + "-reports"), ignore_errors=True)


def child_run(settings: Path, *, profile: Path | None = None) -> None:
    from reports.build import build_and_queue
    from store.db import Database
    from zwgk.config import load_config

    config = load_config(settings)
    db = Database(config.database_url)
    if profile:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    times, files, size = {}, 0, 0
    c0 = time.process_time()
    for kind in ("daily", "weekly", "department"):
        started, cpu_started = time.perf_counter(), time.process_time()
        paths = build_and_queue(config, db, kind, AS_OF)
        times[kind] = round(time.perf_counter() - started, 2)
        times[f"{kind}_cpu"] = round(time.process_time() - cpu_started, 2)
        files += len(paths)
        size += sum(p.stat().st_size for p in paths)
    cpu = time.process_time() - c0
    if profile:
        prof.disable()
        prof.dump_stats(str(profile))
    db.dispose()
    print(json.dumps({"report_s": round(sum(times[k] for k in ("daily", "weekly", "department")), 2), "cpu_s": round(cpu, 2), **times, "files": files,
                      "mb_written": round(size / 2**20, 1),
                      "maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                      "children_cpu_s": round(sum(resource.getrusage(resource.RUSAGE_CHILDREN)[:2]), 2),
                      "children_maxrss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)}))


def measure(sites: int, runs: int) -> dict:
    checked(sites)
    samples = []
    for _ in range(runs):
        settings = fresh_copy(sites)
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, __file__, "child", "--settings", str(settings)], capture_output=True,
                              text=True, check=False)
        wall = time.perf_counter() - started
        drop_copy(settings)
        if proc.returncode != 0:
            raise SystemExit(proc.stderr[-3000:])
        sample = json.loads(proc.stdout.strip().splitlines()[-1])
        sample["wall_s"] = round(wall, 2)
        samples.append(sample)
        print(json.dumps(sample), file=sys.stderr)
    keys = ("wall_s", "report_s", "cpu_s", "daily", "weekly", "department", "daily_cpu", "weekly_cpu", "department_cpu",
            "maxrss_mb", "children_cpu_s", "children_maxrss_mb")
    return {"sites": sites, "runs": runs, **{k: statistics.median(s[k] for s in samples) for k in keys},
            "files": samples[-1]["files"], "mb_written": samples[-1]["mb_written"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("bench", "child", "profile", "dump"))
    parser.add_argument("--sites", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--settings", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if args.command == "child":
        child_run(args.settings)
    elif args.command == "profile":
        settings = fresh_copy(args.sites)
        out = args.out or workdir(args.sites) / "reports.prof"
        child_run(settings, profile=out)
        drop_copy(settings)
        import pstats

        pstats.Stats(str(out)).sort_stats("cumulative").print_stats(35)
    elif args.command == "dump":
        settings = fresh_copy(args.sites, "dump")
        child_run(settings)
        out = args.out or workdir(args.sites) / "reports-dump"
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(settings.with_name(settings.stem + "-reports"), out)
        drop_copy(settings)
    else:
        print(json.dumps(measure(args.sites, args.runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
