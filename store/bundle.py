"""Evidence bundles: the stored WARC records behind findings, a hashed manifest, an HTML summary.

Layout of a bundle directory::

    manifest.json      findings (rule, legal basis, message), records (URL, capture time,
                       WARC pointer, SHA-256), evidence that had no stored record
    records/NNN.warc.gz  each record's bytes exactly as stored (one gzip member = a valid WARC file)
    summary.html       the same in Chinese for people (Jinja2, autoescaped)
    manifest.sha256    SHA-256 of manifest.json (so an edited manifest is detected too)

``verify_bundle(dir)`` recomputes every hash and names what changed.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from store.history import past_states
from store.models import Finding, ListSnapshot

FORMAT = "zwgk-evidence-bundle/1"
MANIFEST = "manifest.json"
MANIFEST_HASH = "manifest.sha256"
SUMMARY = "summary.html"
RECORDS = "records"


class BundleError(Exception):
    """A bundle could not be written or read (message in Chinese)."""


# --------------------------------------------------------------------------- queries


def findings_by_ids(session: Session, ids: Sequence[int]) -> list[Finding]:
    """Findings by primary key, in the order asked; unknown ids are left out."""
    rows = {f.id: f for f in session.scalars(select(Finding).where(Finding.id.in_(list(ids))))}
    return [rows[i] for i in ids if i in rows]


def finding_ids_by_key(session: Session, keys: Sequence[str]) -> dict[str, int]:
    """Stored finding ids by key (rule|site|section|period), read in chunks; missing keys are left out."""
    out: dict[str, int] = {}
    keys = list(dict.fromkeys(keys))
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        for key, finding_id in session.execute(select(Finding.key, Finding.id).where(Finding.key.in_(chunk))):
            out[key] = finding_id
    return out


def failing_findings(
    session: Session, as_of: dt.date, tz: ZoneInfo, department_id: str | None = None
) -> list[Finding]:
    """Failing findings open at the end of the ``as_of`` day (what that day's scorecard lists as 不合格).

    Findings a later day's check changed are taken as they stood then (``store.history``); those are
    returned detached from the session with that day's status and message, so nothing is written back.
    """
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), tzinfo=tz).astimezone(dt.UTC)
    end = end.replace(tzinfo=None)
    past = past_states(session, as_of, end)
    # As in the reports: known by the day's end, or judged only by checks of that day or earlier.
    stmt = select(Finding).where(or_(Finding.first_detected < end, Finding.last_as_of <= as_of))
    if department_id:
        stmt = stmt.where(Finding.department_id == department_id)
    found = list(session.scalars(stmt.where(Finding.status == "fail")))
    was_failing = [i for i, state in past.items() if state.status == "fail"]
    for start in range(0, len(was_failing), 500):  # failing then, something else now
        found += session.scalars(stmt.where(Finding.status != "fail", Finding.id.in_(was_failing[start:start + 500])))
    out = []
    for finding in sorted(found, key=lambda f: f.id):
        state = past.get(finding.id)
        if state is not None:
            if state.status != "fail":
                continue
            session.expunge(finding)
            finding.status = state.status
            finding.message = state.message or finding.message
            finding.resolved_at = None
            finding.reopened_count = max(0, (finding.reopened_count or 0) - state.reopened_later)
        out.append(finding)
    return out


def latest_list_evidence(session: Session, site_id: str, section_id: str) -> list[dict[str, Any]]:
    """Evidence entries for the list pages of a section's latest crawl (proof of what was listed)."""
    latest = session.scalar(
        select(ListSnapshot.run_id)
        .where(ListSnapshot.site_id == site_id, ListSnapshot.section_id == section_id)
        .order_by(ListSnapshot.captured_at.desc(), ListSnapshot.id.desc())
        .limit(1)
    )
    if latest is None:
        return []
    rows = session.scalars(
        select(ListSnapshot)
        .where(
            ListSnapshot.run_id == latest,
            ListSnapshot.site_id == site_id,
            ListSnapshot.section_id == section_id,
        )
        .order_by(ListSnapshot.page_no, ListSnapshot.id)
    )
    return [
        {
            "url": r.url,
            "captured_at": r.captured_at.isoformat(timespec="seconds"),
            "warc_file": r.warc_file,
            "warc_offset": r.warc_offset,
            "warc_length": r.warc_length,
        }
        for r in rows
    ]


# --------------------------------------------------------------------------- writing


@dataclass
class RuleInfo:
    name: str = ""
    basis: str = ""


@dataclass
class BundleResult:
    path: Path
    records: int
    missing: int
    findings: int
    manifest: dict[str, Any] = field(repr=False, default_factory=dict)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_raw(evidence_dir: Path, warc_file: str, offset: int, length: int) -> bytes:
    """The stored bytes of one record (store.warc when present, else the byte range itself)."""
    try:
        from store.warc import read_raw
    except ImportError:  # pragma: no cover - store/warc.py is part of the store package
        base = evidence_dir.resolve()
        path = (base / warc_file).resolve()
        if base not in path.parents:
            raise ValueError(f"WARC 路径越界：{warc_file}") from None
        with open(path, "rb") as fh:
            fh.seek(offset)
            data = fh.read(length)
        if len(data) != length:
            raise ValueError(f"WARC 记录不完整：{warc_file}@{offset}+{length}") from None
        return data
    return read_raw(evidence_dir, warc_file, offset, length)


def _uncompressed(raw: bytes) -> bytes:
    return gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _finding_dict(finding: Mapping[str, Any]) -> dict[str, Any]:
    record = _plain(dict(finding))
    record.pop("details", None)
    record["evidence"] = [e for e in record.get("evidence") or [] if isinstance(e, Mapping)]
    return record


def write_bundle(
    evidence_dir: Path,
    findings: Iterable[Mapping[str, Any]],
    out_dir: Path,
    *,
    rules: Mapping[str, RuleInfo] | None = None,
    title: str = "证据包",
    created_at: dt.datetime | None = None,
) -> BundleResult:
    """Copy the records behind ``findings`` into ``out_dir`` with manifest and summary.

    ``findings`` are dicts as made by ``zwgk.exports.finding_record`` (id, rule, status,
    message, evidence: [{url, captured_at, warc_file, warc_offset, warc_length}], ...). An
    evidence entry without a WARC pointer, or whose record cannot be read, is listed under
    ``missing`` with the reason; it never stops the bundle.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise BundleError(f"输出目录 {out_dir} 不为空，请指定新的目录")
    (out_dir / RECORDS).mkdir(parents=True, exist_ok=True)
    rules = rules or {}
    created_at = created_at or dt.datetime.now(dt.UTC).replace(tzinfo=None)

    finding_docs: list[dict[str, Any]] = []
    records: list[dict[str, Any]] = []
    missing: list[dict[str, Any]] = []
    by_pointer: dict[tuple[str, int, int], dict[str, Any]] = {}
    for n, finding in enumerate(findings):
        doc = _finding_dict(finding)
        ref = doc.get("id") if doc.get("id") is not None else f"#{n + 1}"
        info = rules.get(doc.get("rule") or "", RuleInfo())
        doc["rule_name"] = info.name
        doc["basis"] = info.basis
        doc["records"] = []
        for ev in doc.get("evidence") or []:
            pointer = (ev.get("warc_file"), ev.get("warc_offset"), ev.get("warc_length"))
            if not all(p is not None for p in pointer):
                missing.append(
                    {"finding": ref, "url": ev.get("url"), "reason": "该证据没有保存原始响应（WARC 记录）"}
                )
                continue
            key = (str(pointer[0]), int(pointer[1]), int(pointer[2]))
            entry = by_pointer.get(key)
            if entry is None:
                try:
                    raw = _read_raw(Path(evidence_dir), *key)
                    record_hash = _sha256(_uncompressed(raw))
                except (OSError, ValueError, EOFError, gzip.BadGzipFile) as exc:
                    missing.append(
                        {"finding": ref, "url": ev.get("url"), "reason": f"WARC 记录无法读取：{exc}"}
                    )
                    continue
                name = f"{RECORDS}/{len(records) + 1:03d}.warc.gz"
                (out_dir / name).write_bytes(raw)
                entry = {
                    "file": name,
                    "url": ev.get("url"),
                    "captured_at": ev.get("captured_at"),
                    "warc_file": key[0],
                    "warc_offset": key[1],
                    "warc_length": key[2],
                    "size": len(raw),
                    "sha256": _sha256(raw),
                    "record_sha256": record_hash,
                    "findings": [],
                }
                by_pointer[key] = entry
                records.append(entry)
            if ref not in entry["findings"]:
                entry["findings"].append(ref)
            doc["records"].append(entry["file"])
        finding_docs.append(doc)

    manifest = {
        "format": FORMAT,
        "title": title,
        "created_at": created_at.isoformat(timespec="seconds"),
        "findings": finding_docs,
        "records": records,
        "missing": missing,
    }
    data = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
    (out_dir / MANIFEST).write_bytes(data)
    (out_dir / MANIFEST_HASH).write_text(f"{_sha256(data)}  {MANIFEST}\n", encoding="ascii")
    (out_dir / SUMMARY).write_text(render_summary(manifest), encoding="utf-8")
    return BundleResult(out_dir, len(records), len(missing), len(finding_docs), manifest)


_SUMMARY_TEMPLATE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{ m.title }}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #999;padding:4px 8px;vertical-align:top}
.fail{color:#b00}.unknown{color:#a60}code{font-size:90%}</style></head>
<body>
<h1>{{ m.title }}</h1>
<p>生成时间（UTC）：{{ m.created_at }}；问题 {{ m.findings|length }} 项，原始记录 {{ m.records|length }} 条{% if m.missing %}，缺少原始记录 {{ m.missing|length }} 处{% endif %}。</p>
<p>核验方法：在本目录运行 <code>zwgk evidence --verify 本目录</code>，逐一重新计算每条记录的 SHA-256 并与清单比对。</p>
{% for f in m.findings %}
<h2>{{ loop.index }}. {{ f.rule_name or f.rule }}</h2>
<table>
<tr><th>结论</th><td class="{{ f.status }}">{{ labels.get(f.status, f.status) }}</td></tr>
<tr><th>指标</th><td>{{ f.rule }}{% if f.rule_name %}（{{ f.rule_name }}）{% endif %}</td></tr>
{% if f.basis %}<tr><th>依据</th><td>{{ f.basis }}</td></tr>{% endif %}
<tr><th>网站 / 栏目</th><td>{{ f.site or "—" }} / {{ f.section or "—" }}</td></tr>
<tr><th>考核周期</th><td>{{ f.period or "—" }}{% if f.due %}（截止 {{ f.due }}）{% endif %}</td></tr>
<tr><th>说明</th><td>{{ f.message }}</td></tr>
<tr><th>证据</th><td>{% for ev in f.evidence %}<div>{{ ev.url }}（抓取时间 {{ ev.captured_at or "未知" }}）</div>{% endfor %}</td></tr>
<tr><th>原始记录</th><td>{% for r in f.records %}<div><code>{{ r }}</code></div>{% else %}无{% endfor %}</td></tr>
</table>
{% endfor %}
<h2>原始记录清单</h2>
<table><tr><th>文件</th><th>网址</th><th>抓取时间（UTC）</th><th>SHA-256</th></tr>
{% for r in m.records %}<tr><td><code>{{ r.file }}</code></td><td>{{ r.url }}</td><td>{{ r.captured_at or "" }}</td><td><code>{{ r.sha256 }}</code></td></tr>
{% endfor %}</table>
{% if m.missing %}<h2>缺少原始记录的证据</h2><ul>{% for x in m.missing %}<li>{{ x.url }}：{{ x.reason }}</li>{% endfor %}</ul>{% endif %}
</body></html>
"""

STATUS_LABELS = {"pass": "合格", "fail": "不合格", "warn": "预警", "unknown": "无法判断"}


def render_summary(manifest: Mapping[str, Any]) -> str:
    """The readable HTML summary (autoescaped: crawled URLs and messages are untrusted)."""
    from jinja2 import Environment

    env = Environment(autoescape=True)
    return env.from_string(_SUMMARY_TEMPLATE).render(m=manifest, labels=STATUS_LABELS)


# --------------------------------------------------------------------------- verifying


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    problems: list[str]  # Chinese, each naming the file/record that changed


def verify_bundle(bundle_dir: Path) -> VerifyResult:
    """Recompute the manifest hash and every record's SHA-256; name whatever changed."""
    bundle_dir = Path(bundle_dir)
    manifest_path = bundle_dir / MANIFEST
    try:
        data = manifest_path.read_bytes()
        manifest = json.loads(data)
    except (OSError, ValueError) as exc:
        return VerifyResult(False, 0, [f"清单 {MANIFEST} 无法读取：{exc}"])
    problems: list[str] = []
    try:
        stated = (bundle_dir / MANIFEST_HASH).read_text(encoding="ascii").split()[0]
        if stated != _sha256(data):
            problems.append(f"清单 {MANIFEST} 已被修改（SHA-256 与 {MANIFEST_HASH} 不符）")
    except (OSError, IndexError, UnicodeDecodeError):
        problems.append(f"缺少或无法读取 {MANIFEST_HASH}")
    if manifest.get("format") != FORMAT:
        problems.append(f"不是可识别的证据包格式：{manifest.get('format')!r}")
    checked = 0
    base = bundle_dir.resolve()
    for record in manifest.get("records", []):
        name = str(record.get("file", ""))
        path = (bundle_dir / name).resolve()
        label = f"{name}（{record.get('url')}）"
        if base not in path.parents:
            problems.append(f"记录 {label}的路径越出证据包目录")
            continue
        try:
            raw = path.read_bytes()
        except OSError:
            problems.append(f"记录 {label}缺失")
            continue
        checked += 1
        if _sha256(raw) != record.get("sha256"):
            problems.append(
                f"记录 {label}已被修改：SHA-256 为 {_sha256(raw)}，清单记载为 {record.get('sha256')}"
            )
            continue
        try:
            if _sha256(_uncompressed(raw)) != record.get("record_sha256"):
                problems.append(f"记录 {label}解压后的内容与清单不符")
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            problems.append(f"记录 {label}无法解压：{exc}")
    return VerifyResult(not problems, checked, problems)
