"""The committed settings.toml runs the demo district."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import urlsplit

from zwgk.commands.demo import demo_address
from zwgk.config import load_config
from zwgk.demo import build_site

ROOT = Path(__file__).resolve().parent.parent


def test_committed_settings_validate_and_point_at_the_demo():
    config = load_config(ROOT / "settings.toml")
    assert demo_address(config) == ("127.0.0.1", 8765)
    assert {d.name for d in config.departments} >= {"区政府办公室", "区民政局", "区财政局", "区统计局", "区发改局"}
    assert all(d.emails for d in config.departments)
    assert config.office is not None and config.office.name == "区政府办公室"
    assert not config.mail.enabled


def test_every_configured_section_exists_in_the_demo_site():
    config = load_config(ROOT / "settings.toml")
    site = build_site(dt.date(2026, 11, 22))
    sections = config.all_sections()
    assert len(sections) >= 10
    for section in sections:
        parts = urlsplit(section.list_url)
        assert (parts.hostname, parts.port) == ("127.0.0.1", 8765)
        page = site.get(parts.path)
        assert page is not None and page.status == 200, section.list_url
    indicators = {s.indicator for s in sections}
    assert {"shanting.03", "shanting.19", "shanting.17", "shanting.09", "shanting.35", "shanting.33",
            "shanting.11", "shanting.04", "ogi.annual_report_government", "national.notice"} <= indicators
