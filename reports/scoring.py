"""Weekly score of one department (rules.md §A0): veto first, then 100 minus capped deductions.

Pure functions: no database, no clock. The formula is stated in ``FORMULA`` and
printed in the weekly report so that a department can recompute its score.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

FULL_SCORE = 100.0
PASS_LINE = 60.0

FORMULA = (
    "得分 = 100 − Σ（各指标扣分）。每一条“未通过”的扣分项扣该指标的分值"
    "（检查结果给出具体扣分的，按给出的分值扣），同一指标累计扣分不超过该指标分值；"
    "“预警”和“无法判断”的项不扣分；存在“单项否决”指标未通过的部门直接判定为不合格（不论得分）；"
    "得分低于 60 分为不合格。"
)


@dataclass(frozen=True)
class RuleDeduction:
    rule: str
    name: str
    failures: int
    raw: float  # sum of the failures' deductions before the cap
    cap: float
    deducted: float


@dataclass
class Score:
    department_id: str
    score: float
    vetoed: bool
    vetoes: list[str] = field(default_factory=list)  # rule ids of failing veto indicators
    deductions: list[RuleDeduction] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        if self.vetoed:
            return "不合格（单项否决）"
        return "不合格" if self.score < PASS_LINE else "合格"

    def details(self) -> dict[str, Any]:
        """What is stored in ScoreRecord.details."""
        return {
            "vetoes": self.vetoes,
            "deductions": [d.__dict__ for d in self.deductions],
        }


def iso_week(day: dt.date) -> str:
    """ISO week label, e.g. ``2026-W47``."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def score_department(department_id: str, failures: Iterable[tuple[str, str, str, float, float]]) -> Score:
    """Score from the department's open failing findings.

    ``failures`` yields ``(rule, rule_name, severity, each, cap)`` once per failing finding,
    where ``each`` is the deduction per failure and ``cap`` the indicator's points.
    """
    vetoes: set[str] = set()
    grouped: dict[str, list[tuple[str, float, float]]] = {}
    for rule, name, severity, each, cap in failures:
        if severity == "veto":
            vetoes.add(rule)
        elif severity == "deduct":
            grouped.setdefault(rule, []).append((name, each, cap))
    deductions = []
    for rule in sorted(grouped):
        rows = grouped[rule]
        name, _, cap = rows[0]
        raw = round(sum(each for _, each, _ in rows), 2)
        deductions.append(RuleDeduction(rule, name, len(rows), raw, cap, round(min(cap, raw), 2)))
    total = sum(d.deducted for d in deductions)
    score = round(max(0.0, FULL_SCORE - total), 2)
    return Score(department_id, score, bool(vetoes), sorted(vetoes), deductions)


def rank(scores: Iterable[Score]) -> list[tuple[int, Score]]:
    """Rank best first: vetoed departments after all others, then by score, then by id."""
    ordered = sorted(scores, key=lambda s: (s.vetoed, -s.score, s.department_id))
    return [(i + 1, s) for i, s in enumerate(ordered)]
