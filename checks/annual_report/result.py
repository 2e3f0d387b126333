"""Results in the shape of the checks engine: per-problem findings and one folded Outcome."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from checks.annual_report.verify import Verification

try:  # the checks engine defines the shared result type
    from checks.engine import FindingResult
except ImportError:  # pragma: no cover - until checks/engine.py lands: same fields

    @dataclass
    class FindingResult:  # type: ignore[no-redef]
        rule: str
        kind: str
        site: str | None
        section: str | None
        department: str | None
        status: str
        period: str | None
        due: dt.date | None
        message: str
        evidence: list[dict[str, Any]] = field(default_factory=list)
        uncertain: bool = False
        severity: str | None = None
        details: dict[str, Any] = field(default_factory=dict)


KIND = "annual_report"
DEFAULT_RULE = {False: "ogi.annual_report_department", True: "ogi.annual_report_government"}


def _make(**values: Any) -> FindingResult:
    """Build a FindingResult, passing only the fields the engine's class accepts."""
    import dataclasses

    names = (
        {f.name for f in dataclasses.fields(FindingResult)}
        if dataclasses.is_dataclass(FindingResult)
        else set(values)
    )
    return FindingResult(**{k: v for k, v in values.items() if k in names})


def findings(
    verification: Verification,
    *,
    url: str,
    captured_at: dt.datetime | None = None,
    government: bool = False,
    rule: str | None = None,
    site: str | None = None,
    section: str | None = None,
    department: str | None = None,
    evidence: list[dict[str, Any]] | None = None,
    severity: str = "deduct",
) -> list[FindingResult]:
    """One finding per problem; a single ``pass`` finding when there is none."""
    rule = rule or DEFAULT_RULE[government]
    period = str(verification.year) if verification.year else None
    ev = (
        evidence
        if evidence is not None
        else [{"url": url, "captured_at": captured_at.isoformat(timespec="seconds") if captured_at else None}]
    )
    common = dict(
        rule=rule,
        kind=KIND,
        site=site,
        section=section,
        department=department,
        period=period,
        due=verification.due,
        evidence=ev,
        uncertain=False,
        severity=severity,
    )
    if not verification.problems:
        published = f"，发布日期 {verification.published:%Y-%m-%d}" if verification.published else ""
        return [
            _make(
                status="pass",
                message=f"年报六个部分、表二至表四及勾稽关系核验通过{published}",
                details={"url": url},
                **common,
            )
        ]
    return [
        _make(status=p.status, message=p.message, details={"url": url, **p.as_dict()}, **common)
        for p in verification.problems
    ]


def outcome(verification: Verification, *, evidence: list[dict[str, Any]] | None = None) -> Any:
    """All problems folded into one ``checks.model.Outcome`` (what a rule kind returns)."""
    from checks.model import Outcome

    problems = verification.problems
    if problems:
        head = problems[0].message
        more = f"（另有 {len(problems) - 1} 处问题）" if len(problems) > 1 else ""
        message = head + more
    else:
        message = "年报六个部分、表二至表四及勾稽关系核验通过"
    return Outcome(
        status=verification.status,
        message=message,
        period=str(verification.year) if verification.year else None,
        due=verification.due,
        evidence=evidence or [],
        details={
            "problems": [p.as_dict() for p in problems],
            "published": verification.published.isoformat() if verification.published else None,
        },
    )
