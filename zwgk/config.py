"""settings.toml: one validated configuration, loaded once, with errors that name key and line.

Every table has a fixed set of keys; unknown keys, missing required keys, wrong
types, bad URLs, duplicate ids and dangling references are all ``ConfigError``s
carrying the dotted key and the line number. Nothing here touches the database.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import tomllib
import zoneinfo
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from zwgk.tomllines import line_of, locate_keys


class ConfigError(Exception):
    """A configuration problem, located by key path and line."""

    def __init__(self, message: str, key: str = "", line: int | None = None, file: str = "") -> None:
        self.message = message
        self.key = key
        self.line = line
        self.file = file
        super().__init__(self.render())

    def render(self) -> str:
        where = self.file or "settings.toml"
        if self.line:
            where += f":{self.line}"
        key = f" 键 `{self.key}`" if self.key else ""
        return f"配置错误 {where}{key}: {self.message}"


# Secrets come from the environment: these win over the URLs in settings.toml (which must hold no password).
DATABASE_URL_ENV = "ZWGK_DATABASE_URL"
REDIS_URL_ENV = "ZWGK_REDIS_URL"


def url_has_secret(url: str) -> bool:
    """True when a connection URL carries a password (``user:secret@`` or a ``password=`` query parameter)."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return False
    query = parse_qsl(parts.query, keep_blank_values=True)
    return bool(password) or any(k.lower() in ("password", "passwd") and v for k, v in query)


def redact_url(url: str) -> str:
    """The URL with its password (userinfo and ``password=`` parameter) replaced by ``***``, for display."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return url
    redacted = parts
    if password:
        userinfo, _, host = parts.netloc.rpartition("@")
        redacted = redacted._replace(netloc=f"{userinfo.partition(':')[0]}:***@{host}")
    if parts.query:
        redacted = redacted._replace(query=re.sub(r"(?i)((?:^|&)(?:password|passwd)=)[^&]*", r"\1***", parts.query))
    return url if redacted == parts else urlunsplit(redacted)  # urlunsplit would drop sqlite:////'s slashes


@contextlib.contextmanager
def private_store_env() -> Iterator[None]:
    """Unset ZWGK_DATABASE_URL and ZWGK_REDIS_URL for a while (and for child processes started meanwhile):
    for work on a private store, such as `zwgk audit`'s one-off crawl, which must not reach the shared one."""
    saved = {name: os.environ.pop(name) for name in (DATABASE_URL_ENV, REDIS_URL_ENV) if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


# --------------------------------------------------------------------------- typed configuration


@dataclass(frozen=True)
class GeneralConfig:
    timezone: str = "Asia/Shanghai"
    database_url: str = "sqlite:///var/zwgk.db"
    evidence_dir: Path = Path("var/evidence")
    reports_dir: Path = Path("var/reports")
    outbox_dir: Path = Path("var/outbox")
    user_agent: str = "zwgk-monitor/0.1 (+mailto:zwgk-monitor@example.gov.cn)"

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


@dataclass(frozen=True)
class CrawlConfig:
    horizon_days: int = 400
    site_timeout_seconds: int = 900
    download_timeout: float = 20.0
    obey_robots: bool = True
    concurrency_per_host: int = 4
    delay_seconds: float = 0.0
    autothrottle: bool = True
    max_list_pages: int = 60
    fetch_articles: bool = True
    fetch_attachments: bool = True
    max_attachment_bytes: int = 20_000_000
    parallel_sites: int = 2
    retry_times: int = 1
    idle_worker_minutes: float = 60.0  # scheduler: crawl workers stay ready this long between crawls


@dataclass(frozen=True)
class LinksConfig:
    enabled: bool = True
    check_external: bool = True
    confirm_runs: int = 2
    timeout_seconds: float = 15.0
    max_redirects: int = 10
    per_host_concurrency: int = 4
    per_host_rate: float = 10.0  # requests per second per host; 0 = unlimited (only the concurrency caps)
    recheck_delay_seconds: float = 30.0
    cache_hours: float = 20.0
    global_concurrency: int = 64  # link checker: requests in flight across all hosts
    max_retry_after_seconds: float = 60.0  # longest Retry-After (429) the link checker waits


@dataclass(frozen=True)
class AvailabilityConfig:
    probes_per_day: int = 24
    timeout_seconds: float = 15.0
    veto_ratio: float = 0.05
    window_days: int = 7


@dataclass(frozen=True)
class CalendarConfig:
    holidays: tuple[dt.date, ...] = ()
    workdays: tuple[dt.date, ...] = ()  # 调休 working weekends


@dataclass(frozen=True)
class RulesConfig:
    packs: tuple[str, ...] = ("shanting", "national", "ogi")
    pack_files: tuple[Path, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ScheduleConfig:
    crawl: str = "0 6 * * *"  # cron, site timezone
    daily_report: str = "30 8 * * *"
    weekly_report: str = "0 9 * * mon"
    availability_minutes: int = 60
    jitter_seconds: int = 300
    misfire_grace_seconds: int = 3600
    check_after_crawl: bool = True


@dataclass(frozen=True)
class ScaleConfig:
    """Scale-out: empty ``redis_url`` (and no ZWGK_REDIS_URL) keeps the embedded one-process-per-site crawl."""

    redis_url: str = ""  # redis://host:6379/0; the environment variable ZWGK_REDIS_URL wins
    crawl_workers: int = 2  # worker processes sharing each host's politeness budget
    key_prefix: str = "zwgk"  # Redis key prefix (several deployments can share one Redis)
    worker_heartbeat_seconds: float = 30.0  # a worker silent this long is dead: its claimed requests are requeued


@dataclass(frozen=True)
class MailConfig:
    enabled: bool = False  # False: messages are written to the outbox directory only
    host: str = "127.0.0.1"
    port: int = 25
    sender: str = "zwgk-monitor@localhost"
    security: str = "none"  # none | starttls | ssl
    username_env: str = "ZWGK_SMTP_USER"
    password_env: str = "ZWGK_SMTP_PASSWORD"
    timeout_seconds: float = 30.0
    max_attempts: int = 5
    retry_base_seconds: float = 60.0
    office_recipients_extra: tuple[str, ...] = ()

    def credentials(self) -> tuple[str | None, str | None]:
        """SMTP login from the environment (never from files)."""
        return os.environ.get(self.username_env) or None, os.environ.get(self.password_env) or None


@dataclass(frozen=True)
class WebhookConfig:
    id: str
    kind: str  # wecom | dingtalk
    url_env: str  # the robot URL (with its token) comes from this environment variable
    departments: tuple[str, ...] = ()  # empty: district office summaries
    report_base_url: str = ""


@dataclass(frozen=True)
class Department:
    id: str
    name: str
    emails: tuple[str, ...] = ()
    office: bool = False  # the district office receives the scorecards


@dataclass(frozen=True)
class SectionConfig:
    id: str
    name: str
    list_url: str
    department: str
    indicator: str
    site_id: str
    category: str | None = None  # dynamic | notice | policy | personnel | plan | ... (national freshness)
    adapter: str = "auto"
    max_pages: int | None = None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.site_id}/{self.id}"


@dataclass(frozen=True)
class SiteConfig:
    id: str
    name: str
    base_url: str
    department: str
    sections: tuple[SectionConfig, ...] = ()
    obey_robots: bool | None = None  # None: use crawl.obey_robots
    cms: str = "auto"
    is_portal: bool = False
    home_url: str | None = None

    @property
    def home(self) -> str:
        return self.home_url or self.base_url


@dataclass(frozen=True)
class Config:
    path: Path
    general: GeneralConfig
    crawl: CrawlConfig
    links: LinksConfig
    availability: AvailabilityConfig
    calendar: CalendarConfig
    rules: RulesConfig
    schedule: ScheduleConfig
    mail: MailConfig
    webhooks: tuple[WebhookConfig, ...]
    departments: tuple[Department, ...]
    sites: tuple[SiteConfig, ...]
    scale: ScaleConfig = field(default_factory=ScaleConfig)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    database_url_env: str = field(default="", repr=False)  # ZWGK_DATABASE_URL when the config was loaded

    # -- lookups
    def site(self, site_id: str) -> SiteConfig:
        for site in self.sites:
            if site.id == site_id:
                return site
        raise KeyError(site_id)

    def section(self, site_id: str, section_id: str) -> SectionConfig:
        for section in self.site(site_id).sections:
            if section.id == section_id:
                return section
        raise KeyError(f"{site_id}/{section_id}")

    def department(self, department_id: str) -> Department:
        for dep in self.departments:
            if dep.id == department_id:
                return dep
        raise KeyError(department_id)

    def all_sections(self) -> list[SectionConfig]:
        return [s for site in self.sites for s in site.sections]

    @property
    def office(self) -> Department | None:
        return next((d for d in self.departments if d.office), None)

    def resolve(self, path: Path) -> Path:
        """Resolve a configured relative path against the settings file's directory."""
        return path if path.is_absolute() else (self.path.parent / path)

    @property
    def database_url_source(self) -> str:
        """Where the database URL comes from: the environment variable or the settings key."""
        return f"环境变量 {DATABASE_URL_ENV}" if self.database_url_env else "[general] database_url"

    @property
    def database_url(self) -> str:
        """ZWGK_DATABASE_URL, else ``[general] database_url``; a relative SQLite path is made absolute
        (next to settings.toml)."""
        url = self.database_url_env or self.general.database_url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith("sqlite:////") and ":memory:" not in url:
            return prefix + str(self.resolve(Path(url[len(prefix):])))
        return url

    @property
    def evidence_dir(self) -> Path:
        return self.resolve(self.general.evidence_dir)

    @property
    def reports_dir(self) -> Path:
        return self.resolve(self.general.reports_dir)

    @property
    def outbox_dir(self) -> Path:
        return self.resolve(self.general.outbox_dir)


# --------------------------------------------------------------------------- validation helpers


Check = Callable[[Any], Any]


class _Validator:
    def __init__(self, text: str, file: str) -> None:
        self.lines = locate_keys(text)
        self.file = file

    def error(self, key: str, message: str) -> ConfigError:
        return ConfigError(message, key=key, line=line_of(self.lines, key), file=self.file)

    def table(self, data: Any, key: str, schema: dict[str, tuple[Check, bool]]) -> dict[str, Any]:
        """Validate one table: known keys only, required keys present, each value checked."""
        if not isinstance(data, dict):
            raise self.error(key, "应为表（table）")
        for name in data:
            if name not in schema:
                known = "、".join(schema)
                raise self.error(_join(key, name), f"未知的键 `{name}`（可用的键：{known}）")
        out: dict[str, Any] = {}
        for name, (check, required) in schema.items():
            path = _join(key, name)
            if name not in data:
                if required:
                    raise self.error(key or path, f"缺少必填键 `{name}`")
                continue
            try:
                out[name] = check(data[name])
            except _BadValue as exc:
                raise self.error(path, str(exc)) from None
        return out


class _BadValue(Exception):
    pass


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _str(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _BadValue("应为非空字符串")
    return value.strip()


def _ident(value: Any) -> str:
    value = _str(value)
    if not all(c.isalnum() or c in "-_." for c in value) or not value.isascii():
        raise _BadValue(f"标识 `{value}` 只能包含英文字母、数字和 - _ .")
    return value


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _BadValue("应为 true 或 false")
    return value


def _int(minimum: int = 0) -> Check:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _BadValue("应为整数")
        if value < minimum:
            raise _BadValue(f"应不小于 {minimum}")
        return value

    return check


def _float(minimum: float = 0.0) -> Check:
    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _BadValue("应为数字")
        if value < minimum:
            raise _BadValue(f"应不小于 {minimum}")
        return float(value)

    return check


def _url(value: Any) -> str:
    value = _str(value)
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _BadValue(f"`{value}` 不是有效的 http(s) URL")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise _BadValue(f"`{value}` 的端口无效") from None
    return value


def _email(value: Any) -> str:
    value = _str(value)
    local, _, domain = value.partition("@")
    if not local or "." not in domain and domain != "localhost" or any(c in value for c in " \r\n<>,;"):
        raise _BadValue(f"`{value}` 不是有效的电子邮件地址")
    return value


def _list(item: Check) -> Check:
    def check(value: Any) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise _BadValue("应为数组")
        out = []
        for i, element in enumerate(value):
            try:
                out.append(item(element))
            except _BadValue as exc:
                raise _BadValue(f"第 {i + 1} 项：{exc}") from None
        return tuple(out)

    return check


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise _BadValue(f"`{value}` 不是日期（YYYY-MM-DD）")


def _choice(*options: str) -> Check:
    def check(value: Any) -> str:
        value = _str(value)
        if value not in options:
            raise _BadValue(f"`{value}` 不是可选值之一：{'、'.join(options)}")
        return value

    return check


def _user_agent(value: Any) -> str:
    """An HTTP header value: printable ASCII (servers read other bytes as Latin-1 and WAFs may refuse them)."""
    value = _str(value)
    if not value.isascii() or not value.isprintable():
        raise _BadValue("User-Agent 只能使用可打印的 ASCII 字符（中文会被服务器读成乱码），例如 zwgk-monitor/0.1 (+mailto:you@example.gov.cn)")
    return value


def _timezone(value: Any) -> str:
    value = _str(value)
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise _BadValue(f"未知时区 `{value}`") from None
    return value


def _cron(value: Any) -> str:
    value = _str(value)
    if len(value.split()) != 5:
        raise _BadValue(f"`{value}` 不是 5 段 cron 表达式（分 时 日 月 周）")
    try:
        from apscheduler.triggers.cron import CronTrigger

        CronTrigger.from_crontab(value)
    except ValueError as exc:
        raise _BadValue(f"cron 表达式 `{value}` 无效：{exc}") from None
    return value


def _db_url(value: Any) -> str:
    value = _str(value)
    if "://" not in value:
        raise _BadValue(f"`{redact_url(value)}` 不是数据库 URL（例如 sqlite:///var/zwgk.db）")
    if url_has_secret(value):
        raise _BadValue(
            "URL 中含有密码，密码不能写在配置文件里：请删去密码，改为在环境变量 "
            f"{DATABASE_URL_ENV} 中提供完整 URL（它优先于此键），或（PostgreSQL）用 PGPASSWORD 环境变量 / ~/.pgpass"
        )
    return value


def _redis_url(value: Any) -> str:
    if value == "":
        return ""  # off: the embedded crawl
    value = _str(value)
    if not value.startswith(("redis://", "rediss://", "unix://")):
        raise _BadValue(f"`{redact_url(value)}` 不是 Redis URL（例如 redis://127.0.0.1:6379/0）")
    if url_has_secret(value):
        raise _BadValue(
            "URL 中含有密码，密码不能写在配置文件里：请把 redis_url 留空（或删去密码），"
            f"改为在环境变量 {REDIS_URL_ENV} 中提供完整 URL（例如 redis://:密码@10.0.0.5:6379/0，它优先于此键）"
        )
    return value


def _rate(value: Any) -> float:
    """Requests per second: 0 means unlimited; otherwise at least 0.01 (one request per 100 s)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _BadValue("应为数字")
    if value < 0:
        raise _BadValue("应不小于 0（0 表示不限速）")
    if 0 < value < 0.01:
        raise _BadValue("应为 0（不限速）或不小于 0.01")
    return float(value)


def _env_name(value: Any) -> str:
    value = _str(value)
    if not value.replace("_", "").isalnum():
        raise _BadValue(f"`{value}` 不是环境变量名")
    return value


def _any_table(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _BadValue("应为表（table）")
    return value


def _array_of_tables(value: Any) -> list[Any]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise _BadValue("应为表数组（[[...]]）")
    return value


CATEGORIES = (
    "dynamic",  # 动态要闻类: 2 weeks
    "notice",  # 通知公告类: 6 months
    "policy",  # 政策文件类: 6 months
    "personnel",  # 人事类: 1 year
    "plan",  # 规划计划类: 1 year
    "static",  # 概况等，不考核更新
)

# --------------------------------------------------------------------------- schema

_GENERAL = {
    "timezone": (_timezone, False),
    "database_url": (_db_url, False),
    "evidence_dir": (lambda v: Path(_str(v)), False),
    "reports_dir": (lambda v: Path(_str(v)), False),
    "outbox_dir": (lambda v: Path(_str(v)), False),
    "user_agent": (_user_agent, False),
}
_CRAWL = {
    "horizon_days": (_int(1), False),
    "site_timeout_seconds": (_int(10), False),
    "download_timeout": (_float(1), False),
    "obey_robots": (_bool, False),
    "concurrency_per_host": (_int(1), False),
    "delay_seconds": (_float(0), False),
    "autothrottle": (_bool, False),
    "max_list_pages": (_int(1), False),
    "fetch_articles": (_bool, False),
    "fetch_attachments": (_bool, False),
    "max_attachment_bytes": (_int(1000), False),
    "parallel_sites": (_int(1), False),
    "retry_times": (_int(0), False),
    "idle_worker_minutes": (_float(0), False),
}
_LINKS = {
    "enabled": (_bool, False),
    "check_external": (_bool, False),
    "confirm_runs": (_int(1), False),
    "timeout_seconds": (_float(1), False),
    "max_redirects": (_int(1), False),
    "per_host_concurrency": (_int(1), False),
    "per_host_rate": (_rate, False),  # 0 = unlimited
    "recheck_delay_seconds": (_float(0), False),
    "cache_hours": (_float(0), False),
    "global_concurrency": (_int(1), False),
    "max_retry_after_seconds": (_float(0), False),
}
_AVAILABILITY = {
    "probes_per_day": (_int(1), False),
    "timeout_seconds": (_float(1), False),
    "veto_ratio": (_float(0), False),
    "window_days": (_int(1), False),
}
_CALENDAR = {"holidays": (_list(_date), False), "workdays": (_list(_date), False)}
_RULES = {
    "packs": (_list(_ident), False),
    "pack_files": (_list(lambda v: Path(_str(v))), False),
    "params": (_any_table, False),
}
_SCHEDULE = {
    "crawl": (_cron, False),
    "daily_report": (_cron, False),
    "weekly_report": (_cron, False),
    "availability_minutes": (_int(1), False),
    "jitter_seconds": (_int(0), False),
    "misfire_grace_seconds": (_int(1), False),
    "check_after_crawl": (_bool, False),
}
_MAIL = {
    "enabled": (_bool, False),
    "host": (_str, False),
    "port": (_int(1), False),
    "sender": (_email, False),
    "security": (_choice("none", "starttls", "ssl"), False),
    "username_env": (_env_name, False),
    "password_env": (_env_name, False),
    "timeout_seconds": (_float(1), False),
    "max_attempts": (_int(1), False),
    "retry_base_seconds": (_float(0), False),
    "office_recipients_extra": (_list(_email), False),
}
_SCALE = {
    "redis_url": (_redis_url, False),  # "" = off
    "crawl_workers": (_int(1), False),
    "key_prefix": (_ident, False),
    "worker_heartbeat_seconds": (_float(5), False),
}
_WEBHOOK = {
    "id": (_ident, True),
    "kind": (_choice("wecom", "dingtalk"), True),
    "url_env": (_env_name, True),
    "departments": (_list(_ident), False),
    "report_base_url": (_str, False),
}
_DEPARTMENT = {
    "id": (_ident, True),
    "name": (_str, True),
    "emails": (_list(_email), False),
    "office": (_bool, False),
}
_SITE = {
    "id": (_ident, True),
    "name": (_str, True),
    "base_url": (_url, True),
    "department": (_ident, True),
    "obey_robots": (_bool, False),
    "cms": (_choice("auto", "hanweb", "trs", "trs_fujian", "ucap", "gansu", "generic"), False),
    "is_portal": (_bool, False),
    "home_url": (_url, False),
    "sections": (_array_of_tables, False),
}
_SECTION = {
    "id": (_ident, True),
    "name": (_str, True),
    "list_url": (_url, True),
    "department": (_ident, False),
    "indicator": (_str, True),
    "category": (_choice(*CATEGORIES), False),
    "adapter": (_choice("auto", "hanweb", "trs", "trs_fujian", "ucap", "gansu", "generic"), False),
    "max_pages": (_int(1), False),
    "params": (_any_table, False),
}
_TOP = {
    "general": (_any_table, False),
    "crawl": (_any_table, False),
    "links": (_any_table, False),
    "availability": (_any_table, False),
    "calendar": (_any_table, False),
    "rules": (_any_table, False),
    "schedule": (_any_table, False),
    "mail": (_any_table, False),
    "scale": (_any_table, False),
    "webhooks": (_array_of_tables, False),
    "departments": (_array_of_tables, True),
    "sites": (_array_of_tables, True),
}


def _unique(v: _Validator, items: list[tuple[str, str]], what: str) -> None:
    seen: dict[str, str] = {}
    for ident, key in items:
        if ident in seen:
            raise v.error(key, f"{what} id `{ident}` 重复（已在 {seen[ident]} 定义）")
        seen[ident] = key


def _database_url_from(environ: Mapping[str, str]) -> str:
    """ZWGK_DATABASE_URL ("" when unset); a malformed value is a ConfigError naming the variable."""
    value = (environ.get(DATABASE_URL_ENV) or "").strip()
    if value and "://" not in value:
        raise ConfigError(f"`{redact_url(value)}` 不是数据库 URL（例如 postgresql+psycopg://zwgk:密码@db:5432/zwgk）",
                          file=f"环境变量 {DATABASE_URL_ENV}")
    return value


def load_config(path: str | Path, *, check_indicators: bool = True,
                environ: Mapping[str, str] | None = None) -> Config:
    """Read and validate settings.toml; raise ConfigError with key and line on any problem.

    ``environ`` (default ``os.environ``) supplies ZWGK_DATABASE_URL, which wins over ``[general] database_url``.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"找不到配置文件 {path}", file=str(path)) from None
    except UnicodeDecodeError:
        raise ConfigError("配置文件不是 UTF-8 编码", file=str(path)) from None
    return parse_config(text, path, check_indicators=check_indicators, environ=environ)


def parse_config(text: str, path: Path, *, check_indicators: bool = True,
                 environ: Mapping[str, str] | None = None) -> Config:
    """Validate TOML text (see ``load_config``)."""
    file = str(path)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"at line (\d+)", str(exc))
        line = getattr(exc, "lineno", None) or (int(found.group(1)) if found else None)
        raise ConfigError(f"TOML 语法错误：{exc}", line=line, file=file) from None
    v = _Validator(text, file)
    top = v.table(raw, "", _TOP)

    general = GeneralConfig(**v.table(top.get("general", {}), "general", _GENERAL))
    crawl = CrawlConfig(**v.table(top.get("crawl", {}), "crawl", _CRAWL))
    links = LinksConfig(**v.table(top.get("links", {}), "links", _LINKS))
    availability = AvailabilityConfig(**v.table(top.get("availability", {}), "availability", _AVAILABILITY))
    calendar = CalendarConfig(**v.table(top.get("calendar", {}), "calendar", _CALENDAR))
    rules = RulesConfig(**v.table(top.get("rules", {}), "rules", _RULES))
    schedule = ScheduleConfig(**v.table(top.get("schedule", {}), "schedule", _SCHEDULE))
    mail = MailConfig(**v.table(top.get("mail", {}), "mail", _MAIL))
    scale = ScaleConfig(**v.table(top.get("scale", {}), "scale", _SCALE))
    database_url_env = _database_url_from(os.environ if environ is None else environ)

    departments = tuple(
        Department(**v.table(d, f"departments[{i}]", _DEPARTMENT)) for i, d in enumerate(top["departments"])
    )
    if not departments:
        raise v.error("departments", "至少需要一个部门")
    _unique(v, [(d.id, f"departments[{i}].id") for i, d in enumerate(departments)], "部门")
    dep_ids = {d.id for d in departments}
    if sum(d.office for d in departments) > 1:
        raise v.error("departments", "只能有一个部门设置 office = true（区政府办公室）")

    webhooks = []
    for i, w in enumerate(top.get("webhooks", [])):
        values = v.table(w, f"webhooks[{i}]", _WEBHOOK)
        for dep in values.get("departments", ()):
            if dep not in dep_ids:
                raise v.error(f"webhooks[{i}].departments", f"未知部门 `{dep}`")
        webhooks.append(WebhookConfig(**values))
    _unique(v, [(w.id, f"webhooks[{i}].id") for i, w in enumerate(webhooks)], "webhook")

    sites: list[SiteConfig] = []
    for i, s in enumerate(top["sites"]):
        key = f"sites[{i}]"
        values = v.table(s, key, _SITE)
        if values["department"] not in dep_ids:
            raise v.error(f"{key}.department", f"未知部门 `{values['department']}`（请先在 [[departments]] 中定义）")
        sections = []
        for j, sec in enumerate(values.pop("sections", [])):
            skey = f"{key}.sections[{j}]"
            svalues = v.table(sec, skey, _SECTION)
            svalues.setdefault("department", values["department"])
            if svalues["department"] not in dep_ids:
                raise v.error(f"{skey}.department", f"未知部门 `{svalues['department']}`（请先在 [[departments]] 中定义）")
            sections.append(SectionConfig(site_id=values["id"], **svalues))
        _unique(v, [(s.id, f"{key}.sections[{j}].id") for j, s in enumerate(sections)], "栏目")
        sites.append(SiteConfig(sections=tuple(sections), **values))
    _unique(v, [(s.id, f"sites[{i}].id") for i, s in enumerate(sites)], "网站")

    config = Config(
        path=path.resolve(),
        general=general,
        crawl=crawl,
        links=links,
        availability=availability,
        calendar=calendar,
        rules=rules,
        schedule=schedule,
        mail=mail,
        webhooks=tuple(webhooks),
        departments=departments,
        sites=tuple(sites),
        scale=scale,
        raw=raw,
        database_url_env=database_url_env,
    )
    if check_indicators:
        _check_rules(config, v)
    return config


def _check_rules(config: Config, v: _Validator) -> None:
    """Rule packs must load, and every section must name a known indicator."""
    from checks.packs import PackError, load_registry

    try:
        registry = load_registry(config)
    except PackError as exc:
        raise v.error(exc.key or "rules", str(exc)) from None
    for i, site in enumerate(config.sites):
        for j, section in enumerate(site.sections):
            if section.indicator not in registry.indicators:
                raise v.error(
                    f"sites[{i}].sections[{j}].indicator",
                    f"未知指标 `{section.indicator}`（见 `zwgk rules` 列出的指标）",
                )
