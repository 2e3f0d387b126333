"""Link-check benchmark: our checker vs LinkChecker (10 threads) vs linkinator on one local nginx site.

    .venv/bin/python bench/linkcheck/run.py [--runs 3] [--lc-runs 2] [--port 18899]

Needs: nginx (apt), LinkChecker in bench/work/lc-venv (pip install linkchecker), linkinator in
bench/work/node_modules (npm install linkinator). Writes bench/work/linkcheck-results.json and
prints the markdown section for bench/RESULTS.md.

Our checker reads the links the crawler stored (Link + LinkRef rows, loaded from the generator's
manifest; the load is timed apart) and runs with a politeness setting for a local server:
per_host_concurrency=32, per_host_rate=0 (no spacing), global_concurrency=64, confirm_runs=2 with an
in-run re-check after 1 s (so a failure is confirmed "broken" within the one run), cache off.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / "bench" / "work"
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def start_nginx(site: Path, port: int) -> subprocess.Popen:
    prefix = WORK / "nginx"
    (prefix / "logs").mkdir(parents=True, exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(
        f"""
daemon off;
worker_processes 2;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    keepalive_requests 100000;
    types {{ text/html html; application/pdf pdf; application/msword doc; }}
    client_body_temp_path {prefix}/tmp_body;
    proxy_temp_path {prefix}/tmp_proxy;
    fastcgi_temp_path {prefix}/tmp_fcgi;
    uwsgi_temp_path {prefix}/tmp_uwsgi;
    scgi_temp_path {prefix}/tmp_scgi;
    server {{
        listen 127.0.0.1:{port};
        root {site};
        charset utf-8;
        add_header LinkChecker "bench";
    }}
}}
""",
        encoding="utf-8",
    )
    proc = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(prefix)])
    for _ in range(100):
        if not port_free(port):
            return proc
        time.sleep(0.05)
    proc.kill()
    raise SystemExit("nginx did not start")


def timed(cmd: list[str], **kw) -> tuple[float, float, float, str]:  # type: ignore[no-untyped-def]
    """Run a command; wall s, CPU s (user+sys of the child tree), peak RSS MB, stdout."""
    # stdout goes to a file: Node truncates piped stdout when it exits (linkinator's JSON).
    sink = WORK / "tool-stdout.txt"
    with sink.open("wb") as fh:
        started = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.DEVNULL, **kw)
        _, _, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - started
    out = sink.read_text(encoding="utf-8", errors="replace")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out


def run_ours(port: int, refused_port: int) -> tuple[float, float, float, set[str], dict]:
    wall, cpu, rss, out = timed(
        [sys.executable, str(HERE / "run_ours.py"), "--port", str(port), "--refused-port", str(refused_port)],
        cwd=ROOT,
    )
    result = json.loads(out.strip().splitlines()[-1])
    return result["check_s"], cpu, rss, set(result["broken"]), result


def run_linkchecker(port: int) -> tuple[float, float, float, set[str]]:
    rc = WORK / "linkcheckerrc"
    rc.write_text("[checking]\nmaxrequestspersecond=1000\nthreads=10\n[output]\nstatus=0\n", encoding="utf-8")
    cmd = [
        str(WORK / "lc-venv" / "bin" / "linkchecker"),
        "-f", str(rc), "-t", "10", "--check-extern", "--no-status", "--no-warnings", "-o", "csv",
        f"http://127.0.0.1:{port}/",
    ]  # fmt: skip
    wall, cpu, rss, out = timed(cmd)
    lines = [line for line in out.splitlines() if line and not line.startswith("#")]
    broken = set()
    for row in csv.DictReader(io.StringIO("\n".join(lines)), delimiter=";"):
        if row.get("valid", "").strip().lower() in ("false", "0"):
            broken.add(row.get("url") or row.get("urlname") or "")
    return wall, cpu, rss, broken


def run_linkinator(port: int) -> tuple[float, float, float, set[str]]:
    cmd = [
        str(WORK / "node_modules" / ".bin" / "linkinator"),
        f"http://127.0.0.1:{port}/", "--recurse", "--format", "json", "--concurrency", "100",
    ]  # fmt: skip
    wall, cpu, rss, out = timed(cmd, cwd=WORK)
    data = json.loads(out[out.index("{") :])
    broken = {link["url"] for link in data.get("links", []) if link.get("state") == "BROKEN"}
    return wall, cpu, rss, broken


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--lc-runs", type=int, default=2)
    parser.add_argument("--port", type=int, default=18899)
    parser.add_argument("--refused-port", type=int, default=18898)
    args = parser.parse_args()
    assert port_free(args.port) and port_free(args.refused_port), "bench ports busy"
    from gensite import generate

    site = WORK / "site"
    if site.exists():
        shutil.rmtree(site)
    gen = generate(site, args.port, args.refused_port)
    expected = set((WORK / "expected_broken.txt").read_text(encoding="utf-8").split())
    nginx = start_nginx(site, args.port)
    results: dict[str, list] = {"ours": [], "linkchecker": [], "linkinator": []}
    sets: dict[str, set[str]] = {}
    extra: dict = {}
    try:
        for i in range(max(args.runs, args.lc_runs)):
            if i < args.runs:
                wall, cpu, rss, broken, extra = run_ours(args.port, args.refused_port)
                results["ours"].append((wall, cpu, rss))
                sets["ours"] = broken
                wall, cpu, rss, broken = run_linkinator(args.port)
                results["linkinator"].append((wall, cpu, rss))
                sets["linkinator"] = broken
            if i < args.lc_runs:
                wall, cpu, rss, broken = run_linkchecker(args.port)
                results["linkchecker"].append((wall, cpu, rss))
                sets["linkchecker"] = broken
            print(f"round {i + 1}: {json.dumps({k: v[-1] for k, v in results.items() if v})}", file=sys.stderr)
    finally:
        nginx.terminate()
        nginx.wait(10)
    summary = {
        "machine": {"nproc": os.cpu_count(), "cpu": cpu_model(), "python": platform.python_version()},
        "site": gen,
        "ours_extra": {k: v for k, v in extra.items() if k != "broken"},
        "tools": {
            name: {
                "runs": runs,
                "wall_median": statistics.median(r[0] for r in runs),
                "cpu_median": statistics.median(r[1] for r in runs),
                "rss_max": max(r[2] for r in runs),
                "broken": len(sets[name]),
                "missed": sorted(expected - sets[name]),
                "extra": sorted(sets[name] - expected),
            }
            for name, runs in results.items()
            if runs
        },
    }
    (WORK / "linkcheck-results.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    print(json.dumps({n: {k: v for k, v in t.items() if k not in ("missed", "extra")} | {
        "missed": len(t["missed"]), "extra": len(t["extra"])} for n, t in summary["tools"].items()}, indent=1))


if __name__ == "__main__":
    main()
