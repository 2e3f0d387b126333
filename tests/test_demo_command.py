"""`zwgk demo` pieces: stage skipping while a package is not built yet, the summary table."""

from __future__ import annotations

from pathlib import Path

import pytest

from zwgk.commands.demo import _Stages, summary_lines
from zwgk.config import load_config

ROOT = Path(__file__).resolve().parent.parent


def _raise(exc: BaseException):
    def fn():
        raise exc

    return fn


def test_missing_stage_is_skipped_not_crashed():
    lines: list[str] = []
    stages = _Stages(lines.append)
    exc = ModuleNotFoundError("No module named 'reports.build'", name="reports.build")
    assert stages.run("日报", _raise(exc), str) is None
    assert lines == ["[1] 日报：跳过（尚未实现：reports.build）"]
    assert stages.errors == 0
    # A half-built module (name exists, function not yet) is also a skip.
    stages.run("投递", _raise(ImportError("cannot import name 'flush_outbox'", name="reports.delivery.outbox")), str)
    assert lines[-1].startswith("[2] 投递：跳过（尚未实现")


def test_third_party_import_errors_are_not_hidden():
    stages = _Stages(lambda line: None)
    with pytest.raises(ModuleNotFoundError):
        stages.run("采集", _raise(ModuleNotFoundError("No module named 'scrapy'", name="scrapy")), str)


def test_a_failing_stage_is_reported_and_the_rest_continue():
    lines: list[str] = []
    stages = _Stages(lines.append)
    stages.run("采集", _raise(RuntimeError("子进程超时")), str)
    result = stages.run("合规检查", lambda: [1, 2], lambda r: f"：{len(r)} 条")
    assert stages.errors == 1
    assert lines[0] == "[1] 采集：出错 RuntimeError：子进程超时"
    assert result == [1, 2] and lines[1].startswith("[2] 合规检查：完成") and lines[1].endswith("：2 条")


def test_summary_counts_statuses_and_lists_failures_with_evidence():
    config = load_config(ROOT / "settings.toml")
    results = [
        {"status": "pass", "rule": "shanting.17", "section": "gaoling", "department": "mzj"},
        {"status": "fail", "rule": "shanting.19", "section": "dibao", "department": "mzj", "period": "2026-09",
         "message": "2026-09 月度信息未公开", "evidence": [{"url": "http://127.0.0.1:8765/col/col1001/index.html"}]},
        {"status": "unknown", "rule": "national.availability", "section": None, "department": None},
    ]
    lines = summary_lines(results, config)
    assert lines[1].split() == ["通过", "1", "不通过", "1", "警告", "0", "无法判断", "1"]
    text = "\n".join(lines)
    assert "区民政局" in text and "城乡低保" in text and "2026-09 月度信息未公开" in text
    assert "证据：http://127.0.0.1:8765/col/col1001/index.html" in text
    assert "shanting.17" not in text
