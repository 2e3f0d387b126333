"""The set-based paths used at scale give what the simple per-section ones give.

- ``checks.queries.load_sites`` (one query per table for a batch of sites) equals
  ``load_site`` (queries per section) on the benchmark's synthetic store, at two cutoffs;
- ``record_results`` applies repeated keys of one run in order, as one-by-one writes did;
- a report body lists at most ``LIST_LIMIT`` findings and says how many more the XLSX holds.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import pytest
from sqlalchemy import select

from checks.engine import FindingResult
from checks.lifecycle import record_results
from checks.queries import day_end_utc, load_site, load_sites
from store.db import Database
from store.models import Finding, FindingEvent, ListSnapshot, SectionCrawl
from store.sync import sync_config
from zwgk.config import parse_config

BENCH = Path(__file__).resolve().parent.parent / "bench" / "bench_checks.py"


@pytest.fixture(scope="module")
def bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_checks", BENCH)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


@pytest.fixture(scope="module")
def store(tmp_path_factory, bench):  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("scale")
    config = parse_config(bench.settings_text(10, tmp / "s.db"), tmp / "settings.toml")
    db = Database(config.database_url)
    sync_config(db, config)
    bench.populate_data(db, config, len(config.sites))
    yield config, db
    db.dispose()


@pytest.mark.parametrize("day", ["previous", "as_of"])
def test_load_sites_equals_per_section_loading(store, bench, day) -> None:  # type: ignore[no-untyped-def]
    config, db = store
    as_of = bench.AS_OF if day == "as_of" else bench.PREVIOUS
    cutoff = day_end_utc(as_of, config.general.tz)
    with db.session() as s:
        one_by_one = [load_site(s, site, cutoff) for site in config.sites]
        batched = load_sites(s, list(config.sites), cutoff)
        # the store really has what the comparison is about
        assert s.scalar(select(SectionCrawl).where(SectionCrawl.outcome == "blocked")) is not None
        assert len(list(s.scalars(select(ListSnapshot)))) > len(config.all_sections())
    assert [d.config.id for d in batched] == [d.config.id for d in one_by_one]
    pages = sum(1 for d in batched for sec in d.sections for i in sec.items if i.page is not None)
    assert pages and any(d.links for d in batched) and any(d.probes for d in batched)
    assert any(i.page.links for d in batched for sec in d.sections for i in sec.items if i.page)
    for a, b in zip(batched, one_by_one, strict=True):
        assert a.links == b.links
        assert a.probes == b.probes
        for sa, sb in zip(a.sections, b.sections, strict=True):
            assert sa.crawl == sb.crawl, sa.config.key
            assert sa.list_evidence == sb.list_evidence, sa.config.key
            assert sa.items == sb.items, sa.config.key
        assert a == b


def _result(status: str) -> FindingResult:
    return FindingResult(rule="shanting.19", kind="cadence", site="p", section="dibao", department="mzj",
                         status=status, period="2026-10", due=dt.date(2026, 11, 30), message=f"状态 {status}")


def test_repeated_key_in_one_run_is_applied_in_order(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'z.db'}")
    counts = record_results(db, [_result("fail"), _result("pass"), _result("warn")], dt.date(2026, 12, 1),
                            now=dt.datetime(2026, 12, 1, 1))
    assert counts["new"] == 1 and counts["resolved"] == 1 and counts["reopened"] == 1
    with db.session() as s:
        [f] = s.scalars(select(Finding)).all()
        events = [(e.old_status, e.new_status) for e in s.scalars(select(FindingEvent).order_by(FindingEvent.id))]
    assert f.status == "warn" and f.reopened_count == 1 and f.resolved_at is None
    assert events == [(None, "fail"), ("fail", "pass"), ("pass", "warn")]
    db.dispose()


def test_report_body_lists_the_worst_and_the_xlsx_has_every_row(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import io

    from openpyxl import load_workbook
    from reports_dataset import AS_OF, populate, write_settings

    import reports.render as render
    from reports.build import build_and_queue

    monkeypatch.setattr(render, "LIST_LIMIT", 2)
    render._environment.cache_clear()
    try:
        config = write_settings(tmp_path)
        db = populate(config)
        paths = {p.suffix: p for p in build_and_queue(config, db, "daily", AS_OF)}
        db.dispose()
    finally:
        render._environment.cache_clear()
    text = paths[".txt"].read_text(encoding="utf-8")
    html = paths[".html"].read_text(encoding="utf-8")
    sheet = load_workbook(io.BytesIO(paths[".xlsx"].read_bytes())).worksheets[1]  # the district findings sheet
    open_rows = sheet.max_row - 1
    assert open_rows > 2
    assert f"另有 {open_rows - 2} 项未列出，完整清单见附件 XLSX" in text
    assert f"另有 {open_rows - 2} 项未列出，完整清单见附件 XLSX" in html
