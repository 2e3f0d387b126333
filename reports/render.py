"""Jinja2 rendering: HTML (autoescaped, inline CSS for mail clients) and plain text."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import escape

TEMPLATES = Path(__file__).parent / "templates"
# Finding lists in a report body stop here (worst first); the XLSX attachment has every row.
# A province's daily report has 100,000+ open findings: no mail client shows that.
LIST_LIMIT = 500

# Inline styles: many mail clients drop <style> blocks, so every element carries its own.
STYLES = {
    "body": "margin:0;padding:16px;background:#f4f6f8;font-family:'Microsoft YaHei','PingFang SC','Noto Sans CJK SC',SimSun,sans-serif;color:#1f2933;font-size:14px;line-height:1.5;",
    "card": "max-width:1040px;margin:0 auto;background:#ffffff;border:1px solid #d9e2ec;padding:20px;",
    "h1": "font-size:20px;margin:0 0 8px 0;color:#102a43;",
    "h2": "font-size:16px;margin:20px 0 8px 0;padding-left:8px;border-left:4px solid #2f6fb3;color:#102a43;",
    "muted": "color:#627d98;font-size:12px;",
    "table": "border-collapse:collapse;width:100%;font-size:13px;",
    "th": "background:#e6eef7;border:1px solid #c5d3e2;padding:5px 6px;text-align:left;white-space:nowrap;",
    "td": "border:1px solid #d9e2ec;padding:5px 6px;vertical-align:top;",
    "num": "border:1px solid #d9e2ec;padding:5px 6px;text-align:right;vertical-align:top;white-space:nowrap;",
    "date": "border:1px solid #d9e2ec;padding:5px 6px;vertical-align:top;white-space:nowrap;",
    "fail": "color:#ffffff;background:#c0392b;padding:1px 5px;white-space:nowrap;",
    "veto": "color:#ffffff;background:#7b1fa2;padding:1px 5px;white-space:nowrap;",
    "warn": "color:#5c3c00;background:#f6c344;padding:1px 5px;white-space:nowrap;",
    "unknown": "color:#ffffff;background:#7b8794;padding:1px 5px;white-space:nowrap;",
    "pass": "color:#ffffff;background:#2e7d32;padding:1px 5px;white-space:nowrap;",
    "banner_bad": "background:#fdecea;border:1px solid #f5c2c0;color:#8a1c12;padding:10px;font-size:15px;font-weight:bold;",
    "banner_warn": "background:#fff8e1;border:1px solid #f6dc8c;color:#6b4d00;padding:10px;font-size:15px;font-weight:bold;",
    "banner_ok": "background:#e8f5e9;border:1px solid #b7dfb9;color:#1b5e20;padding:10px;font-size:15px;font-weight:bold;",
    "formula": "background:#f0f4f8;border:1px solid #d9e2ec;padding:8px;font-size:13px;",
    "bar_bg": "background:#e4e7eb;height:12px;width:100px;",
    "a": "color:#1f5fa8;word-break:break-all;",
}


def fmt_date(value: dt.date | None) -> str:
    return value.isoformat() if value else "—"


def fmt_change(value: float | None) -> str:
    if value is None:
        return "—（上周无记录）"
    if value == 0:
        return "持平"
    return f"{value:+g}"


def banner_style(overall: str) -> str:
    if "否决" in overall or "未通过" in overall:
        return STYLES["banner_bad"]
    if "无法判断" in overall:
        return STYLES["banner_warn"]
    return STYLES["banner_ok"]


def one_line(value: Any) -> str:
    """Crawled text on a single line (plain-text reports keep their layout)."""
    return " ".join(str(value).split())


class Styles:
    """STYLES as the templates read them: ``S.th`` finds an attribute, ``S[r.status]`` and ``r.status in S`` work too.

    Jinja looks ``S.th`` up as an attribute first; on a dict that raises AttributeError before the
    item lookup. (Constant ``{{ S.name }}`` never gets here in HTML: see InlineStyles.)
    """

    def __init__(self, styles: dict[str, str]) -> None:
        self._styles = dict(styles)
        self.__dict__.update(self._styles)

    def __getitem__(self, key: str) -> str:
        return self._styles[key]

    def __contains__(self, key: object) -> bool:
        return key in self._styles


_STYLE_REF = re.compile(r"\{\{\s*S\.(\w+)\s*\}\}")


class InlineStyles(FileSystemLoader):
    """Loads the HTML templates with each ``{{ S.name }}`` replaced by the escaped style text itself.

    The output is the same as from the expression (the text autoescape would produce); the
    compiled template then has one constant string where it had an attribute lookup and an
    escape per use: about a dozen per finding in a department report, 3 M for a province.
    Styles chosen at render time (``S[r.status]``) stay expressions.
    """

    def get_source(self, environment: Environment, template: str) -> tuple[str, str | None, Callable[[], bool] | None]:
        source, filename, uptodate = super().get_source(environment, template)
        return _STYLE_REF.sub(lambda m: str(escape(STYLES[m[1]])), source), filename, uptodate


@cache
def _environment(html: bool) -> Environment:
    env = Environment(
        loader=InlineStyles(str(TEMPLATES)) if html else FileSystemLoader(str(TEMPLATES)),
        autoescape=html,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    from reports.blocks import department_tables, finding_lines  # they use this module's STYLES

    env.filters.update(d=fmt_date, change=fmt_change, banner=banner_style, line=one_line,
                       finding_tables=department_tables, finding_lines=finding_lines)
    env.globals["S"] = Styles(STYLES)
    env.globals["LIST_LIMIT"] = LIST_LIMIT
    return env


def render(kind: str, context: dict[str, Any]) -> tuple[str, str]:
    """Render ``<kind>.html.j2`` and ``<kind>.txt.j2``; returns (html, text)."""
    html = _environment(True).get_template(f"{kind}.html.j2").render(**context)
    text = _environment(False).get_template(f"{kind}.txt.j2").render(**context)
    return html, text
