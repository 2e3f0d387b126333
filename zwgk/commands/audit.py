"""`zwgk audit`: ad-hoc checks for auditors, without editing settings.toml.

    zwgk audit --site ID [--section ID] [--indicator ID]      a configured site or section
    zwgk audit --url LIST_URL --indicator weekly               any list page, judged by one rule
    zwgk audit annual-report --url URL [--year Y] [--government] [--previous-url URL]
    zwgk audit annual-report --section ID [--year Y]         the year's report stored in a 年报 section

The crawl runs now, through the same runner (child process, same politeness settings), into
a separate working directory (temporary database, WARC evidence, generated settings) so the
monitored history is untouched; ``--workdir`` keeps it for ``zwgk evidence --config
WORKDIR/settings.toml``. Exit status like `zwgk check`: 0 no fail, 1 a fail, 2 usage/config error.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import re
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
import urllib.robotparser
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from zwgk.cli import add_config_option
from zwgk.config import CATEGORIES, Config, load_config, private_store_env
from zwgk.exports import FORMATS, exit_code, write_findings

AUDIT_SITE = "audit"
AUDIT_SECTION = "audit"


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"`{value}` 不是日期（YYYY-MM-DD）") from None


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "audit", help="临时核查：抓取并检查一个网站、栏目或网址，或核验一份政府信息公开年报"
    )
    parser.add_argument("mode", nargs="?", choices=("annual-report",), help="annual-report：直接核验一份年报")
    parser.add_argument("--site", metavar="ID", help="已配置的网站")
    parser.add_argument("--section", metavar="ID", help="已配置的栏目（只检查该栏目）")
    parser.add_argument(
        "--url", metavar="URL", help="栏目列表页网址（未配置的栏目）；annual-report 模式下为年报网址"
    )
    parser.add_argument(
        "--indicator",
        metavar="ID",
        help="用于判断的指标，如 shanting.19，或简称 weekly、monthly（即 generic.*）；给出时只报告该指标",
    )
    parser.add_argument(
        "--category", choices=CATEGORIES, help="临时栏目的国办检查栏目类别（如 dynamic、notice）"
    )
    parser.add_argument("--name", metavar="NAME", help="临时栏目名称")
    parser.add_argument("--department", metavar="ID", help="临时栏目所属部门（默认：区政府办公室）")
    parser.add_argument("--as-of", type=_date, metavar="DATE", help="判断日期（默认：今天）")
    parser.add_argument(
        "--timeout", type=float, metavar="SECONDS", help="抓取时限（默认：crawl.site_timeout_seconds）"
    )
    parser.add_argument(
        "--workdir", type=Path, metavar="DIR", help="保留临时数据库、证据和配置的目录（默认：用后删除）"
    )
    parser.add_argument("--year", type=int, metavar="Y", help="年报所属年度（默认：从标题识别）")
    parser.add_argument(
        "--government", action="store_true", help="本级政府年报（3月31日前），默认按部门年报（1月31日前）"
    )
    parser.add_argument("--previous-url", metavar="URL", help="上一年度年报网址（核对上年结转）")
    parser.add_argument("--published", type=_date, metavar="DATE", help="年报发布日期（页面未标明时提供）")
    parser.add_argument("--format", choices=FORMATS, default="table", help="输出格式（默认 table）")
    parser.add_argument("--out", type=Path, metavar="FILE", help="写入文件（默认：标准输出）")
    parser.add_argument("--all", action="store_true", help="表格中也列出通过的结果")
    parser.add_argument("--evidence-out", type=Path, metavar="DIR", help="把未通过结果的原始记录导出为证据包")
    add_config_option(parser)
    parser.set_defaults(func=run)


def _usage(message: str) -> int:
    print(f"用法错误：{message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    if args.mode == "annual-report":
        return run_annual_report(args, config)
    return run_crawl_audit(args, config)


def _output(
    results: list[Any], args: argparse.Namespace, as_of: dt.date, config: Config, **extra: Any
) -> int:
    """Print or write the results; capture times in the configured timezone, like `zwgk check`."""
    shown = results if (args.all or args.format != "table") else [r for r in results if r.status != "pass"]
    write_findings(shown, args.format, args.out, as_of=as_of, tz=config.general.tz, **extra)
    if args.format == "table" and args.out is None:
        counts = {s: sum(1 for r in results if r.status == s) for s in ("fail", "warn", "unknown", "pass")}
        print(
            f"\n共 {len(results)} 项：不合格 {counts['fail']}，预警 {counts['warn']}，"
            f"无法判断 {counts['unknown']}，合格 {counts['pass']}"
        )
    return exit_code(results)


# --------------------------------------------------------------------------- indicator and target


def resolve_indicator(name: str, indicators: dict[str, Any]) -> str | None:
    """An indicator id: exact, then ``generic.<name>``, then a unique ``*.<name>``."""
    if name in indicators:
        return name
    if f"generic.{name}" in indicators:
        return f"generic.{name}"
    matches = [i for i in indicators if i.endswith(f".{name}")]
    return matches[0] if len(matches) == 1 else None


def _raw_site(config: Config, site_id: str) -> dict[str, Any]:
    for raw in config.raw.get("sites", []):
        if raw.get("id") == site_id:
            return copy.deepcopy(raw)
    raise KeyError(site_id)


def build_target(
    args: argparse.Namespace, config: Config, indicators: dict[str, Any]
) -> tuple[dict[str, Any], str | None]:
    """The raw [[sites]] table to crawl and the section to restrict checks to (ValueError: usage)."""
    indicator = None
    if args.indicator:
        indicator = resolve_indicator(args.indicator, indicators)
        if indicator is None:
            raise ValueError(f"未知指标 `{args.indicator}`（见 `zwgk rules`）")
    if args.url:
        if args.site or args.section:
            raise ValueError("--url 不能与 --site、--section 同时使用")
        parts = urlsplit(args.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"`{args.url}` 不是有效的 http(s) 网址")
        if indicator is None:
            raise ValueError("临时栏目需要用 --indicator 指定判断所用的指标（如 weekly、monthly）")
        department = args.department or (config.office.id if config.office else config.departments[0].id)
        if department not in {d.id for d in config.departments}:
            raise ValueError(f"未知部门 `{department}`")
        section: dict[str, Any] = {
            "id": AUDIT_SECTION,
            "name": args.name or "临时核查栏目",
            "list_url": args.url,
            "indicator": indicator,
        }
        if args.category:
            section["category"] = args.category
        site = {
            "id": AUDIT_SITE,
            "name": f"临时核查 {parts.hostname}",
            "base_url": f"{parts.scheme}://{parts.netloc}/",
            "department": department,
            "sections": [section],
        }
        return site, AUDIT_SECTION
    if not args.site and not args.section:
        raise ValueError("请用 --site、--section 或 --url 指定核查对象")
    site_id = args.site
    if args.section and not site_id:
        owners = [s.id for s in config.sites if any(sec.id == args.section for sec in s.sections)]
        if not owners:
            raise ValueError(f"未知栏目 `{args.section}`")
        if len(owners) > 1:
            raise ValueError(f"栏目 `{args.section}` 在多个网站中存在，请用 --site 指定网站")
        site_id = owners[0]
    try:
        site = _raw_site(config, site_id)
    except KeyError:
        raise ValueError(f"未知网站 `{site_id}`") from None
    if args.section:
        site["sections"] = [s for s in site.get("sections", []) if s.get("id") == args.section]
        if not site["sections"]:
            raise ValueError(f"网站 `{site_id}` 没有栏目 `{args.section}`")
    if indicator:
        for sec in site.get("sections", []):
            sec["indicator"] = indicator
    return site, args.section


def _add_list_evidence(app: Any, results: list[Any]) -> None:
    """A verdict without evidence (e.g. "nothing published") gets the list pages it was judged on."""
    from store.bundle import latest_list_evidence

    cache: dict[tuple[str, str], list[dict[str, Any]]] = {}
    with app.db.session() as session:
        for r in results:
            if r.evidence or not r.site or not r.section:
                continue
            key = (r.site, r.section)
            if key not in cache:
                cache[key] = latest_list_evidence(session, *key)
            r.evidence = list(cache[key])


def write_audit_settings(config: Config, site: dict[str, Any], workdir: Path) -> Path:
    """A settings file for the crawl child: the user's settings with one site and a private store."""
    import tomli_w

    raw = copy.deepcopy(config.raw)
    general = raw.setdefault("general", {})
    general["database_url"] = f"sqlite:///{(workdir / 'audit.db').resolve()}"
    general["evidence_dir"] = str((workdir / "evidence").resolve())
    general["reports_dir"] = str((workdir / "reports").resolve())
    general["outbox_dir"] = str((workdir / "outbox").resolve())
    raw.setdefault("mail", {})["enabled"] = False
    rules = raw.get("rules", {})
    if rules.get("pack_files"):
        rules["pack_files"] = [str(config.resolve(Path(p))) for p in rules["pack_files"]]
    raw.pop("webhooks", None)
    raw["sites"] = [site]
    path = workdir / "settings.toml"
    path.write_text(tomli_w.dumps(raw), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- crawl audit


def run_crawl_audit(args: argparse.Namespace, config: Config) -> int:
    """The one-off crawl goes to the audit's own SQLite file, never to ZWGK_DATABASE_URL / ZWGK_REDIS_URL."""
    with private_store_env():
        return _run_crawl_audit(args, config)


def _run_crawl_audit(args: argparse.Namespace, config: Config) -> int:
    from checks.packs import load_registry
    from zwgk import pipeline
    from zwgk.app import open_app

    if args.year or args.government or args.previous_url or args.published:
        return _usage("--year、--government、--previous-url、--published 只用于 annual-report 模式")
    indicators = load_registry(config).indicators
    try:
        site, section_id = build_target(args, config, indicators)
    except ValueError as exc:
        return _usage(str(exc))
    keep = args.workdir is not None
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="zwgk-audit-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        settings = write_audit_settings(config, site, workdir)
        app = open_app(settings)
        try:
            outcomes = pipeline.crawl(app, [site["id"]], timeout=args.timeout)
            for outcome in outcomes:
                sections = "；".join(
                    f"{s['section_id']} {s['outcome']}" + (f"（{s['reason']}）" if s.get("reason") else "")
                    for s in outcome.sections
                )
                print(
                    f"抓取 {outcome.site_id}：{outcome.status}，{outcome.elapsed_seconds} 秒。{sections}",
                    file=sys.stderr,
                )
            today = pipeline.today(app)
            as_of = args.as_of or today
            results = pipeline.check(
                app, as_of, site_id=site["id"], section_id=section_id, record=as_of == today
            )
            if args.indicator:  # the auditor chose the rule: report that rule's verdicts only
                chosen = {sec["indicator"] for sec in site.get("sections", [])}
                results = [r for r in results if r.rule in chosen]
            _add_list_evidence(app, results)
            if args.evidence_out:
                title = f"证据包：临时核查 {args.url or site['id']}"
                write_evidence_bundle(results, app.config.evidence_dir, args.evidence_out, app.config, title)
            code = _output(
                results,
                args,
                as_of,
                app.config,
                target=site.get("sections", [{}])[0].get("list_url") if args.url else site["id"],
            )
        finally:
            app.close()
        if keep:
            print(
                f"核查数据已保留在 {workdir}（证据包：zwgk evidence 编号 --config {settings} --out 目录）",
                file=sys.stderr,
            )
        return code
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)


# --------------------------------------------------------------------------- annual report


@dataclass
class Fetched:
    url: str
    body: bytes | None = None
    status: int | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    reason: str | None = None  # why there is no body (Chinese)
    captured_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC).replace(tzinfo=None))

    @property
    def content_type(self) -> str | None:
        return next((v for k, v in self.headers if k.lower() == "content-type"), None)


def fetch(url: str, config: Config) -> Fetched:
    """One polite GET (robots.txt honoured, configured user agent and timeout)."""
    # http.client sends header values as latin-1: pass the UTF-8 bytes through (as Scrapy does)
    headers = {"User-Agent": config.general.user_agent.encode("utf-8").decode("latin-1")}
    timeout = config.crawl.download_timeout
    if config.crawl.obey_robots:
        robots = urljoin(url, "/robots.txt")
        parser = urllib.robotparser.RobotFileParser()
        try:
            with urllib.request.urlopen(
                urllib.request.Request(robots, headers=headers), timeout=timeout
            ) as resp:
                parser.parse(resp.read(500_000).decode("utf-8", "replace").splitlines())
        except (urllib.error.URLError, OSError, ValueError):
            parser.parse([])  # no robots.txt: everything allowed
        if not parser.can_fetch(config.general.user_agent, url):
            return Fetched(url, reason="robots.txt 禁止抓取该网址")
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout) as resp:
            body = resp.read(config.crawl.max_attachment_bytes + 1)
            return Fetched(url, body, resp.status, list(resp.headers.items()))
    except urllib.error.HTTPError as exc:
        return Fetched(url, status=exc.code, reason=f"HTTP {exc.code}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return Fetched(url, reason=f"无法连接：{getattr(exc, 'reason', exc)}")


def keep_evidence(config: Config, fetched: Fetched) -> dict[str, Any]:
    """Store a fetched response as a WARC record under evidence_dir/audit/; its evidence entry."""
    from store.warc import WarcStore

    entry: dict[str, Any] = {
        "url": fetched.url,
        "captured_at": fetched.captured_at.isoformat(timespec="seconds"),
    }
    if fetched.body is None:
        return entry
    now = fetched.captured_at
    store = WarcStore(config.evidence_dir, f"audit/{now:%Y/%m/%d}/annual-report-{now:%H%M%S%f}.warc.gz")
    try:
        pointer = store.write_exchange(
            fetched.url, status=fetched.status or 200, headers=fetched.headers, body=fetched.body
        )
    finally:
        store.close()
    entry.update(warc_file=pointer.warc_file, warc_offset=pointer.offset, warc_length=pointer.length)
    return entry


def write_evidence_bundle(
    results: list[Any], evidence_dir: Path, out: Path, config: Config, title: str
) -> None:
    """`--evidence-out`: a bundle of the records behind every result that is not a pass."""
    from checks.packs import load_registry
    from store.bundle import BundleError, RuleInfo, write_bundle
    from zwgk.exports import finding_record

    rules = {i.id: RuleInfo(i.name, i.basis) for i in load_registry(config).indicators.values()}
    records = [finding_record(r) for r in results if r.status != "pass"]
    try:
        bundle = write_bundle(evidence_dir, records, out, rules=rules, title=title)
    except BundleError as exc:
        print(f"证据包未写入：{exc}", file=sys.stderr)
        return
    print(
        f"证据包已写入 {bundle.path}：问题 {bundle.findings} 项，原始记录 {bundle.records} 条",
        file=sys.stderr,
    )


_DOC_EXTS = (".pdf", ".docx", ".doc", ".wps", ".ofd")
_REPORT_WORDS = ("年度报告", "年报")
_YEAR = re.compile(r"(20\d{2})\s*年")


@dataclass
class ReportLinks:
    documents: list[str]  # .pdf/.docx/... links, report-named first
    pages: list[str]  # HTML links named as a report (a 年报 list page), the wanted year first


def report_links(html: bytes, base_url: str, year: int | None = None) -> ReportLinks:
    """Links of a page that may lead to the report: documents (a 年报 page often only wraps a PDF)
    and, on a 年报 list page, the HTML reports. A link that names another year than ``year`` is left out;
    without ``year`` the newest named year comes first."""
    import lxml.html

    try:
        root = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return ReportLinks([], [])
    docs: list[tuple[tuple[int, int], str]] = []
    pages: list[tuple[tuple[int, int], str]] = []
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            continue
        text = a.text_content() + " " + (a.get("title") or "")
        named = any(w in text + href for w in _REPORT_WORDS)
        found = _YEAR.search(text)
        link_year = int(found.group(1)) if found and named else None
        if year is not None and link_year is not None and link_year != year:
            continue
        # (named and dated for the year first, then named, then the rest; newest year first)
        key = (0 if link_year is not None else 1 if named else 2, -(link_year or 0))
        url = urljoin(base_url, href)
        if href.lower().split("?")[0].endswith(_DOC_EXTS):
            docs.append((key, url))
        elif named and link_year is not None and urlsplit(url).scheme in ("http", "https"):
            pages.append((key, url))

    def ordered(pairs: list[tuple[tuple[int, int], str]]) -> list[str]:
        out: list[str] = []
        for _key, url in sorted(pairs, key=lambda pair: pair[0]):
            if url not in out and url != base_url:
                out.append(url)
        return out

    return ReportLinks(ordered(docs), ordered(pages))


def _looks_like_report(fetched: Fetched) -> bool:
    """An HTML page that carries the report itself (its parts or 表三)."""
    return _parse_page(fetched)[0]


def _parse_page(fetched: Fetched) -> tuple[bool, int | None]:
    """(carries the report itself, the report year its <title> names)."""
    from checks.annual_report import UnreadableReport, parse_bytes

    try:
        parsed = parse_bytes(fetched.body or b"", url=fetched.url, content_type=fetched.content_type)
    except UnreadableReport:
        return False, None
    found = _YEAR.search(parsed.title or "") if any(w in (parsed.title or "") for w in _REPORT_WORDS) else None
    return parsed.t3 is not None or len(parsed.parts) >= 3, int(found.group(1)) if found else None


def _not_a_report(fetched: Fetched) -> bool:
    """An HTML page without a single part heading or table of a report (e.g. a list or a home page)."""
    from checks.annual_report import UnreadableReport, parse_bytes

    if fetched.body is None or "html" not in (fetched.content_type or "text/html").lower():
        return False
    try:
        parsed = parse_bytes(fetched.body, url=fetched.url, content_type=fetched.content_type)
    except UnreadableReport:
        return False
    return not parsed.parts and parsed.t2 is None and parsed.t3 is None and parsed.t4 is None


def fetch_report(
    url: str, config: Config, year: int | None = None, *, follow_pages: bool = True
) -> tuple[Fetched, Fetched | None, list[Fetched]]:
    """Fetch a report URL; an HTML page without the report's parts is followed to its document link,
    and a 年报 list page to the report of ``year`` (the newest when no year is given).

    Returns (the fetch that holds the report, the HTML page that wraps it or None, every fetch made).
    """
    page = fetch(url, config)
    if page.body is None or "html" not in (page.content_type or "text/html").lower():
        return page, None, [page]
    is_report, titled_year = _parse_page(page)
    if is_report:
        return page, None, [page]
    # a page titled as one year's report wraps that year's document, whatever else it links to
    links = report_links(page.body, url, year or titled_year)
    for link in links.documents[:3]:
        doc = fetch(link, config)
        if doc.body is not None:
            return doc, page, [page, doc]
    if follow_pages:
        for link in links.pages[:3]:
            found, wrapper, made = fetch_report(link, config, year, follow_pages=False)
            if wrapper is not None or (found.body is not None and _looks_like_report(found)):
                return found, wrapper, [page, *made]
    return page, None, [page]


def _page_date(fetched: Fetched) -> dt.date | None:
    """The publication date shown on an HTML page (PubDate meta or 发布日期)."""
    from checks.annual_report import UnreadableReport, parse_bytes

    if fetched.body is None or "html" not in (fetched.content_type or "").lower():
        return None
    try:
        return parse_bytes(fetched.body, url=fetched.url, content_type=fetched.content_type).published
    except UnreadableReport:
        return None


def _section_of(args: argparse.Namespace, config: Config) -> tuple[str, str]:
    """(site id, section id) of a configured section named by --site/--section (ValueError: usage)."""
    if not args.section:
        raise ValueError("请用 --section 指定绑定年报指标的栏目（或用 --url 给出年报网址）")
    owners = [s.id for s in config.sites if any(sec.id == args.section for sec in s.sections)]
    if args.site:
        owners = [o for o in owners if o == args.site]
    if not owners:
        raise ValueError(f"未知栏目 `{args.section}`")
    if len(owners) > 1:
        raise ValueError(f"栏目 `{args.section}` 在多个网站中存在，请用 --site 指定网站")
    return owners[0], args.section


def _source_bytes(source: Any, config: Config) -> tuple[bytes | None, str | None]:
    """Stored bytes of a candidate (WARC evidence), else a fresh fetch; (None, reason) if neither."""
    data = source.stored_bytes(config.evidence_dir)
    if data is not None:
        return data, None
    fetched = fetch(source.url, config)
    return fetched.body, fetched.reason


def _pick_report(source: Any, config: Config) -> tuple[Any, bytes | None, str | None]:
    """The page or attachment that holds the report (the first one with its parts or 表三)."""
    from checks.annual_report import UnreadableReport, parse_bytes

    first: tuple[Any, bytes | None, str | None] | None = None
    for candidate in [source, *source.alternatives]:
        data, reason = _source_bytes(candidate, config)
        first = first or (candidate, data, reason)
        if data is None:
            continue
        try:
            report = parse_bytes(data, url=candidate.url)
        except UnreadableReport:
            continue
        if report.t3 is not None or len(report.parts) >= 3:
            return candidate, data, None
    return first  # type: ignore[return-value]


def run_section_report(args: argparse.Namespace, config: Config) -> int:
    """The report for a year found among the stored items of a section bound to a 年报 indicator."""
    from checks.annual_report import unreadable, verify_document
    from checks.annual_report.queries import find_report
    from checks.annual_report.result import findings
    from zwgk.app import open_app

    try:
        site_id, section_id = _section_of(args, config)
    except ValueError as exc:
        return _usage(str(exc))
    section = config.section(site_id, section_id)
    government = args.government or section.indicator == "ogi.annual_report_government"
    as_of = args.as_of or dt.datetime.now(config.general.tz).date()
    year = args.year or as_of.year - 1
    app = open_app(args.config, config=config)
    try:
        with app.db.session() as session:
            source = find_report(session, site_id, section_id, year)
            previous = find_report(session, site_id, section_id, year - 1)
    finally:
        app.close()
    common = dict(
        government=government,
        rule=section.indicator,
        site=site_id,
        section=section_id,
        department=section.department,
    )
    if source is None:
        verification = unreadable(
            f"栏目“{section.name}”的已抓取数据中没有 {year} 年度年报（是否按时发布由指标 {section.indicator} 判断）",
            year=year,
            government=government,
        )
        return _output(
            findings(verification, url=section.list_url, **common),
            args,
            as_of,
            config,
            target=section.list_url,
        )
    chosen, data, reason = _pick_report(source, config)
    if data is None:
        verification = unreadable(f"{chosen.url}：{reason}", year=year, government=government)
    else:
        prev_data = None
        if previous is not None:
            _prev, prev_data, _r = _pick_report(previous, config)
        verification = verify_document(
            data,
            url=chosen.url,
            year=year,
            government=government,
            published=args.published or source.published,
            previous=prev_data,
        )
    results = findings(verification, url=chosen.url, evidence=[chosen.evidence()], **common)
    if args.evidence_out:
        write_evidence_bundle(
            results, config.evidence_dir, args.evidence_out, config, f"证据包：年报核验 {chosen.url}"
        )
    return _output(results, args, as_of, config, target=chosen.url)


def run_annual_report(args: argparse.Namespace, config: Config) -> int:
    from checks.annual_report import unreadable, verify_document
    from checks.annual_report.result import findings

    if args.indicator:
        return _usage("annual-report 模式不使用 --indicator")
    if args.url and (args.site or args.section):
        return _usage("--url 与 --site/--section 二选一")
    if not args.url:
        return run_section_report(args, config)
    for url in filter(None, (args.url, args.previous_url)):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return _usage(f"`{url}` 不是有效的 http(s) 网址")
    as_of = args.as_of or dt.datetime.now(config.general.tz).date()
    fetched, wrapper, made = fetch_report(args.url, config, args.year)
    evidence = [keep_evidence(config, f) for f in made]
    published = args.published or (_page_date(wrapper) if wrapper is not None else None)
    data = fetched.body
    if fetched.url != args.url:
        print(f"核验的年报：{fetched.url}（由 {args.url} 找到）", file=sys.stderr)
    if data is None:
        verification = unreadable(f"{args.url}：{fetched.reason}", year=args.year, government=args.government)
    elif fetched is made[0] and _not_a_report(fetched):
        which = f" {args.year} 年度" if args.year else ""
        verification = unreadable(
            f"{args.url} 不是年报正文（没有年报的任何部分或表格），也没有找到指向{which}年报的链接",
            year=args.year,
            government=args.government,
        )
    elif len(data) > config.crawl.max_attachment_bytes:
        verification = unreadable(
            f"文件超过 {config.crawl.max_attachment_bytes} 字节", year=args.year, government=args.government
        )
    else:
        previous = None
        prev_problem = None
        if args.previous_url:
            prev_year = args.year - 1 if args.year else None
            prev, _wrapper, prev_made = fetch_report(args.previous_url, config, prev_year)
            evidence += [keep_evidence(config, f) for f in prev_made]
            previous = prev.body
            if previous is None:
                prev_problem = f"上年年报 {args.previous_url} 无法获取（{prev.reason}），未核对上年结转"
        verification = verify_document(
            data,
            url=fetched.url,
            content_type=fetched.content_type,
            year=args.year,
            government=args.government,
            published=published,
            previous=previous,
            previous_url=args.previous_url or "",
        )
        if prev_problem:
            from checks.annual_report import Problem

            verification.problems.append(Problem("carry", prev_problem, status="unknown"))
    results = findings(verification, url=fetched.url, evidence=evidence, government=args.government)
    if args.evidence_out:
        write_evidence_bundle(
            results, config.evidence_dir, args.evidence_out, config, f"证据包：年报核验 {args.url}"
        )
    return _output(results, args, as_of, config, target=args.url)
