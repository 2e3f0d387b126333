"""Checks at province scale: a synthetic store and `checks.engine.run_checks` timed end to end.

    .venv/bin/python bench/bench_checks.py populate --sites 2000      # build bench/work/scale-2000/base.db
    .venv/bin/python bench/bench_checks.py bench --sites 2000 --runs 3  # median wall/CPU/peak RSS of run_checks
    .venv/bin/python bench/bench_checks.py dump --sites 20 --out f.json # findings after one run (correctness guard)
    .venv/bin/python bench/bench_checks.py profile --sites 200         # cProfile top functions

The store is written with SQLAlchemy Core executemany into a real SQLite file (no crawling):
``sites`` × 10 sections × 50 items with realistic dates (weekly news with gaps, monthly lists
with a missing month, stale sections, a few blocked crawls), article pages for every tenth
item (some with unmasked phone numbers, xxgk tables on policy pages), links with verdicts,
a week of hourly availability probes, and the open findings of a previous run (one week
earlier, with some of them resolved since) so that the run exercises confirm / resolve /
reopen as well as inserts. Departments: ``sites // 4`` (500 for 2,000 sites).

Each measured run is a child process on a fresh copy of ``base.db``; the parent reads the
child's wall time, CPU time (its own and its check workers'), peak RSS (``ru_maxrss``, the
child's and its largest worker's), and prints the medians. The peak summed PSS of the child's process
tree is sampled from /proc every 50 ms in separate runs after the timed ones (``--memory-runs``, default
1): the sampler's reads of three 160–670 MB processes took a third of a core from the timed check. ``--workers N`` passes ``workers=N`` to
``run_checks`` (``profile`` defaults to 0: cProfile sees only one process).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# ZWGK_CODE_ROOT runs the same benchmark against another checkout (e.g. `git archive` of the baseline).
sys.path.insert(0, os.environ.get("ZWGK_CODE_ROOT", str(ROOT)))

WORK = ROOT / "bench" / "work"
AS_OF = dt.date(2026, 11, 20)
PREVIOUS = AS_OF - dt.timedelta(days=7)
ITEMS = 50
PAGE_EVERY = 10
TARGET_FINDINGS = 100_000

# (section id, name, indicator, category, title pattern, date pattern)
SECTIONS = [
    ("news", "工作动态", "national.weekly", "dynamic", "{dep}工作动态：{n}", "weekly"),
    ("notice", "通知公告", "generic.presence", "notice", "关于开展{n}项工作的通知", "weekly"),
    ("policy", "政策文件", "generic.interpretation", "policy", "关于印发{topic}实施办法的通知", "policy"),
    ("dibao", "低保信息", "shanting.19", None, "{y}年{m}月城乡低保发放情况", "monthly"),
    ("stats", "统计月报", "shanting.09", None, "{y}年{m}月统计月报", "monthly"),
    ("personnel", "人事信息", "generic.presence", "personnel", "{dep}人事任免公示{n}", "sparse"),
    ("plan", "规划计划", "generic.presence", "plan", "{dep}发展规划{n}", "stale"),
    ("budget", "财政预算", "shanting.33", None, "{dep}{y}年部门预算", "yearly"),
    ("org", "机构职能", "shanting.01", None, "{dep}机构职能{n}", "static"),
    ("jiedu", "政策解读", "shanting.04", None, "《关于印发{topic}实施办法的通知》政策解读", "policy"),
]
TOPICS = ("城乡居民基本医疗保险", "农村危房改造补助资金", "城镇老旧小区改造", "义务教育学生资助", "高标准农田建设",
          "生活垃圾分类", "残疾人两项补贴", "住房公积金提取", "中小企业纾困", "秸秆禁烧", "河长制考核",
          "政府采购内控", "消防安全网格化", "重大行政决策程序", "养老服务设施", "退役军人优待", "招商引资奖励",
          "公共租赁住房", "农村饮水安全", "校外培训监管", "安全生产责任", "数字政府建设", "集体土地征收补偿")
BODY = "为进一步做好政务公开工作，现将有关事项通知如下。请各单位认真落实，按时报送材料。" * 8


def workdir(sites: int) -> Path:
    return WORK / f"scale-{sites}"


def settings_text(sites: int, db_path: Path) -> str:
    deps = max(1, sites // 4)
    out = [f'[general]\ndatabase_url = "sqlite:///{db_path}"\nreports_dir = "reports"\n'
           '[rules]\npacks = ["shanting", "national", "ogi"]\n']
    for d in range(deps):
        office = "office = true\n" if d == 0 else ""
        out.append(f'[[departments]]\nid = "d{d:03d}"\nname = "部门{d:03d}"\nemails = ["d{d:03d}@example.org"]\n'
                   + office)
    for s in range(sites):
        dep = f"d{s % deps:03d}"
        out.append(f'[[sites]]\nid = "x{s:04d}"\nname = "网站{s:04d}"\nbase_url = "http://127.0.0.1:9/x{s:04d}/"\n'
                   f'department = "{dep}"\n')
        for j, (sec, name, ind, cat, *_rest) in enumerate(SECTIONS):
            sdep = f"d{(s * len(SECTIONS) + j) % deps:03d}"
            out.append(f'[[sites.sections]]\nid = "{sec}"\nname = "{name}"\n'
                       f'list_url = "http://127.0.0.1:9/x{s:04d}/{sec}/"\ndepartment = "{sdep}"\n'
                       f'indicator = "{ind}"\n' + (f'category = "{cat}"\n' if cat else ""))
    return "\n".join(out)


def write_settings(sites: int, db_name: str = "run.db") -> Path:
    wd = workdir(sites)
    wd.mkdir(parents=True, exist_ok=True)
    path = wd / "settings.toml"
    path.write_text(settings_text(sites, wd / db_name), encoding="utf-8")
    return path


def _dates(pattern: str, rng: random.Random, stale_site: bool) -> list[dt.date]:
    """ITEMS publication dates, newest first, for one section."""
    if pattern in ("weekly", "policy"):
        day, out = AS_OF - dt.timedelta(days=rng.randint(0, 3)), []
        gap_at = rng.randint(3, 20)  # one gap of ~2 weeks in the news
        for n in range(ITEMS):
            out.append(day)
            day -= dt.timedelta(days=rng.randint(1, 4) + (14 if n == gap_at else 0))
        if stale_site:
            out = [d - dt.timedelta(days=30) for d in out]
        return out
    if pattern == "monthly":
        missing = rng.randint(1, 4)  # one of the last months is missing
        out, k = [], 0
        while len(out) < ITEMS:
            y, m = divmod(AS_OF.year * 12 + AS_OF.month - 1 - k, 12)
            if k != missing:
                out.append(dt.date(y, m + 1, min(28, rng.randint(3, 25))))
            k += 1
        return out
    if pattern == "yearly":
        return [dt.date(AS_OF.year - n // 5, 3, 1) + dt.timedelta(days=n % 5) for n in range(ITEMS)]
    if pattern == "stale":
        return [AS_OF - dt.timedelta(days=400 + 7 * n) for n in range(ITEMS)]
    if pattern == "sparse":
        return [AS_OF - dt.timedelta(days=20 + 13 * n) for n in range(ITEMS)]
    return [AS_OF - dt.timedelta(days=90 + 30 * n) for n in range(ITEMS)]  # static


def _utc(day: dt.date, hour: int = 2) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour))


def _chunks(conn, table, rows: list[dict[str, Any]], size: int = 20_000) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import insert

    for i in range(0, len(rows), size):
        conn.execute(insert(table), rows[i:i + size])


def populate_data(db, config, sites: int, *, seed: int = 8) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Crawl runs, section crawls, list snapshots, items, pages, links and probes (Core executemany)."""
    from store.models import (
        AvailabilityProbe,
        CrawlRun,
        Item,
        Link,
        LinkRef,
        ListSnapshot,
        Page,
        SectionCrawl,
    )

    rng = random.Random(seed)
    counts = dict.fromkeys(("items", "pages", "links", "link_refs", "probes"), 0)
    page_id = link_id = 0
    with db.engine.begin() as conn:
        for s, site in enumerate(config.sites):
            runs = [{"id": 2 * s + 1, "site_id": site.id, "started_at": _utc(PREVIOUS, 0), "status": "ok"},
                    {"id": 2 * s + 2, "site_id": site.id, "started_at": _utc(AS_OF, 0), "status": "ok"}]
            conn.execute(CrawlRun.__table__.insert(), runs)
            crawls, snaps, items, pages, links, refs = [], [], [], [], [], []
            stale_site = s % 17 == 3
            privacy_site = s % 11 == 5
            for j, sec in enumerate(site.sections):
                _sid, _name, _ind, _cat, title, pattern = SECTIONS[j]
                for run, day in zip(runs, (PREVIOUS, AS_OF), strict=True):
                    blocked = rng.random() < 0.03
                    crawls.append({"run_id": run["id"], "site_id": site.id, "section_id": sec.id,
                                   "captured_at": _utc(day, 0), "outcome": "blocked" if blocked else "ok",
                                   "reason": "瑞数 412" if blocked else None, "items_found": ITEMS})
                    for page_no in range(2):
                        snaps.append({"run_id": run["id"], "site_id": site.id, "section_id": sec.id,
                                      "url": f"{sec.list_url}index_{page_no}.html", "page_no": page_no,
                                      "captured_at": _utc(day, 0), "http_status": 200, "outcome": "ok",
                                      "items_found": 25, "warc_file": f"{site.id}/{day}.warc.gz",
                                      "warc_offset": 1000 * (j * 2 + page_no), "warc_length": 900})
                for n, day in enumerate(_dates(pattern, rng, stale_site)):
                    url = f"{sec.list_url}{n:03d}.html"
                    topic = f"{day.year}年{TOPICS[(n * 7 + s) % len(TOPICS)]}"
                    text = title.format(dep=site.name, n=n, y=day.year, m=day.month, topic=topic)
                    written = day - dt.timedelta(days=rng.randint(2, 40)) if pattern == "policy" else None
                    row = {"site_id": site.id, "section_id": sec.id, "url": url, "title": text,
                           "published": day, "date_source": "list", "list_date": day, "written_date": written,
                           "first_seen": min(_utc(day + dt.timedelta(days=1)), _utc(AS_OF, 0)),
                           "last_seen": _utc(AS_OF, 0), "page_id": None}
                    if n % PAGE_EVERY == 0:
                        page_id += 1
                        row["page_id"] = page_id
                        body = BODY + (f"联系电话 1380000{s % 10000:04d}" if privacy_site and n == 0 else "")
                        xxgk = ({"文号": f"示政发〔{day.year}〕{n}号", "成文日期": str(written),
                                 "发布日期": str(day), "有效性": "有效" if n % 20 else ""}
                                if pattern == "policy" else None)
                        pages.append({"id": page_id, "url": url, "site_id": site.id,
                                      "fetched_at": row["first_seen"], "http_status": 200, "outcome": "ok",
                                      "title": text, "text": body, "written_date": written,
                                      "meta": {"articletitle": text, "pubdate": f"{day} 09:00",
                                               "contentsource": site.name, "sitename": site.name,
                                               "sitedomain": "127.0.0.1",
                                               **({"siteidcode": "3713000001"} if s % 3 else {})},
                                      "xxgk": xxgk, "warc_file": f"{site.id}/{day}.warc.gz",
                                      "warc_offset": n * 5000, "warc_length": 4800})
                        for k in range(2):
                            link_id += 1
                            roll = rng.random()
                            verdict = "broken" if roll < 0.02 else "suspect" if roll < 0.03 else "ok"
                            links.append({"id": link_id, "url": f"{url}#a{k}", "host": "127.0.0.1",
                                          "verdict": verdict, "reason": None if verdict == "ok" else "http_404",
                                          "http_status": 404 if verdict != "ok" else 200,
                                          "first_seen": row["first_seen"], "last_checked": _utc(AS_OF, 1)})
                            refs.append({"link_id": link_id, "source_url": url, "site_id": site.id,
                                         "section_id": sec.id, "on_home_page": False, "kind": "a",
                                         "first_seen": row["first_seen"], "last_seen": _utc(AS_OF, 0)})
                    items.append(row)
            for k in range(20):  # home page links
                link_id += 1
                verdict = "broken" if (s + k) % 97 == 0 else "ok"
                links.append({"id": link_id, "url": f"{site.base_url}home{k}.html", "host": "127.0.0.1",
                              "verdict": verdict, "reason": "http_404" if verdict == "broken" else None,
                              "http_status": 404 if verdict == "broken" else 200,
                              "first_seen": _utc(PREVIOUS, 0), "last_checked": _utc(AS_OF, 1)})
                refs.append({"link_id": link_id, "source_url": site.base_url, "site_id": site.id,
                             "section_id": None, "on_home_page": True, "kind": "a",
                             "first_seen": _utc(PREVIOUS, 0), "last_seen": _utc(AS_OF, 0)})
            bad_hours = 12 if s % 23 == 7 else 0
            probes = [{"site_id": site.id, "url": site.base_url, "probed_at": _utc(AS_OF, 0) - dt.timedelta(hours=h),
                       "ok": h >= bad_hours, "http_status": 200 if h >= bad_hours else None,
                       "reason": "ok" if h >= bad_hours else "timeout",
                       "ipv6": "reachable" if s % 4 else "none"} for h in range(168)]
            conn.execute(SectionCrawl.__table__.insert(), crawls)
            conn.execute(ListSnapshot.__table__.insert(), snaps)
            conn.execute(Page.__table__.insert(), pages)
            conn.execute(Item.__table__.insert(), items)
            conn.execute(Link.__table__.insert(), links)
            conn.execute(LinkRef.__table__.insert(), refs)
            conn.execute(AvailabilityProbe.__table__.insert(), probes)
            for key, rows in (("items", items), ("pages", pages), ("links", links), ("link_refs", refs),
                              ("probes", probes)):
                counts[key] += len(rows)
    return counts


def populate_findings(db, config, *, seed: int = 9) -> int:  # type: ignore[no-untyped-def]
    """Findings of a previous run (as of one week earlier), written as that run would have left them.

    The verdicts come from the engine itself (pure ``evaluate`` per site), so their keys are
    the real ones; one in ten open problems is stored as resolved since, so that today's
    run reopens it. Old weekly periods are added until the table holds TARGET_FINDINGS rows.
    """
    from checks.calendar import WorkCalendar
    from checks.engine import evaluate
    from checks.lifecycle import _jsonable
    from checks.packs import load_registry
    from checks.queries import day_end_utc, load_sites
    from store.models import Finding

    rng = random.Random(seed)
    registry = load_registry(config)
    calendar = WorkCalendar(config.calendar)
    cutoff = day_end_utc(PREVIOUS, config.general.tz)
    then = _utc(PREVIOUS, 1)
    rows: list[dict[str, Any]] = []
    for start in range(0, len(config.sites), 50):
        with db.session() as session:
            data = load_sites(session, list(config.sites[start:start + 50]), cutoff)
        for r in evaluate(registry, data, PREVIOUS, calendar, config=config, cutoff=cutoff):
            if r.status == "pass":
                continue
            resolved = r.status in ("fail", "warn") and rng.random() < 0.1
            rows.append({"key": r.key, "rule": r.rule, "kind": r.kind, "site_id": r.site, "section_id": r.section,
                         "department_id": r.department, "period": r.period,
                         "status": "pass" if resolved else r.status, "severity": r.severity, "due": r.due,
                         "message": r.message, "uncertain": r.uncertain, "evidence": r.evidence,
                         "details": _jsonable(r.details), "first_detected": then - dt.timedelta(days=14),
                         "last_confirmed": then, "resolved_at": then if resolved else None,
                         "reopened_count": 0, "last_as_of": PREVIOUS})
    # Findings of periods no longer judged (older weeks, never fixed): the long tail of a real table.
    sections = [(site, sec) for site in config.sites for sec in site.sections if sec.indicator == "national.weekly"]
    week = 30
    while len(rows) < TARGET_FINDINGS and week > 0:
        for site, sec in sections:
            if len(rows) >= TARGET_FINDINGS:
                break
            period = f"{AS_OF.year}-W{week:02d}"
            rows.append({"key": f"national.weekly|{site.id}|{sec.id}|{period}", "rule": "national.weekly",
                         "kind": "cadence", "site_id": site.id, "section_id": sec.id,
                         "department_id": sec.department, "period": period, "status": "fail",
                         "severity": "deduct", "due": dt.date.fromisocalendar(AS_OF.year, week, 7),
                         "message": f"{period} 未发布任何信息", "uncertain": False, "evidence": [],
                         "details": {"items": 0}, "first_detected": then - dt.timedelta(days=100),
                         "last_confirmed": then - dt.timedelta(days=90), "resolved_at": None,
                         "reopened_count": 0, "last_as_of": PREVIOUS - dt.timedelta(days=90)})
        week -= 1
    with db.engine.begin() as conn:
        _chunks(conn, Finding.__table__, rows)
    return len(rows)


def populate(sites: int) -> Path:
    """Build ``bench/work/scale-<sites>/base.db`` (once; delete it to rebuild)."""
    from store.db import Database
    from store.sync import sync_config
    from zwgk.config import load_config

    wd = workdir(sites)
    base = wd / "base.db"
    if base.exists():
        return base
    settings = write_settings(sites, "base.db.tmp")
    tmp = wd / "base.db.tmp"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{tmp}{suffix}").unlink(missing_ok=True)
    t0 = time.perf_counter()
    config = load_config(settings)
    db = Database(config.database_url)
    sync_config(db, config)
    t1 = time.perf_counter()
    counts = populate_data(db, config, sites)
    t2 = time.perf_counter()
    counts["findings"] = populate_findings(db, config)
    t3 = time.perf_counter()
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    tmp.rename(base)
    print(f"populated {base}: {counts}; config+sync {t1 - t0:.1f}s, data {t2 - t1:.1f}s, "
          f"findings {t3 - t2:.1f}s", file=sys.stderr)
    return base


def fresh_copy(sites: int, tag: str | None = None) -> Path:
    """A private copy of base.db and a settings file pointing at it; returns the settings path."""
    wd = workdir(sites)
    tag = tag or f"run-{os.getpid()}"
    run = wd / f"{tag}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{run}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(wd / "base.db", run)
    settings = wd / f"{tag}.toml"
    settings.write_text(settings_text(sites, run), encoding="utf-8")
    return settings


def drop_copy(settings: Path) -> None:
    for suffix in (".db", ".db-wal", ".db-shm", ".toml"):
        settings.with_suffix(suffix).unlink(missing_ok=True)


# --------------------------------------------------------------------------- child: one measured run

RESULT_FIELDS = ("rule", "kind", "site", "section", "department", "status", "period", "due", "message", "evidence",
                 "uncertain", "severity", "details", "name")


def child_run(settings: Path, *, dump: Path | None = None, profile: Path | None = None,
              workers: int | None = None) -> None:
    """Load config, run run_checks(record=True) on its database, print one JSON line of measurements."""
    from sqlalchemy import func, select

    from store.db import Database
    from store.models import Finding
    from zwgk.config import load_config

    t0 = time.perf_counter()
    c0 = time.process_time()
    config = load_config(settings)
    db = Database(config.database_url)
    t1 = time.perf_counter()
    from checks.engine import run_checks

    if profile:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    results = run_checks(config, db, AS_OF, record=True, **({} if workers is None else {"workers": workers}))
    if profile:
        prof.disable()
        prof.dump_stats(str(profile))
    t2 = time.perf_counter()
    c2 = time.process_time()
    with db.session() as s:
        stored = s.scalar(select(func.count()).select_from(Finding))
        open_ = s.scalar(select(func.count()).select_from(Finding).where(Finding.resolved_at.is_(None),
                                                                           Finding.status != "pass"))
    if dump:
        dump_findings(db, dump, results, started)
    db.dispose()
    statuses: dict[str, int] = {}
    for r in results:
        statuses[r.status] = statuses.get(r.status, 0) + 1
    times = os.times()
    try:  # the code under test may predate checks.workers (baseline)
        from checks.engine import SITE_BATCH, iter_checks  # noqa: F401  (absent before the workers)
        from checks.workers import worker_count

        workers = worker_count(db.url, -(-len(config.sites) // SITE_BATCH), workers)
    except ImportError:
        workers = 0
    print(json.dumps({"setup_s": round(t1 - t0, 2), "check_s": round(t2 - t1, 2), "cpu_s": round(c2 - c0, 2),
                      "workers": workers, "workers_cpu_s": round(times.children_user + times.children_system, 2),
                      "results": len(results), "statuses": statuses, "findings": stored, "open": open_,
                      "maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                      "workers_maxrss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)}))


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (from /proc/<pid>/task/*/children)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                todo += [int(c) for c in task.read_text().split()]
    return out


def _memory_mb(pid: int) -> tuple[float, float]:
    """Summed (Pss, Rss) of a process tree in MB: Pss counts pages shared by forked workers once."""
    pss = rss = 0
    for p in _tree(pid):
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    pss += int(line.split()[1])
                elif line.startswith("Rss:"):
                    rss += int(line.split()[1])
        except OSError:
            continue
    return pss / 1024, rss / 1024


def run_sampled(cmd: list[str], env: dict[str, str]) -> tuple[subprocess.CompletedProcess, float]:
    """Run ``cmd``; sample its process tree's memory every 50 ms; return the peak summed Pss (MB)."""
    import threading

    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    peak = [0.0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], _memory_mb(proc.pid)[0])
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    sampler.join()
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err), peak[0]


def dump_findings(db, out: Path, results: list | None = None,  # type: ignore[no-untyped-def]
                  started: dt.datetime | None = None) -> None:
    """The findings table sorted by key, its events in the order they were written, and the results the
    run returned in their order (for before/after diffs). No ids; a timestamp set by this run (at or
    after ``started``) reads "run", an older one is kept."""
    from sqlalchemy import select

    from store.models import Finding, FindingEvent

    def when(value: dt.datetime | None) -> str | None:
        return None if value is None else "run" if started and value >= started else value.isoformat()

    cols = ("key", "rule", "kind", "site_id", "section_id", "department_id", "period", "status", "severity",
            "due", "message", "uncertain", "evidence", "details", "reopened_count", "last_as_of")
    stamps = ("first_detected", "last_confirmed", "resolved_at")
    with db.session() as s:
        rows = [{c: getattr(f, c) for c in cols} | {c: when(getattr(f, c)) for c in stamps}
                for f in s.scalars(select(Finding).order_by(Finding.key))]
        events = [(f.key, e.old_status or "", e.new_status, e.message or "", when(e.at))
                  for e, f in s.execute(select(FindingEvent, Finding).join(Finding, Finding.id == FindingEvent.finding_id)
                                        .order_by(FindingEvent.id))]
    returned = [{f: getattr(r, f) for f in RESULT_FIELDS} for r in results or []]
    out.write_text(json.dumps({"findings": rows, "events": events, "results": returned}, ensure_ascii=False,
                              default=str, indent=0), encoding="utf-8")


# --------------------------------------------------------------------------- parent


def run_plain(cmd: list[str], env: dict[str, str]) -> tuple[subprocess.CompletedProcess, None]:
    """Run ``cmd`` without sampling (timed runs: the sampler's /proc reads take a share of the two cores)."""
    return subprocess.run(cmd, capture_output=True, text=True, env=env), None


def measure(sites: int, runs: int, *, python: str = sys.executable, extra_env: dict[str, str] | None = None,
            workers: int | None = None, memory_runs: int = 1) -> dict:
    """``runs`` timed runs, then ``memory_runs`` runs sampled for peak PSS (their times are not counted)."""
    populate(sites)
    samples, memory = [], []
    for n in range(runs + memory_runs):
        sampled = n >= runs
        settings = fresh_copy(sites)
        env = {**os.environ, **(extra_env or {})}
        started = time.perf_counter()
        cmd = [python, __file__, "child", "--settings", str(settings)]
        cmd += [] if workers is None else ["--workers", str(workers)]
        proc, pss = run_sampled(cmd, env) if sampled else run_plain(cmd, env)
        wall = time.perf_counter() - started
        drop_copy(settings)
        if proc.returncode != 0:
            raise SystemExit(proc.stderr[-3000:])
        sample = json.loads(proc.stdout.strip().splitlines()[-1])
        sample["wall_s"] = round(wall, 2)
        sample.setdefault("workers_cpu_s", 0.0)
        sample.setdefault("workers_maxrss_mb", 0)
        sample["total_cpu_s"] = round(sample["cpu_s"] + sample["workers_cpu_s"], 2)
        if sampled:
            sample["peak_pss_mb"] = round(pss or 0)  # the whole process tree, sampled every 50 ms
        (memory if sampled else samples).append(sample)
        print(json.dumps({"sampled": sampled, **sample}, ensure_ascii=False), file=sys.stderr)
    keys = ("wall_s", "check_s", "cpu_s", "total_cpu_s", "maxrss_mb", "workers_maxrss_mb")
    med = {k: statistics.median(s[k] for s in samples) for k in keys} if samples else {}
    if memory:
        med["peak_pss_mb"] = max(s["peak_pss_mb"] for s in memory)
        med["sampled_check_s"] = statistics.median(s["check_s"] for s in memory)
    last = (samples or memory)[-1]
    return {"sites": sites, "runs": runs, **med, "results": last["results"],
            "findings": last["findings"], "open": last["open"], "samples": samples + memory}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("populate", "bench", "child", "dump", "profile"))
    parser.add_argument("--sites", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--settings", type=Path, help="(child) settings of the database copy to check")
    parser.add_argument("--workers", type=int, help="run_checks(workers=N) (default: its own choice; profile: 0)")
    parser.add_argument("--memory-runs", type=int, default=1,
                        help="(bench) extra runs sampled for peak PSS every 50 ms, after the timed runs (default 1)")
    args = parser.parse_args(argv)
    if args.command == "populate":
        print(populate(args.sites))
    elif args.command == "child":
        child_run(args.settings, workers=args.workers)
    elif args.command == "dump":
        populate(args.sites)
        settings = fresh_copy(args.sites)
        child_run(settings, dump=args.out or workdir(args.sites) / "findings.json", workers=args.workers)
        drop_copy(settings)
    elif args.command == "profile":
        populate(args.sites)
        settings = fresh_copy(args.sites)
        out = args.out or workdir(args.sites) / "checks.prof"
        child_run(settings, profile=out, workers=0 if args.workers is None else args.workers)
        drop_copy(settings)
        import pstats

        pstats.Stats(str(out)).sort_stats("cumulative").print_stats(35)
    else:
        result = measure(args.sites, args.runs, workers=args.workers, memory_runs=args.memory_runs)
        print(json.dumps({k: v for k, v in result.items() if k != "samples"}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
