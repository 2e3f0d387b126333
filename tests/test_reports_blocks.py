"""The per-finding blocks written in Python (reports.blocks) give what the template loops they replace gave.

The references are those loops, as they stood in ``department.html.j2`` and ``_macros.txt.j2``,
rendered in the reports' own Jinja environments over rows with every branch and tricky text.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from reports.blocks import department_tables, finding_lines
from reports.model import FindingRow, safe_link
from reports.render import _environment

OLD_HTML_LOOP = """\
  {% for r in open %}
  <table role="presentation" cellpadding="0" cellspacing="0" style="{{ S.table }};margin-bottom:12px;">
    <tr><th style="{{ S.th }};width:110px;">状态</th><td style="{{ S.td }}">{% if r.status == "fail" and r.severity == "veto" %}<span style="{{ S.veto }}">单项否决</span>{% else %}<span style="{{ S[r.status] }}">{{ r.status_label }}</span>{% endif %}　{{ r.place }}</td></tr>
    <tr><th style="{{ S.th }}">问题</th><td style="{{ S.td }}">{{ r.message }}</td></tr>
    <tr><th style="{{ S.th }}">指标</th><td style="{{ S.td }}">{{ r.rule }} {{ r.rule_name }}（{{ r.severity_label }}，考核周期 {{ r.period or "—" }}）</td></tr>
    <tr><th style="{{ S.th }}">应完成日期</th><td style="{{ S.td }}">{{ r.due|d }}{% if r.overdue_days %}　<b style="color:#c0392b;">已逾期 {{ r.overdue_days }} 天</b>{% endif %}{% if r.uncertain %}（节假日数据缺失，日期按推算）{% endif %}</td></tr>
    <tr><th style="{{ S.th }}">证据</th><td style="{{ S.td }}">{% if r.evidence_link %}<a href="{{ r.evidence_link }}" style="{{ S.a }}">{{ r.evidence_link }}</a>{% elif r.evidence_url %}{{ r.evidence_url }}{% else %}无{% endif %}{% if r.captured_at %}<br><span style="{{ S.muted }}">采集于 {{ r.captured_at }}</span>{% endif %}</td></tr>
    <tr><th style="{{ S.th }}">依据</th><td style="{{ S.td }}">{{ r.basis }}</td></tr>
  </table>
  {% else %}
  <p style="{{ S.muted }}">目前没有待整改事项。</p>
  {% endfor %}
"""
NEW_HTML = """\
  {% if open %}{{ open|finding_tables }}{% else %}
  <p style="{{ S.muted }}">目前没有待整改事项。</p>
  {% endif %}
"""

OLD_TEXT_LOOP = """\
{% for r in rows[:limit] %}
- [{% if r.status == "fail" and r.severity == "veto" %}单项否决{% else %}{{ r.status_label }}{% endif %}] {% if with_department %}{{ r.department_name }} | {% endif %}{{ r.place|line }}
  问题：{{ r.message|line }}
  指标：{{ r.rule }} {{ r.rule_name }}
  应完成日期：{{ r.due|d }}{% if r.overdue_days %}（已逾期 {{ r.overdue_days }} 天）{% endif %}

  证据：{{ (r.evidence_url or "无")|line }}{% if r.captured_at %}（采集于 {{ r.captured_at }}）{% endif %}

{% if with_basis %}
  依据：{{ r.basis|line }}
{% endif %}

{% else %}
{{ empty }}
{% endfor %}
{% if rows|length > limit %}
（以上列出最严重的 {{ limit }} 项，另有 {{ rows|length - limit }} 项未列出，完整清单见附件 XLSX。）
{% endif %}
"""
NEW_TEXT = """\
{% from "_macros.txt.j2" import findings %}
{{ findings(rows, with_department=with_department, with_basis=with_basis, empty=empty, limit=limit) }}
"""

TRICKY = ["<b>粗体</b> & \"引号\" '单引号'", "  两端空格\t制表\n换行  ", "普通文字", "", "a&amp;b"]
URLS = ["http://127.0.0.1/a?b=1&c=<2>", "javascript:alert('x')", None, ""]


def _rows() -> list[FindingRow]:
    rows = []
    combos = itertools.product(
        [("fail", "veto"), ("fail", "deduct"), ("warn", "info"), ("unknown", "deduct"), ("fail", "info")],
        URLS,
        [None, dt.date(2026, 11, 10)],
        [None, 0, 12],
        [False, True],
        ["", "2026-11-11T06:01:00+08:00"],
    )
    for n, ((status, severity), url, due, overdue, uncertain, captured) in enumerate(combos):
        text = TRICKY[n % len(TRICKY)]
        rows.append(FindingRow(
            id=n, rule=f"r.{n % 3}<&>", rule_name=TRICKY[(n + 1) % len(TRICKY)] or "名称", basis=text or "依据",
            severity=severity, department_id="d1", department_name=f"部门{text}", place=f"网站 / {text}",
            status=status, period="" if n % 4 == 0 else "2026-W46", due=due, overdue_days=overdue,
            message=f"问题{n}：{text}", evidence_url=url or None, evidence_link=safe_link(url), captured_at=captured,
            uncertain=uncertain, first_detected=None, resolved=None, reopened_count=0,
        ))
    return rows


@pytest.mark.parametrize("count", [0, 1, 7, 480])
def test_department_tables_equal_the_template_loop(count: int) -> None:
    env = _environment(True)
    rows = _rows()[:count]
    assert len(rows) == count
    old = env.from_string(OLD_HTML_LOOP).render(open=rows)
    assert env.from_string(NEW_HTML).render(open=rows) == old
    if rows:
        assert "&lt;b&gt;粗体&lt;/b&gt; &amp; &#34;引号&#34; &#39;单引号&#39;" in old


@pytest.mark.parametrize(("count", "limit"), [(0, 500), (1, 500), (480, 480), (480, 10), (5, 0)])
@pytest.mark.parametrize(("with_department", "with_basis"), [(True, False), (False, True), (True, True)])
def test_finding_lines_equal_the_macro_loop(count: int, limit: int, with_department: bool, with_basis: bool) -> None:
    env = _environment(False)
    args = {"rows": _rows()[:count], "with_department": with_department, "with_basis": with_basis,
            "empty": "目前没有待整改事项。", "limit": limit}
    old = env.from_string("{% macro findings() -%}\n" + OLD_TEXT_LOOP + "{%- endmacro %}\n{{ findings() }}\n")
    assert env.from_string(NEW_TEXT).render(**args) == old.render(**args)


def test_finding_lines_direct() -> None:
    row = _rows()[1]
    text = finding_lines([row], with_department=False, with_basis=True)
    assert text.startswith("- [单项否决] 网站 / ") and text.endswith("\n\n")
    assert "\n" not in text.split("问题：")[1].split("\n")[0].strip("\n")
    assert str(department_tables([])) == ""
