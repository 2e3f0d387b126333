"""settings.toml validation: every error names the key and its line; exit 2 without touching the database."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from zwgk.config import ConfigError, load_config, parse_config

ROOT = Path(__file__).resolve().parent.parent

VALID = """\
[general]
timezone = "Asia/Shanghai"
database_url = "sqlite:///var/test.db"

[[departments]]
id = "office"
name = "区政府办公室"
emails = ["office@example.gov.cn"]
office = true

[[departments]]
id = "mzj"
name = "区民政局"

[[sites]]
id = "portal"
name = "门户网站"
base_url = "http://127.0.0.1:8765/"
department = "office"

  [[sites.sections]]
  id = "gzdt"
  name = "工作动态"
  list_url = "http://127.0.0.1:8765/gzdt/index.html"
  indicator = "shanting.03"

  [[sites.sections]]
  id = "dibao"
  name = "城乡低保"
  list_url = "http://127.0.0.1:8765/dibao/index.html"
  department = "mzj"
  indicator = "shanting.19"
"""


def _line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_valid_config_loads_with_defaults(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(VALID, encoding="utf-8")
    config = load_config(path)
    assert config.general.timezone == "Asia/Shanghai"
    assert config.database_url == f"sqlite:///{tmp_path / 'var/test.db'}"
    assert config.office and config.office.id == "office"
    assert [s.key for s in config.all_sections()] == ["portal/gzdt", "portal/dibao"]
    assert config.section("portal", "gzdt").department == "office"  # inherited from the site
    assert config.section("portal", "dibao").department == "mzj"
    assert config.crawl.horizon_days == 400


BAD_CASES = [
    # (id, old text, new text, expected key, (line needle, occurrence), message fragment)
    ("unknown-top-key", "[general]\n", '[general]\ncolour = "red"\n', "general.colour", ("colour", 0), "未知的键"),
    ("unknown-section-key", 'indicator = "shanting.03"', 'indicator = "shanting.03"\n  frequncy = 1',
     "sites[0].sections[0].frequncy", ("frequncy", 0), "未知的键"),
    ("missing-key", '  name = "工作动态"\n', "", "sites[0].sections[0]", ("[[sites.sections]]", 0), "缺少必填键 `name`"),
    ("bad-url", '"http://127.0.0.1:8765/gzdt/index.html"', '"htp:/broken"', "sites[0].sections[0].list_url",
     ("htp:/broken", 0), "不是有效的"),
    ("duplicate-id", 'id = "dibao"', 'id = "gzdt"', "sites[0].sections[1].id", ('id = "gzdt"', 1), "重复"),
    ("unknown-department", 'department = "mzj"', 'department = "mzx"', "sites[0].sections[1].department",
     ("mzx", 0), "未知部门"),
    ("unknown-indicator", '"shanting.19"', '"shanting.99"', "sites[0].sections[1].indicator", ("shanting.99", 0), "未知指标"),
    ("bad-timezone", '"Asia/Shanghai"', '"Mars/Olympus"', "general.timezone", ("Mars", 0), "未知时区"),
    ("wrong-type", "[general]\n", "[general]\nuser_agent = 5\n", "general.user_agent", ("user_agent", 0), "字符串"),
    ("bad-email", '"office@example.gov.cn"', '"not-an-address"', "departments[0].emails", ("not-an-address", 0), "电子邮件"),
]


@pytest.mark.parametrize(("old", "new", "key", "where", "fragment"), [c[1:] for c in BAD_CASES], ids=[c[0] for c in BAD_CASES])
def test_config_errors_name_key_and_line(
    tmp_path: Path, old: str, new: str, key: str, where: tuple[str, int], fragment: str
) -> None:
    assert old in VALID
    text = VALID.replace(old, new, 1)
    with pytest.raises(ConfigError) as caught:
        parse_config(text, tmp_path / "settings.toml")
    needle, occurrence = where
    expected_line = [n for n, line in enumerate(text.splitlines(), 1) if needle in line][occurrence]
    error = caught.value
    assert (error.key, error.line) == (key, expected_line), error.render()
    assert fragment in error.render()
    assert f"settings.toml:{expected_line} " in error.render()


def test_toml_syntax_error_has_line(tmp_path: Path) -> None:
    text = VALID.replace('name = "门户网站"', 'name = "门户网站', 1)
    with pytest.raises(ConfigError) as caught:
        parse_config(text, tmp_path / "settings.toml")
    assert caught.value.line == _line_of(text, 'name = "门户网站')


def test_cli_exits_2_without_touching_database(tmp_path: Path) -> None:
    text = VALID.replace('"shanting.19"', '"shanting.99"')
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "zwgk", "validate", "--config", str(path)],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "sites[0].sections[1].indicator" in result.stderr
    assert f"settings.toml:{_line_of(text, 'shanting.99')}" in result.stderr
    assert not (tmp_path / "var").exists()


def test_committed_settings_validate() -> None:
    config = load_config(ROOT / "settings.toml")
    assert config.sites and config.departments
    assert config.mail.enabled is False or config.mail.host
