"""Scale benchmark on a synthetic district (bench/synth): full monitoring pass vs linkinator, cold crawl vs a
bare Scrapy spider, incremental second crawl. Run by hand, never in unit tests.

    .venv/bin/python bench/bench_fullpass.py --sites 20 --sections 5 --items 50 --runs 3
    .venv/bin/python bench/bench_fullpass.py --sites 200 --sections 3 --items 20 --runs 1 --no-linkinator --no-bare

Each round, in the same run: ours (fresh database: cold crawl, link check, then the unchanged second
crawl, and where the code keeps crawl workers, ``second_warm``: a third, unchanged crawl taking the
second crawl's workers as the scheduler does between its crawls), the bare Scrapy spider over the URLs our crawl fetched (``bare``: one process per site,
``parallel_sites`` at a time, as our crawl used to run; ``bare_core``: ``parallel_sites`` processes, each
crawling its share of the sites at once, as our crawl workers do), linkinator ``--recurse`` over the
same pages. Medians go to stdout and a JSON line to bench/work/synth-results.jsonl.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work"
# ZWGK_CODE_ROOT runs the same benchmark against another checkout (e.g. `git archive` of the baseline): its
# crawler, store and zwgk are imported, and its crawl workers run from there: `python -m crawler` puts the
# working directory first on sys.path, ahead of crawler.workerproc's PYTHONPATH, hence the chdir.
if os.environ.get("ZWGK_CODE_ROOT"):
    os.chdir(os.environ["ZWGK_CODE_ROOT"])
sys.path.insert(0, os.environ.get("ZWGK_CODE_ROOT", str(ROOT)))

from sqlalchemy import func, select  # noqa: E402

from bench.synth.generate import generate  # noqa: E402
from bench.synth.server import Nginx  # noqa: E402
from store.models import Attachment, Item, Link, ListSnapshot, Page  # noqa: E402
from zwgk import pipeline  # noqa: E402
from zwgk.app import open_app  # noqa: E402

LINKINATOR = WORK / "node_modules" / ".bin" / "linkinator"


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def self_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def reset_state(out: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{out / 'zwgk.db'}{suffix}").unlink(missing_ok=True)
    shutil.rmtree(out / "evidence", ignore_errors=True)


class WarningCounter(logging.Handler):
    """Counts the crawl pool's warnings (a worker killed or dead) and still prints them."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0
        self.echo = logging.StreamHandler(sys.stderr)

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        self.echo.emit(record)


POOL_WARNINGS = WarningCounter()
logging.getLogger("crawler.runner").addHandler(POOL_WARNINGS)


def idle_worker_cpu() -> dict[int, float]:
    """CPU seconds so far of each crawl worker kept idle in this process (crawler/idle.py), by pid."""
    try:
        from crawler.idle import IDLE
    except ImportError:  # a baseline without kept workers
        return {}
    tick = os.sysconf("SC_CLK_TCK")
    cpu: dict[int, float] = {}
    for pid in IDLE.pids():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        cpu[pid] = (int(fields[11]) + int(fields[12])) / tick  # utime + stime
    return cpu


def crawl(app: Any) -> dict[str, Any]:
    """One crawl of every site; CPU counts exited workers and the growth of workers kept idle after it."""
    idle0 = idle_worker_cpu()
    c0, t0, w0 = children_cpu(), time.monotonic(), POOL_WARNINGS.count
    outcomes = pipeline.crawl(app)
    wall = time.monotonic() - t0
    idle1 = idle_worker_cpu()
    cpu = children_cpu() - c0 + sum(v - idle0.get(pid, 0.0) for pid, v in idle1.items())
    responses = sum(int(o.stats.get("downloader/response_count", 0)) for o in outcomes)
    statuses: dict[str, int] = {}
    for o in outcomes:
        statuses[o.status] = statuses.get(o.status, 0) + 1
    return {"wall": wall, "cpu": cpu, "responses": responses, "statuses": statuses,
            "child_wall_sum": sum(o.elapsed_seconds for o in outcomes), "pool_warnings": POOL_WARNINGS.count - w0}


def check_links(app: Any, expected: set[str]) -> dict[str, Any]:
    s0, t0 = self_cpu(), time.monotonic()
    stats = pipeline.check_links(app)
    wall, cpu = time.monotonic() - t0, self_cpu() - s0
    with app.db.session() as s:
        broken = set(s.scalars(select(Link.url).where(Link.verdict == "broken")))
    return {"wall": wall, "cpu": cpu, "links": stats.links_total, "requests": stats.requests,
            "broken": len(broken), "missed": len(expected - broken), "false_broken": len(broken - expected)}


def stored_counts(app: Any) -> dict[str, int]:
    with app.db.session() as s:
        return {
            "items": s.scalar(select(func.count(Item.id)).where(Item.section_id != "_home")) or 0,
            "pages_ok": s.scalar(select(func.count(Page.id)).where(Page.outcome == "ok")) or 0,
            "attachments_ok": s.scalar(select(func.count(Attachment.id)).where(Attachment.outcome == "ok")) or 0,
        }


def fetched_urls(app: Any, manifest: dict[str, Any]) -> dict[str, list[str]]:
    """Per site, every URL our crawl requested (home, list pages and groups, articles, attachments)."""
    out: dict[str, list[str]] = {}
    with app.db.session() as s:
        for site in manifest["sites"]:
            sid = site["id"]
            urls = {site["home"], site["home"].replace("index.html", "robots.txt")}
            urls |= set(s.scalars(select(ListSnapshot.url).where(ListSnapshot.site_id == sid)))
            urls |= set(s.scalars(select(Page.url).where(Page.site_id == sid)))
            urls |= set(s.scalars(select(Attachment.url).join(Page).where(Page.site_id == sid)))
            out[sid] = sorted(urls)
    return out


def bare(urls: dict[str, list[str]], parallel: int, tmp: Path, *, per_core: bool = False) -> dict[str, Any]:
    """The bare spider over our URLs: one process per site, ``parallel`` at a time (the old layout of our
    crawl), or with ``per_core`` ``parallel`` processes that each crawl their share of the sites at once."""
    files = []
    for sid, site_urls in urls.items():
        path = tmp / f"urls-{sid}.txt"
        path.write_text("\n".join(site_urls), encoding="utf-8")
        files.append(path)
    script = ROOT / "bench" / "synth" / "bare_spider.py"
    groups = [files[i::parallel] for i in range(parallel)] if per_core else [[f] for f in files]

    def one(group: list[Path]) -> int:
        done = subprocess.run([sys.executable, str(script), *map(str, group)], capture_output=True, text=True,
                              check=True)
        return int(done.stdout.strip().splitlines()[-1])

    c0, t0 = children_cpu(), time.monotonic()
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        responses = sum(pool.map(one, [g for g in groups if g]))
    return {"wall": time.monotonic() - t0, "cpu": children_cpu() - c0, "responses": responses}


def linkinator(manifest: dict[str, Any], expected: set[str], tmp: Path) -> dict[str, Any]:
    """linkinator --recurse from each site's root plus every page the monitor reads (it runs no JavaScript and
    cannot POST Hanweb's dataproxy, so later list pages and Hanweb articles are given as start points)."""
    locations = []
    for site in manifest["sites"]:
        locations.append(site["home"].replace("index.html", ""))
        for sec in site["sections"]:
            locations += [u for u in sec["list_pages"] + sec["items"] if "dataproxy" not in u]
    sink = tmp / "linkinator.json"
    cmd = [str(LINKINATOR), *locations, "--recurse", "--format", "json", "--concurrency", "100"]
    with sink.open("wb") as fh:  # a file: Node truncates piped stdout at exit
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.DEVNULL, cwd=WORK)
        _, _, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - t0
    out = sink.read_text(encoding="utf-8", errors="replace")
    data = json.loads(out[out.index("{"):])
    links = data.get("links", [])
    broken = {link["url"] for link in links if link.get("state") == "BROKEN"}
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024,
            "links": len({link["url"] for link in links}), "broken": len(broken),
            "missed": len(expected - broken), "false_broken": len(broken - expected)}


def med(rows: list[dict[str, Any]], key: str) -> float:
    return round(statistics.median(r[key] for r in rows), 2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sites", type=int, default=20)
    parser.add_argument("--sections", type=int, default=5)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--base-port", type=int, default=20000)
    parser.add_argument("--no-linkinator", action="store_true")
    parser.add_argument("--no-bare", action="store_true")
    parser.add_argument("--label", default="")
    parser.add_argument("--restart-budget", type=int, default=None,
                        help="override crawler.runner.EXTRA_RESTARTS (worker deaths tolerated per crawl call)")
    args = parser.parse_args()
    if args.restart_budget is not None:
        # Kept for old baselines: before runner._worker_died waited for a retired worker to exit, a worker
        # replaced after SITES_PER_WORKER sites was killed and counted as a death, so a long crawl could use
        # up its restart budget. The deaths show in "pool_warnings".
        from crawler import runner

        runner.EXTRA_RESTARTS = args.restart_budget
    out = WORK / f"synth-{args.sites}x{args.sections}x{args.items}"
    load_start = os.getloadavg()
    t0 = time.monotonic()
    manifest = generate(out, args.sites, args.sections, args.items, base_port=args.base_port,
                        refused_port=args.base_port - 1)
    gen_s = time.monotonic() - t0
    expected = {u for s in manifest["sites"] for u in s["broken"]}
    print(f"generated {manifest['totals']} in {gen_s:.1f}s; code from {Path(pipeline.__file__).parent.parent}",
          file=sys.stderr)
    rounds: dict[str, list[dict[str, Any]]] = {"cold": [], "links": [], "second": [], "second_warm": [], "bare": [],
                                               "bare_core": [], "linkinator": []}
    counts: dict[str, int] = {}
    tmp = Path(tempfile.mkdtemp(prefix="synth-bench-"))
    with Nginx(manifest, out / "nginx"):
        for i in range(args.runs):
            reset_state(out)
            app = open_app(out / "settings.toml")
            parallel = app.config.crawl.parallel_sites
            rounds["cold"].append(crawl(app))
            rounds["links"].append(check_links(app, expected))
            counts = stored_counts(app)
            urls = fetched_urls(app, manifest)
            warm = hasattr(pipeline, "keep_crawl_workers")
            if warm:  # the second crawl's workers stay ready, as the scheduler keeps them between its crawls
                pipeline.keep_crawl_workers(3600)
            rounds["second"].append(crawl(app))
            if warm:
                rounds["second_warm"].append(crawl(app))
                pipeline.keep_crawl_workers(0)
            app.db.dispose()
            if not args.no_bare:
                rounds["bare"].append(bare(urls, parallel, tmp))
                rounds["bare_core"].append(bare(urls, parallel, tmp, per_core=True))
            if not args.no_linkinator:
                rounds["linkinator"].append(linkinator(manifest, expected, tmp))
            print(f"round {i + 1}: " + json.dumps({k: v[-1] for k, v in rounds.items() if v}), file=sys.stderr)
    shutil.rmtree(tmp, ignore_errors=True)
    summary: dict[str, Any] = {
        "label": args.label,
        "code_root": os.environ.get("ZWGK_CODE_ROOT", str(ROOT)),
        "load": {"start": [round(x, 2) for x in load_start], "end": [round(x, 2) for x in os.getloadavg()]},
        "machine": {"nproc": os.cpu_count(), "cpu": cpu_model(), "python": platform.python_version()},
        "shape": manifest["shape"], "totals": manifest["totals"], "stored": counts, "runs": args.runs,
        "medians": {name: {k: med(rows, k) for k in ("wall", "cpu")} for name, rows in rounds.items() if rows},
        "rounds": rounds,
    }
    cold, links = summary["medians"]["cold"], summary["medians"]["links"]
    fullpass = round(statistics.median(c["wall"] + lk["wall"] for c, lk in zip(rounds["cold"], rounds["links"],
                                                                               strict=True)), 2)
    responses = statistics.median(r["responses"] for r in rounds["cold"])
    summary["derived"] = {
        "fullpass_wall": fullpass,
        "cold_responses": responses,
        "cold_pages_per_s": round(responses / cold["wall"], 1),
        "cold_cpu_ms_per_response": round(1000 * cold["cpu"] / responses, 2),
        "second_vs_cold": round(summary["medians"]["second"]["wall"] / cold["wall"], 3),
        "links_cpu": links["cpu"],
    }
    if rounds["second_warm"]:
        summary["derived"]["second_warm_vs_cold"] = round(summary["medians"]["second_warm"]["wall"] / cold["wall"], 3)
    if rounds["bare"]:
        summary["derived"]["cold_vs_bare_wall"] = round(cold["wall"] / summary["medians"]["bare"]["wall"], 2)
        summary["derived"]["cold_vs_bare_cpu"] = round(cold["cpu"] / summary["medians"]["bare"]["cpu"], 2)
    if rounds["bare_core"]:
        summary["derived"]["cold_vs_bare_core_wall"] = round(cold["wall"] / summary["medians"]["bare_core"]["wall"], 2)
        summary["derived"]["cold_vs_bare_core_cpu"] = round(cold["cpu"] / summary["medians"]["bare_core"]["cpu"], 2)
    if rounds["linkinator"]:
        summary["derived"]["fullpass_vs_linkinator_wall"] = round(
            fullpass / summary["medians"]["linkinator"]["wall"], 2)
    with (WORK / "synth-results.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(summary, ensure_ascii=False) + "\n")
    keys = ("code_root", "load", "shape", "totals", "stored", "medians", "derived")
    print(json.dumps({k: summary[k] for k in keys}, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
