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
    ("non-ascii-user-agent", "[general]\n", '[general]\nuser_agent = "监测 (+mailto:a@b.cn)"\n', "general.user_agent",
     ("user_agent", 0), "ASCII"),
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


# --------------------------------------------------------------------------- secrets only from the environment

DB_SECRET = "s3cr3t-Pw"


@pytest.mark.parametrize(("url", "key"), [
    (f"postgresql+psycopg://zwgk:{DB_SECRET}@db.internal:5432/zwgk", "general.database_url"),
    (f"postgresql+psycopg://zwgk@db.internal/zwgk?password={DB_SECRET}", "general.database_url"),
])
def test_password_in_database_url_is_rejected(tmp_path: Path, url: str, key: str) -> None:
    text = VALID.replace('"sqlite:///var/test.db"', f'"{url}"')
    with pytest.raises(ConfigError) as caught:
        parse_config(text, tmp_path / "settings.toml", environ={})
    error = caught.value
    assert (error.key, error.line) == (key, _line_of(text, "database_url")), error.render()
    assert "ZWGK_DATABASE_URL" in error.render() and "PGPASSWORD" in error.render()
    assert DB_SECRET not in error.render()


@pytest.mark.parametrize("url", [f"redis://:{DB_SECRET}@10.0.0.5:6379/0", f"redis://crawl:{DB_SECRET}@10.0.0.5/0",
                                 f"unix:///run/redis.sock?db=0&password={DB_SECRET}"])
def test_password_in_redis_url_is_rejected(tmp_path: Path, url: str) -> None:
    text = VALID + f'\n[scale]\nredis_url = "{url}"\n'
    with pytest.raises(ConfigError) as caught:
        parse_config(text, tmp_path / "settings.toml", environ={})
    error = caught.value
    assert (error.key, error.line) == ("scale.redis_url", _line_of(text, "redis_url")), error.render()
    assert "ZWGK_REDIS_URL" in error.render() and DB_SECRET not in error.render()


def test_urls_without_a_password_are_accepted(tmp_path: Path) -> None:
    for db, redis_url in (("postgresql+psycopg://zwgk@/zwgk?host=/var/run/postgresql", "redis://127.0.0.1:6379/0"),
                          ("postgresql+psycopg://zwgk@db.internal:5432/zwgk", "redis://crawl@10.0.0.5:6379/1"),
                          ("postgresql+psycopg://zwgk:@db.internal/zwgk", "")):
        text = VALID.replace('"sqlite:///var/test.db"', f'"{db}"') + f'\n[scale]\nredis_url = "{redis_url}"\n'
        config = parse_config(text, tmp_path / "settings.toml", environ={})
        assert (config.database_url, config.scale.redis_url) == (db, redis_url)


def test_database_url_from_the_environment_wins(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(VALID, encoding="utf-8")
    secret_url = f"postgresql+psycopg://zwgk:{DB_SECRET}@db.internal:5432/zwgk"
    config = load_config(path, environ={"ZWGK_DATABASE_URL": f"  {secret_url} "})
    assert config.database_url == secret_url
    assert config.general.database_url == "sqlite:///var/test.db"  # the file's value is kept, the env wins
    assert "ZWGK_DATABASE_URL" in config.database_url_source
    # Unset or empty: the file's value, as before.
    for environ in ({}, {"ZWGK_DATABASE_URL": ""}):
        assert load_config(path, environ=environ).database_url == f"sqlite:///{tmp_path / 'var/test.db'}"
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={"ZWGK_DATABASE_URL": "db.internal/zwgk"})
    assert "环境变量 ZWGK_DATABASE_URL" in caught.value.render() and "不是数据库 URL" in caught.value.render()


def test_redact_url_hides_passwords() -> None:
    from zwgk.config import redact_url

    assert redact_url(f"postgresql+psycopg://zwgk:{DB_SECRET}@db:5432/zwgk") == "postgresql+psycopg://zwgk:***@db:5432/zwgk"
    assert redact_url(f"redis://:{DB_SECRET}@10.0.0.5:6379/0") == "redis://:***@10.0.0.5:6379/0"
    assert redact_url(f"postgresql://zwgk@db/zwgk?sslmode=require&password={DB_SECRET}") == \
        "postgresql://zwgk@db/zwgk?sslmode=require&password=***"
    assert redact_url("sqlite:////var/zwgk.db") == "sqlite:////var/zwgk.db"


def _zwgk(args: list[str], env_extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("ZWGK_DATABASE_URL", "ZWGK_REDIS_URL")}
    return subprocess.run([sys.executable, "-m", "zwgk", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120, env={**env, **env_extra})


def test_cli_rejects_a_password_in_the_file_with_exit_2(tmp_path: Path) -> None:
    text = VALID.replace('"sqlite:///var/test.db"', f'"postgresql+psycopg://zwgk:{DB_SECRET}@127.0.0.1:1/zwgk"')
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    result = _zwgk(["validate", "--config", str(path)], {})
    assert result.returncode == 2, result.stderr
    assert f"settings.toml:{_line_of(text, 'database_url')} 键 `general.database_url`" in result.stderr
    assert "ZWGK_DATABASE_URL" in result.stderr and DB_SECRET not in result.stderr + result.stdout


def test_cli_uses_the_database_named_by_the_environment(tmp_path: Path) -> None:
    """`zwgk status` opens (and migrates) the database of ZWGK_DATABASE_URL, not the file's; validate hides secrets."""
    path = tmp_path / "settings.toml"
    path.write_text(VALID, encoding="utf-8")
    env_db = tmp_path / "from-env.db"
    result = _zwgk(["status", "--config", str(path)], {"ZWGK_DATABASE_URL": f"sqlite:///{env_db}"})
    assert result.returncode in (0, 1), result.stderr
    assert env_db.is_file() and env_db.stat().st_size > 0
    assert not (tmp_path / "var" / "test.db").exists()
    shown = _zwgk(["validate", "--config", str(path)],
                  {"ZWGK_DATABASE_URL": f"postgresql+psycopg://zwgk:{DB_SECRET}@127.0.0.1:1/zwgk"})
    assert shown.returncode == 0, shown.stderr
    assert "postgresql+psycopg://zwgk:***@127.0.0.1:1/zwgk" in shown.stdout and "ZWGK_DATABASE_URL" in shown.stdout
    assert DB_SECRET not in shown.stdout + shown.stderr
    bad = _zwgk(["validate", "--config", str(path)], {"ZWGK_DATABASE_URL": "not-a-url"})
    assert bad.returncode == 2 and "ZWGK_DATABASE_URL" in bad.stderr, bad.stderr


def test_private_store_env_hides_the_shared_store(monkeypatch: pytest.MonkeyPatch) -> None:
    """`zwgk audit` crawls into its own SQLite file even when the shared store is configured by environment."""
    import os

    from zwgk.config import private_store_env

    monkeypatch.setenv("ZWGK_DATABASE_URL", "postgresql+psycopg://zwgk@db/zwgk")
    monkeypatch.setenv("ZWGK_REDIS_URL", "redis://127.0.0.1:6379/0")
    with private_store_env():
        assert "ZWGK_DATABASE_URL" not in os.environ and "ZWGK_REDIS_URL" not in os.environ
        probe = subprocess.run([sys.executable, "-c", "import os; print(os.environ.get('ZWGK_DATABASE_URL'))"],
                               capture_output=True, text=True, timeout=60)
        assert probe.stdout.strip() == "None"
    assert os.environ["ZWGK_DATABASE_URL"] == "postgresql+psycopg://zwgk@db/zwgk"
    assert os.environ["ZWGK_REDIS_URL"] == "redis://127.0.0.1:6379/0"


# --------------------------------------------------------------------------- per-host rate 0 = unlimited


def test_per_host_rate_zero_means_unlimited(tmp_path: Path) -> None:
    import asyncio

    from crawler.linkcheck.politeness import HostLimiter, PolitenessParams
    from crawler.settings import host_limits, scrapy_settings

    text = VALID + "\n[links]\nper_host_rate = 0\n"
    config = parse_config(text, tmp_path / "settings.toml", environ={})
    assert config.links.per_host_rate == 0.0
    params = PolitenessParams.from_links(config.links)
    assert params.interval == 0.0
    assert host_limits(config) == (4, 0.0)  # [crawl] delay_seconds (0) alone spaces the crawler's requests
    assert scrapy_settings(config, config.sites[0])["DOWNLOAD_DELAY"] == 0.0
    from zwgk.commands.demo import demo_pace

    assert demo_pace(config).links.per_host_rate == 0.0  # the demo's local pace does not slow "unlimited" down

    async def starts(rate: float) -> int:
        """Requests started on one host within 2 s of a frozen clock: unlimited starts all 20."""
        limiter = HostLimiter(PolitenessParams(per_host_concurrency=4, per_host_rate=rate), clock=lambda: 100.0)
        started = 0

        async def one() -> None:
            nonlocal started
            async with limiter.slot("127.0.0.1"):
                started += 1

        tasks = [asyncio.create_task(one()) for _ in range(20)]
        await asyncio.wait(tasks, timeout=2)
        for task in tasks:
            task.cancel()
        return started

    assert asyncio.run(starts(params.per_host_rate)) == 20
    assert asyncio.run(starts(10.0)) == 1  # with a rate, the frozen clock never lets a second request start


@pytest.mark.parametrize(("value", "fragment"), [("-1", "不小于 0"), ("0.001", "0（不限速）或不小于 0.01"),
                                                 ('"fast"', "应为数字")])
def test_bad_per_host_rate_names_key_and_line(tmp_path: Path, value: str, fragment: str) -> None:
    text = VALID + f"\n[links]\nper_host_rate = {value}\n"
    with pytest.raises(ConfigError) as caught:
        parse_config(text, tmp_path / "settings.toml", environ={})
    assert (caught.value.key, caught.value.line) == ("links.per_host_rate", _line_of(text, "per_host_rate"))
    assert fragment in caught.value.render()
