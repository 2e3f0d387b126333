"""Render report HTML files to PNG with headless Chromium (a browser check of the mail layout).

    .venv/bin/python bench/render_reports.py [--out DIR] [--chromium PATH] [report.html ...]

Without HTML files it builds the fixed test data set (tests/reports_dataset.py) in a
temporary directory and renders the daily, weekly and 区民政局 reports. Prints one line
per PNG with its size and the rendering time.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def find_chromium(explicit: str | None = None) -> str | None:
    for candidate in (explicit, "/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def render_png(chromium: str, html: Path, png: Path, *, width: int = 1200, height: int = 1600, timeout: float = 120) -> None:
    """Screenshot one HTML file; raises CalledProcessError / TimeoutExpired, or RuntimeError without output."""
    png.parent.mkdir(parents=True, exist_ok=True)
    png.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="zwgk-chromium-") as profile:
        cmd = [
            chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--screenshot={png}",
            f"--window-size={width},{height}", html.resolve().as_uri(),
        ]
        subprocess.run(cmd, check=True, timeout=timeout, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not png.exists() or png.stat().st_size == 0:
        raise RuntimeError(f"chromium wrote no screenshot for {html}")


def build_sample(workdir: Path) -> list[Path]:
    """Build the fixed data set's reports; returns the HTML files."""
    sys.path.insert(0, str(ROOT / "tests"))
    sys.path.insert(0, str(ROOT))
    from reports_dataset import AS_OF, populate, write_settings

    from reports.build import build_and_queue

    config = write_settings(workdir)
    db = populate(config)
    try:
        paths = build_and_queue(config, db, "daily", AS_OF)
        paths += build_and_queue(config, db, "weekly", AS_OF)
        paths += build_and_queue(config, db, "department", AS_OF, department_id="mzj")
    finally:
        db.dispose()
    return [p for p in paths if p.suffix == ".html"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="用无头 Chromium 将报告 HTML 渲染为 PNG")
    parser.add_argument("html", nargs="*", type=Path, help="报告 HTML 文件（默认：用测试数据生成日报、周报、部门清单）")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "render", help="PNG 输出目录")
    parser.add_argument("--chromium", help="chromium 可执行文件路径")
    parser.add_argument("--width", type=int, default=1200)
    parser.add_argument("--height", type=int, default=1600)
    args = parser.parse_args(argv)
    chromium = find_chromium(args.chromium)
    if not chromium:
        print("找不到 chromium（Debian：apt-get install chromium fonts-noto-cjk）", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="zwgk-render-") as tmp:
        files = args.html or build_sample(Path(tmp))
        for html in files:
            png = args.out / f"{html.stem}.png"
            started = time.perf_counter()
            render_png(chromium, html, png, width=args.width, height=args.height)
            print(f"{png}\t{png.stat().st_size} 字节\t{time.perf_counter() - started:.2f} 秒")
    return 0


if __name__ == "__main__":
    sys.exit(main())
