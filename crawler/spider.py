"""One Scrapy spider per site: home page, every configured section's list (paginated to the
horizon), each new article once, their attachments; every answer kept as WARC evidence.

The spider extracts and records; it never judges compliance. A page it could not read is
recorded with its outcome and reason, never as an empty section.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Request, Response
from twisted.python.failure import Failure

from crawler import outcomes as oc
from crawler.http import DecodeError, content_bytes, header, header_dict, header_pairs, sha256
from crawler.outcomes import Problem, classify_failure, http_problem
from crawler.parsing import (
    AttachmentError,
    as_date,
    as_datetime,
    attachment_text,
    decode_body,
    detect_block,
    find_links,
    parse_article_page,
    parse_list_page,
)
from crawler.queries import PriorState
from crawler.sink import ListedRow, Sink
from store.models import HOME_SECTION, utcnow
from store.warc import WarcPointer, WarcStore
from zwgk.config import Config, SiteConfig

log = logging.getLogger(__name__)

DOC_EXTENSIONS = frozenset(["pdf", "doc", "docx", "xls", "xlsx", "wps", "et", "ofd", "zip", "rar", "ppt", "pptx", "txt", "csv"])
PRIO_LIST, PRIO_ARTICLE, PRIO_ATTACHMENT = 20, 0, -10
PAGE_MAXSIZE = 30_000_000


@dataclass
class SectionState:
    """What the run learns about one section."""

    section_id: str
    list_url: str
    adapter: str
    max_pages: int
    outcome: str | None = None
    reason: str | None = None
    adapter_used: str | None = None
    pagination_method: str | None = None
    declared_total: int | None = None
    pages_fetched: int = 0
    seen_urls: set[str] = field(default_factory=set)
    seen_requests: set[tuple[str, str, str]] = field(default_factory=set)
    reached_horizon: bool = False
    hit_max_pages: bool = False
    list_ended: bool = False
    later_problem: tuple[int, Problem] | None = None
    notes: list[str] = field(default_factory=list)
    cutoff: dt.date | None = None  # read the list back to here (None: the spider's default horizon)

    @property
    def fully_read(self) -> bool:
        return self.list_ended and not (self.reached_horizon or self.hit_max_pages or self.later_problem)


_REGISTRY: list[Any] = []  # [(config, registry)]: one registry per configuration, shared by its spiders


def section_cutoffs(config: Config, site: SiteConfig, crawl_day: dt.date) -> dict[str, dt.date]:
    """Per section, how far back its list is read: ``horizon_days``, or further when its own rule
    judges older periods (a yearly report three years back, checks.horizon)."""
    from checks.horizon import days_needed
    from checks.packs import PackError, load_registry

    if not _REGISTRY or _REGISTRY[0][0] is not config:
        try:
            registry = load_registry(config)
        except PackError:  # reported by `zwgk check`; crawl with the default horizon
            registry = None
        _REGISTRY[:] = [(config, registry)]
    registry = _REGISTRY[0][1]
    default = config.crawl.horizon_days
    out = {}
    for sec in site.sections:
        days = max(default, days_needed(registry, sec, crawl_day)) if registry is not None else default
        out[sec.id] = crawl_day - dt.timedelta(days=days)
    return out


def _ext(url: str) -> str:
    path = urlsplit(url).path.lower()
    return path.rsplit(".", 1)[-1] if "." in path.rsplit("/", 1)[-1] else ""


class SiteSpider(scrapy.Spider):
    name = "zwgk_site"

    def __init__(
        self,
        *,
        config: Config,
        site: SiteConfig,
        sink: Sink,
        warc: WarcStore,
        prior: PriorState,
        crawl_day: dt.date,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.config = config
        self.site = site
        self.sink = sink
        self.warc = warc
        self.prior = prior
        self.crawl_day = crawl_day
        self.cutoff = crawl_day - dt.timedelta(days=config.crawl.horizon_days)
        self.sections: dict[str, SectionState] = {}
        cutoffs = section_cutoffs(config, site, crawl_day)
        for sec in site.sections:
            adapter = sec.adapter if sec.adapter != "auto" else site.cms
            self.sections[sec.id] = SectionState(
                sec.id, sec.list_url, adapter, sec.max_pages or config.crawl.max_list_pages,
                cutoff=cutoffs.get(sec.id),
            )
        self.home = SectionState(HOME_SECTION, site.home, site.cms, 1)
        self.articles_requested: set[str] = set()
        self.attachments_requested: set[tuple[str, str]] = set()
        self.counts: dict[str, int] = {}
        self.finished: list[dict[str, Any]] = []

    # ------------------------------------------------------------------ helpers

    def _count(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def _evidence(self, response: Response) -> WarcPointer:
        request = response.request
        req_headers = header_pairs(request.headers) if request is not None else []
        return self.warc.write_exchange(
            response.url,
            status=response.status,
            headers=header_pairs(response.headers),
            body=response.body,
            method=request.method if request is not None else "GET",
            request_headers=req_headers,
            request_body=request.body if request is not None else b"",
        )

    def _read(self, response: Response) -> tuple[bytes, str, str] | Problem:
        """Undo content encoding, decode, detect anti-bot answers and HTTP errors."""
        try:
            data = content_bytes(response, PAGE_MAXSIZE)
        except DecodeError as exc:
            return Problem(oc.CONNECTION, str(exc))
        text, encoding = decode_body(data, header(response, "Content-Type"))
        block = detect_block(response.status, header_dict(response), text)
        if block:
            return Problem(oc.BLOCKED, block)
        problem = http_problem(response.status)
        if problem:
            return problem
        if not data.strip():
            return Problem(oc.PARSE_ERROR, "响应为空（无内容）")
        return data, text, encoding

    def _store_links(self, text: str, base_url: str, section_id: str | None, on_home: bool) -> None:
        since = utcnow()
        try:
            links = find_links(text, base_url)
        except Exception as exc:  # noqa: BLE001 - a parser bug must not stop the crawl
            log.warning("链接提取失败 %s: %s", base_url, exc)
            return
        for link in links:
            self.sink.add_link(
                base_url, link.url, kind=link.kind, text=link.text, section_id=section_id, on_home_page=on_home
            )
        self.sink.links_read(base_url, since)  # links this page no longer carries stop counting

    # ------------------------------------------------------------------ start

    async def start(self) -> AsyncIterator[Any]:
        yield Request(
            self.site.home,
            callback=self.parse_home,
            errback=self.home_failed,
            dont_filter=True,
            priority=PRIO_LIST,
        )
        for st in self.sections.values():
            request = self._list_request(st, st.list_url, 0)
            if request is not None:
                yield request

    def _list_request(
        self,
        st: SectionState,
        url: str,
        page_no: int,
        *,
        method: str = "GET",
        body: str | None = None,
        headers: dict[str, str] | None = None,
        parser: str = "list",
    ) -> Request | None:
        key = (method.upper(), url, body or "")
        if key in st.seen_requests:
            return None
        st.seen_requests.add(key)
        hdrs = dict(headers or {})
        if page_no == 0 and method.upper() == "GET":
            validators = self.prior.lists.get((st.section_id, url))
            if validators:
                if validators.etag:
                    hdrs["If-None-Match"] = validators.etag
                if validators.last_modified:
                    hdrs["If-Modified-Since"] = validators.last_modified
                self._count("conditional_list_requests")
        if method.upper() == "POST" and body is not None and not any(k.lower() == "content-type" for k in hdrs):
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        return Request(
            url,
            method=method.upper(),
            body=body,
            headers=hdrs,
            callback=self.parse_list,
            errback=self.list_failed,
            dont_filter=True,
            priority=PRIO_LIST,
            meta={"section": st.section_id, "page_no": page_no, "parser": parser, "list_url": url},
        )

    # ------------------------------------------------------------------ home page

    def parse_home(self, response: Response) -> Iterator[Any]:
        st = self.home
        ptr = self._evidence(response)
        st.pages_fetched += 1
        read = self._read(response)
        if isinstance(read, Problem):
            st.outcome, st.reason = read.outcome, read.reason
            return
        data, text, encoding = read
        st.outcome = oc.OK
        self._store_links(text, response.url, None, True)
        try:
            page = parse_list_page(text, response.url, st.adapter, "list")
        except Exception as exc:  # noqa: BLE001
            st.notes.append(f"首页列表解析失败：{exc}")
            return
        snap = self._snapshot(st, response, 0, oc.OK, None, encoding, data, ptr, len(page.items))
        st.adapter_used = page.adapter
        for item in page.items:
            self._add_item(st, item, snap)
        yield from ()

    def home_failed(self, failure: Failure) -> None:
        problem = classify_failure(failure)
        self.home.outcome, self.home.reason = problem.outcome, problem.reason

    # ------------------------------------------------------------------ list pages

    def _snapshot(
        self,
        st: SectionState,
        response: Response | None,
        page_no: int,
        outcome: str,
        reason: str | None,
        encoding: str | None,
        data: bytes | None,
        ptr: WarcPointer | None,
        items_found: int = 0,
        url: str | None = None,
    ) -> int:
        columns: dict[str, Any] = {
            "section_id": st.section_id,
            "url": url or (response.request.url if response is not None and response.request else st.list_url),
            "page_no": page_no,
            "captured_at": utcnow(),
            "http_status": response.status if response is not None else None,
            "outcome": outcome,
            "reason": reason,
            "encoding": encoding,
            "etag": header(response, "ETag") if response is not None else None,
            "last_modified": header(response, "Last-Modified") if response is not None else None,
            "content_sha256": sha256(data) if data is not None else None,
            "items_found": items_found,
        }
        if ptr is not None:
            columns.update(ptr.as_columns())
        return self.sink.add_snapshot(**columns)

    def _add_item(self, st: SectionState, item: Any, snap: int) -> None:
        st.seen_urls.add(item.url)
        self.sink.add_item(
            ListedRow(
                section_id=st.section_id,
                url=item.url,
                title=(item.title or "").strip(),
                list_date=as_date(item.date),
                date_source=item.date_source or "none",
                snapshot_key=snap,
                seen_at=utcnow(),
            )
        )

    def parse_list(self, response: Response) -> Iterator[Any]:
        meta = response.meta
        st = self.sections[meta["section"]]
        page_no: int = meta["page_no"]
        ptr = self._evidence(response)
        st.pages_fetched += 1
        self._count("list_pages")
        if response.status == 304 and page_no == 0:
            validators = self.prior.lists.get((st.section_id, meta["list_url"]))
            columns_etag = validators.etag if validators else None
            snap_columns = {
                "section_id": st.section_id,
                "url": meta["list_url"],
                "page_no": 0,
                "captured_at": utcnow(),
                "http_status": 304,
                "outcome": oc.UNCHANGED,
                "reason": "列表未变化（HTTP 304）",
                "etag": header(response, "ETag") or columns_etag,
                "last_modified": header(response, "Last-Modified")
                or (validators.last_modified if validators else None),
                "content_sha256": validators.sha256 if validators else None,
                **ptr.as_columns(),
            }
            self.sink.add_snapshot(**snap_columns)
            st.outcome, st.reason = oc.UNCHANGED, "列表未变化（HTTP 304）"
            st.list_ended = True
            return
        read = self._read(response)
        if isinstance(read, Problem):
            self._snapshot(st, response, page_no, read.outcome, read.reason, None, None, ptr)
            self._page_problem(st, page_no, read, response.status)
            return
        data, text, encoding = read
        try:
            body = response.request.body.decode("utf-8", "replace") if response.request.body else None
            page = parse_list_page(text, response.url, st.adapter, meta["parser"], body)
        except Exception as exc:  # noqa: BLE001 - recorded, the run goes on
            problem = Problem(oc.PARSE_ERROR, f"列表解析失败：{exc.__class__.__name__}: {exc}")
            self._snapshot(st, response, page_no, problem.outcome, problem.reason, encoding, data, ptr)
            self._page_problem(st, page_no, problem, response.status)
            return
        items = list(page.items)
        if not items and page_no == 0:
            if page.declared_total == 0:
                outcome, reason = oc.EMPTY, "栏目列表为空（声明总数为 0）"
            else:
                outcome, reason = oc.PARSE_ERROR, "页面已读取，但未找到列表条目"
            self._snapshot(st, response, page_no, outcome, reason, encoding, data, ptr)
            self._store_links(text, response.url, st.section_id, False)
            st.outcome, st.reason = outcome, reason
            st.adapter_used = page.adapter
            st.declared_total = page.declared_total
            st.list_ended = outcome == oc.EMPTY
            return
        snap = self._snapshot(st, response, page_no, oc.OK, None, encoding, data, ptr, len(items))
        self._store_links(text, response.url, st.section_id, False)
        if page_no == 0 or st.adapter_used is None:
            st.outcome = st.outcome or oc.OK
            st.adapter_used = page.adapter
            st.pagination_method = page.pagination_method
        if page.declared_total is not None and st.declared_total is None:
            st.declared_total = page.declared_total
        for item in items:
            self._add_item(st, item, snap)
            request = self._article_request(st, item)
            if request is not None:
                yield request
        if not items:  # a later page (or Hanweb group) with nothing left: the list ends here
            st.list_ended = True
            return
        # Stop at the horizon: the bottom of this page is older than the crawl window.
        dated = [d for d in (as_date(i.date) for i in items) if d is not None]
        if dated and dated[-1] < (st.cutoff or self.cutoff):
            st.reached_horizon = True
            return
        if st.pages_fetched >= st.max_pages:
            st.hit_max_pages = True
            st.notes.append(f"达到最大列表页数 {st.max_pages}")
            return
        request = self._next_list_request(st, page, page_no, meta["parser"])
        if request is None:
            st.list_ended = True
        else:
            yield request

    def _next_list_request(self, st: SectionState, page: Any, page_no: int, parser: str) -> Request | None:
        """The following page: the lowest page index after this one that was not requested yet."""
        def known(r: Any) -> bool:  # generic 下一页 links carry page_index -1 (unknown)
            return r.page_index is not None and r.page_index >= 0

        candidates = sorted(
            (r for r in page.next_requests if not known(r) or r.page_index > page_no),
            key=lambda r: (0, r.page_index) if known(r) else (1, 0),
        )
        for nxt in candidates:
            is_proxy = "dataproxy" in nxt.url.lower()
            index = nxt.page_index if known(nxt) else page_no + 1
            request = self._list_request(
                st,
                nxt.url,
                index,
                method=nxt.method or "GET",
                body=nxt.body,
                headers=nxt.headers,
                parser="hanweb_dataproxy" if is_proxy else parser,
            )
            if request is not None:
                return request
        return None

    def _page_problem(self, st: SectionState, page_no: int, problem: Problem, status: int | None) -> None:
        if page_no == 0:
            st.outcome, st.reason = problem.outcome, problem.reason
            return
        if status in (404, 410) and problem.outcome == oc.HTTP_ERROR:
            # Many CMSs cap static list pages: a missing page past the cap ends the list.
            st.list_ended = True
            st.notes.append(f"第 {page_no + 1} 页 HTTP {status}，视为列表结束")
            return
        if st.later_problem is None:
            st.later_problem = (page_no, problem)

    def list_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        meta = request.meta
        st = self.sections[meta["section"]]
        problem = classify_failure(failure)
        self._count(f"list_{problem.outcome}")
        self._snapshot(st, None, meta["page_no"], problem.outcome, problem.reason, None, None, None,
                       url=request.url)
        self._page_problem(st, meta["page_no"], problem, None)

    # ------------------------------------------------------------------ articles

    def _article_request(self, st: SectionState, item: Any) -> Request | None:
        url = item.url
        if not self.config.crawl.fetch_articles or url in self.articles_requested:
            return None
        if urlsplit(url).scheme not in ("http", "https") or _ext(url) in DOC_EXTENSIONS:
            return None
        self.articles_requested.add(url)
        headers: dict[str, str] = {}
        known = self.prior.pages.get(url)
        if known is not None and known.outcome == oc.OK:
            if known.etag or known.last_modified:
                if known.etag:
                    headers["If-None-Match"] = known.etag
                if known.last_modified:
                    headers["If-Modified-Since"] = known.last_modified
                self._count("conditional_article_requests")
            else:
                before = self.prior.items.get((st.section_id, url))
                list_date = as_date(item.date)
                now = ((item.title or "").strip(), list_date.isoformat() if list_date else None)
                if before is not None and before == now:
                    self._count("articles_skipped_known")
                    return None
        return Request(
            url,
            headers=headers,
            callback=self.parse_article,
            errback=self.article_failed,
            dont_filter=True,
            priority=PRIO_ARTICLE,
            meta={"section": st.section_id, "page_url": url},
        )

    def parse_article(self, response: Response) -> Iterator[Any]:
        url = response.meta["page_url"]
        ptr = self._evidence(response)
        self._count("article_responses")
        if response.status == 304:
            self._count("articles_unchanged")
            self.sink.add_page(url, unchanged=True)
            return
        read = self._read(response)
        if isinstance(read, Problem):
            self._count(f"article_{read.outcome}")
            self.sink.add_page(
                url,
                keep_if_ok=True,
                fetched_at=utcnow(),
                http_status=response.status,
                outcome=read.outcome,
                reason=read.reason,
                **ptr.as_columns(),
            )
            return
        data, text, encoding = read
        try:
            info = parse_article_page(text, response.url)
        except Exception as exc:  # noqa: BLE001
            self.sink.add_page(
                url,
                keep_if_ok=True,
                fetched_at=utcnow(),
                http_status=response.status,
                outcome=oc.PARSE_ERROR,
                reason=f"正文解析失败：{exc.__class__.__name__}: {exc}",
                encoding=encoding,
                content_sha256=sha256(data),
                **ptr.as_columns(),
            )
            return
        self._count("articles_fetched")
        self.sink.add_page(
            url,
            fetched_at=utcnow(),
            http_status=response.status,
            outcome=oc.OK,
            reason=None,
            encoding=encoding,
            etag=header(response, "ETag"),
            last_modified=header(response, "Last-Modified"),
            content_sha256=sha256(data),
            title=info.title,
            text=info.text,
            meta=info.meta or None,
            xxgk=info.xxgk or None,
            pubdate=as_datetime(info.pubdate),
            pubdate_source=info.pubdate_source,
            written_date=as_date(info.written_date),
            doc_number=(info.doc_number or None) and info.doc_number[:200],
            validity=(info.validity or None) and info.validity[:50],
            **ptr.as_columns(),
        )
        self._store_links(text, response.url, response.meta["section"], False)
        if self.config.crawl.fetch_attachments:
            for att in info.attachments or []:
                request = self._attachment_request(url, att)
                if request is not None:
                    yield request

    def article_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        problem = classify_failure(failure)
        self._count(f"article_{problem.outcome}")
        self.sink.add_page(
            request.meta["page_url"],
            keep_if_ok=True,
            fetched_at=utcnow(),
            outcome=problem.outcome,
            reason=problem.reason,
        )

    # ------------------------------------------------------------------ attachments

    def _attachment_request(self, page_url: str, att: Any) -> Request | None:
        key = (page_url, att.url)
        if key in self.attachments_requested or urlsplit(att.url).scheme not in ("http", "https"):
            return None
        self.attachments_requested.add(key)
        known = self.prior.pages.get(page_url)
        if known is not None and (known.id, att.url) in self.prior.attachments_ok:
            return None
        return Request(
            att.url,
            callback=self.parse_attachment,
            errback=self.attachment_failed,
            dont_filter=True,
            priority=PRIO_ATTACHMENT,
            meta={
                "page_url": page_url,
                "name": att.name,
                "ext": (att.ext or _ext(att.url)).lower(),
                "download_maxsize": self.config.crawl.max_attachment_bytes,
            },
        )

    def parse_attachment(self, response: Response) -> None:
        meta = response.meta
        ptr = self._evidence(response)
        columns: dict[str, Any] = {
            "name": meta["name"],
            "ext": meta["ext"][:10] or None,
            "fetched_at": utcnow(),
            "http_status": response.status,
            **ptr.as_columns(),
        }
        problem = http_problem(response.status)
        data = b""
        if problem is None:
            try:
                data = content_bytes(response, self.config.crawl.max_attachment_bytes)
            except DecodeError as exc:
                problem = Problem(oc.TOO_LARGE if "上限" in str(exc) else oc.CONNECTION, str(exc))
        if problem is None and "html" in (header(response, "Content-Type") or "").lower():
            sample = data[:20000].decode("utf-8", "replace")
            block = detect_block(response.status, header_dict(response), sample)
            if block:
                problem = Problem(oc.BLOCKED, block)
        if problem is not None:
            self._count(f"attachment_{problem.outcome}")
            self.sink.add_attachment(meta["page_url"], response.request.url, keep_if_ok=True,
                                     outcome=problem.outcome, reason=problem.reason, **columns)
            return
        columns.update(size=len(data), content_sha256=sha256(data))
        try:
            text_content = attachment_text(data, meta["ext"])
            columns.update(outcome=oc.OK, reason=None, text=text_content)
            self._count("attachments_ok")
        except AttachmentError as exc:
            columns.update(outcome=oc.PARSE_ERROR, reason=f"附件文字提取失败：{exc}", text=None)
            self._count("attachment_parse_error")
        except Exception as exc:  # noqa: BLE001
            columns.update(outcome=oc.PARSE_ERROR, reason=f"附件文字提取失败：{exc.__class__.__name__}")
            self._count("attachment_parse_error")
        self.sink.add_attachment(meta["page_url"], response.request.url, **columns)

    def attachment_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        problem = classify_failure(failure)
        self._count(f"attachment_{problem.outcome}")
        self.sink.add_attachment(
            request.meta["page_url"],
            request.url,
            keep_if_ok=True,
            name=request.meta["name"],
            ext=request.meta["ext"][:10] or None,
            fetched_at=utcnow(),
            outcome=problem.outcome,
            reason=problem.reason,
        )

    # ------------------------------------------------------------------ end of run

    def closed(self, reason: str) -> None:
        self.finished = self.finish_sections([self.home, *self.sections.values()], utcnow(), reason)
        self.sink.flush()
        self.warc.close()

    def finish_sections(self, states: list[SectionState], now: dt.datetime, close_reason: str) -> list[dict[str, Any]]:
        """Write each section's crawl row (and what an unchanged or fully read list means for its items) in one
        transaction; returns the rows."""
        ends = {st.section_id: (st, *self._final_outcome(st, close_reason)) for st in states}
        unchanged = [sid for sid, (_, outcome, _) in ends.items() if outcome == oc.UNCHANGED]
        complete = {sid: st.seen_urls for sid, (st, outcome, _) in ends.items()
                    if outcome in (oc.OK, oc.EMPTY) and st.fully_read and sid != HOME_SECTION}

        def rows_for(current: dict[str, int], gone: dict[str, int]) -> list[dict[str, Any]]:
            return [self._section_row(st, outcome, reason, now, current.get(sid), gone.get(sid, 0))
                    for sid, (st, outcome, reason) in ends.items()]

        return self.sink.end_sections(now, unchanged, complete, rows_for)

    def _final_outcome(self, st: SectionState, close_reason: str) -> tuple[str, str | None]:
        """The section's outcome and reason once the run is over (a list not read to the end is not judged)."""
        outcome, reason = st.outcome, st.reason
        if outcome is None:
            return oc.CONNECTION, f"抓取未完成（{close_reason}）"
        if outcome == oc.OK and st.later_problem is not None:
            page_no, problem = st.later_problem
            return problem.outcome, (
                f"第 {page_no + 1} 页：{problem.reason}（已读取 {st.pages_fetched} 页，{len(st.seen_urls)} 条；"
                "列表未读完，不作判断）"
            )
        return outcome, reason

    @staticmethod
    def _section_row(st: SectionState, outcome: str, reason: str | None, now: dt.datetime,
                     current: int | None, gone: int) -> dict[str, Any]:
        """A SectionCrawl row; ``current``: the stored items of an unchanged list, which count as found."""
        notes = list(st.notes)
        if gone:
            notes.append(f"{gone} 条已从列表消失")
        if notes:
            reason = "；".join([r for r in [reason, *notes] if r])
        return {
            "section_id": st.section_id,
            "captured_at": now,
            "outcome": outcome,
            "reason": reason,
            "adapter": st.adapter_used,
            "pagination_method": st.pagination_method,
            "declared_total": st.declared_total,
            "items_found": len(st.seen_urls) if current is None else current,
            "pages_fetched": st.pages_fetched,
            "reached_horizon": st.reached_horizon,
        }
