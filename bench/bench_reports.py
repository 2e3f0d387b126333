"""Scorecards at province scale: daily, weekly and every department's report (HTML + text + XLSX).

    .venv/bin/python bench/bench_reports.py bench --sites 2000 --runs 3   # median wall/CPU/peak RSS
    .venv/bin/python bench/bench_reports.py profile --sites 200
    .venv/bin/python bench/bench_reports.py dump --sites 20 --out dir     # the written files (before/after diffs)

Input: the synthetic store of bench/bench_checks.py after one ``run_checks`` (as of 2026-11-20),
kept as ``bench/work/scale-<sites>/checked.db``. Each measured run is a child process on a
fresh copy: daily, weekly and ``department`` (every configured department: ``sites // 4``, 500
for 2,000 sites), writing into the reports dir and queueing the outbox: one
``reports.build.build_and_queue_kinds`` call where the code has it (``--sequential``, or older
code under ``ZWGK_CODE_ROOT``: ``build_and_queue`` kind by kind, with per-kind times).
``dump`` also writes ``outbox.tsv`` (rows by idempotency key, payload hashes without the Date header)
and ``scores.tsv`` (the stored weekly scores).
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


KINDS = ("daily", "weekly", "department")


def child_run(settings: Path, *, profile: Path | None = None, sequential: bool = False) -> None:
    """The three kinds as the code under test builds a day's reports: ``build_and_queue_kinds`` (one call)
    where it exists, else (older code, or ``sequential``) ``build_and_queue`` kind by kind."""
    from reports import build
    from store.db import Database
    from zwgk.config import load_config

    config = load_config(settings)
    db = Database(config.database_url)
    together = hasattr(build, "build_and_queue_kinds") and not sequential
    if profile:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    times: dict[str, float | None] = {}
    files, size = 0, 0
    c0, w0 = time.process_time(), time.perf_counter()
    if together:
        built = build.build_and_queue_kinds(config, db, KINDS, AS_OF)
        times.update({k: None for k in KINDS} | {f"{k}_cpu": None for k in KINDS})
    else:
        built = {}
        for kind in KINDS:
            started, cpu_started = time.perf_counter(), time.process_time()
            built[kind] = build.build_and_queue(config, db, kind, AS_OF)
            times[kind] = round(time.perf_counter() - started, 2)
            times[f"{kind}_cpu"] = round(time.process_time() - cpu_started, 2)
    report_s = time.perf_counter() - w0
    for paths in built.values():
        files += len(paths)
        size += sum(p.stat().st_size for p in paths)
    cpu = time.process_time() - c0
    if profile:
        prof.disable()
        prof.dump_stats(str(profile))
    db.dispose()
    print(json.dumps({"mode": "together" if together else "sequential", "report_s": round(report_s, 2),
                      "cpu_s": round(cpu, 2), **times, "files": files,
                      "mb_written": round(size / 2**20, 1),
                      "maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                      "children_cpu_s": round(sum(resource.getrusage(resource.RUSAGE_CHILDREN)[:2]), 2),
                      "children_maxrss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)}))


def measure(sites: int, runs: int, sequential: bool = False) -> dict:
    checked(sites)
    samples = []
    for _ in range(runs):
        settings = fresh_copy(sites)
        started = time.perf_counter()
        extra = ["--sequential"] if sequential else []
        proc = subprocess.run([sys.executable, __file__, "child", "--settings", str(settings), *extra],
                              capture_output=True, text=True, check=False)
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
    return {"sites": sites, "runs": runs, "mode": samples[-1]["mode"],
            **{k: statistics.median(s[k] for s in samples) if samples[-1][k] is not None else None for k in keys},
            "files": samples[-1]["files"], "mb_written": samples[-1]["mb_written"],
            "code_root": os.environ.get("ZWGK_CODE_ROOT", str(ROOT)), "load": os.getloadavg()[0]}


def dump_outbox(settings: Path, out: Path) -> None:
    """The outbox rows as ``outbox.tsv`` (by idempotency key; the messages' Date header left out, it is the build time)
    and the stored weekly scores as ``scores.tsv``."""
    import hashlib
    import re
    import sqlite3

    date = re.compile(rb"^Date: .*\r?\n", re.M)
    with sqlite3.connect(settings.with_suffix(".db")) as conn:
        rows = conn.execute("SELECT idem_key, channel, kind, period, recipient, subject, status, payload FROM outbox"
                            " ORDER BY idem_key").fetchall()
        scores = conn.execute("SELECT id, period, department_id, score, vetoed, details FROM scores"
                              " ORDER BY period, department_id").fetchall()
    lines = ["\t".join([*map(str, row[:-1]), hashlib.sha256(date.sub(b"", row[-1], count=1)).hexdigest()])
             for row in rows]
    (out / "outbox.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (out / "scores.tsv").write_text("".join("\t".join(map(str, row)) + "\n" for row in scores), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("bench", "child", "profile", "dump"))
    parser.add_argument("--sites", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--settings", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--sequential", action="store_true",
                        help="build_and_queue kind by kind (per-kind times) even where build_and_queue_kinds exists")
    args = parser.parse_args(argv)
    if args.command == "child":
        child_run(args.settings, sequential=args.sequential)
    elif args.command == "profile":
        settings = fresh_copy(args.sites)
        out = args.out or workdir(args.sites) / "reports.prof"
        child_run(settings, profile=out, sequential=args.sequential)
        drop_copy(settings)
        import pstats

        pstats.Stats(str(out)).sort_stats("cumulative").print_stats(35)
    elif args.command == "dump":
        settings = fresh_copy(args.sites, "dump")
        child_run(settings, sequential=args.sequential)
        out = args.out or workdir(args.sites) / "reports-dump"
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(settings.with_name(settings.stem + "-reports"), out)
        dump_outbox(settings, out)
        drop_copy(settings)
    else:
        print(json.dumps(measure(args.sites, args.runs, args.sequential)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
