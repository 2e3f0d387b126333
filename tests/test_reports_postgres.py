"""The reports read the same from PostgreSQL as from SQLite (JSON fields are extracted by the database)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from engines_support import PostgresServer, fresh_postgres_url, postgres_server  # noqa: F401
from openpyxl import load_workbook
from reports_dataset import AS_OF, FINDINGS, populate, write_settings

from reports import queries
from reports.build import build_and_queue
from zwgk.config import load_config

pytestmark = pytest.mark.engines


def _build(config) -> dict[str, object]:  # type: ignore[no-untyped-def]
    db = populate(config)
    try:
        for kind in ("daily", "weekly", "department"):
            build_and_queue(config, db, kind, AS_OF)
        with db.session() as s:
            # tuples in FINDING_COLUMNS order, then evidence_url, captured_at, deduct
            rows = {r[0]: tuple(r[-3:]) for r in queries.findings_known_by(s, _far())}
    finally:
        db.dispose()
    out: dict[str, object] = {"rows": rows}
    for path in sorted((config.reports_dir / AS_OF.isoformat()).iterdir()):
        if path.suffix == ".xlsx":
            wb = load_workbook(io.BytesIO(path.read_bytes()))
            out[path.name] = [[list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets]
        else:
            out[path.name] = path.read_text(encoding="utf-8")
    return out


def _far() -> dt.datetime:
    return dt.datetime(2100, 1, 1)


def test_reports_identical_on_sqlite_and_postgres(tmp_path: Path, fresh_postgres_url: str) -> None:  # noqa: F811
    (tmp_path / "lite").mkdir()
    (tmp_path / "pg").mkdir()
    lite = write_settings(tmp_path / "lite")
    write_settings(tmp_path / "pg")
    settings = tmp_path / "pg" / "settings.toml"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace('"sqlite:///zwgk.db"', f'"{fresh_postgres_url}"'),
        encoding="utf-8",
    )
    pg = load_config(settings)
    assert pg.database_url.startswith("postgresql")
    on_sqlite, on_pg = _build(lite), _build(pg)
    assert on_sqlite.keys() == on_pg.keys() and len(on_sqlite) > 9
    for name in on_sqlite:
        assert on_sqlite[name] == on_pg[name], name
    # the extracted JSON fields are the stored ones (first evidence's url and time, details.deduct)
    rows = on_pg["rows"]
    assert isinstance(rows, dict)
    with_deduct = [f for f in FINDINGS if (f.get("details") or {}).get("deduct") is not None]
    assert with_deduct and sorted(r[2] for r in rows.values() if r[2] is not None) == sorted(
        f["details"]["deduct"] for f in with_deduct
    )
    first_urls = {f["evidence"][0]["url"] for f in FINDINGS if f.get("evidence")}
    assert first_urls and first_urls <= {r[0] for r in rows.values()}
