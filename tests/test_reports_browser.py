"""Browser check: the reports render in headless Chromium (the layout survives a real engine)."""

from __future__ import annotations

import importlib.util
import struct
from pathlib import Path

import pytest
from conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")


def _load_bench():
    spec = importlib.util.spec_from_file_location("render_reports", ROOT / "bench" / "render_reports.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian packages chromium and fonts-noto-cjk")
def test_reports_render_to_png_in_headless_chromium(tmp_path: Path) -> None:
    bench = _load_bench()
    out = tmp_path / "png"
    assert bench.main(["--out", str(out), "--chromium", str(CHROMIUM), "--height", "900"]) == 0
    for stem in ("daily", "weekly", "department-mzj"):
        data = (out / f"{stem}.png").read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", data[16:24])
        assert (width, height) == (1200, 900)
        assert len(data) > 20_000  # a blank page compresses to a few KB; a rendered report does not
