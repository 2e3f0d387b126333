"""Generate the demo district 示范区人民政府: every page, with dates relative to ``today``.

``build_site(today, seed)`` is deterministic for a given day and seed. The site mixes a
TRS-style portal (``index.html``/``index_1.html`` + ``createPageHTML``), Hanweb-style
department columns (``<datastore>`` + ``dataproxy.jsp``), a GBK-encoded 统计局 column,
信息公开 articles, real XLSX/PDF attachments and a handful of planted problems
(see ``Planted``). Everything else is meant to be compliant.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from zwgk.demo import content
from zwgk.demo.files import pdf_bytes, xlsx_bytes
from zwgk.demo.hanweb import datastore_block
from zwgk.demo.model import DemoSite, HanwebColumn, Page

TEMPLATES = Path(__file__).parent / "templates"
UTC_OFFSET = dt.timedelta(hours=8)  # Asia/Shanghai has no DST
HORIZON_DAYS = 400
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

SITE = {
    "name": "示范区人民政府",
    "domain": "www.sfq.gov.cn",
    "code": "3704990001",
}
DEPARTMENTS = {
    "office": ("区政府办公室", "/zwgk/index.html"),
    "mzj": ("区民政局", "/bm/mzj/index.html"),
    "czj": ("区财政局", "/bm/czj/index.html"),
    "tjj": ("区统计局", "/bm/tjj/index.html"),
    "fgj": ("区发改局", "/bm/fgj/index.html"),
}
SOFT404_PATH = "/zwfw/bszn/index.html"  # a removed column that now redirects to the home page


@dataclass
class Attachment:
    name: str
    path: str
    rel_name: str
    body: bytes
    content_type: str
    when: dt.datetime


@dataclass
class Column:
    key: str
    name: str
    list_path: str  # the list page
    dept: str
    style: str  # trs | hanweb
    column_type: str
    charset: str = "utf-8"
    perpage: int = 15
    hanweb_id: int = 0
    unit_id: int = 0
    articles: list[Article] = field(default_factory=list)

    @property
    def department(self) -> str:
        return DEPARTMENTS[self.dept][0]

    @property
    def base(self) -> str:
        return self.list_path.rsplit("/", 1)[0] + "/"

    @property
    def newest_str(self) -> str:
        return self.articles[0].date_str if self.articles else "—"


@dataclass
class Article:
    column: Column
    title: str
    published: dt.datetime  # local time
    source: str
    body: Callable[[Article], Markup] | None = None
    xxgk: dict[str, str] | None = None
    url_date: dt.date | None = None  # TRS: the (re)generation date in the URL, when it differs
    make_attachments: Callable[[Article], list[Attachment]] | None = None
    docid: int = 0
    path: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    body_html: Markup = Markup("")
    keywords: str = ""

    @property
    def date_str(self) -> str:
        return f"{self.published:%Y-%m-%d}"

    @property
    def pubdate_str(self) -> str:
        return f"{self.published:%Y-%m-%d %H:%M}"

    @property
    def short_title(self) -> str:
        return self.title if len(self.title) <= 26 else self.title[:25] + "…"

    @property
    def file_name(self) -> str:
        return self.path.rsplit("/", 1)[1]

    @property
    def rel_path(self) -> str:
        return self.path[len(self.column.base) :]

    @property
    def folder(self) -> str:
        return self.path.rsplit("/", 1)[0] + "/"

    @property
    def description(self) -> str:
        return self.title


def _utc(local: dt.datetime) -> dt.datetime:
    return local - UTC_OFFSET


class _Builder:
    def __init__(self, today: dt.date, seed: int) -> None:
        self.today = today
        self.seed = seed
        self.rng = random.Random(f"zwgk-demo/{seed}/{today.isoformat()}")
        self.env = Environment(
            loader=FileSystemLoader(str(TEMPLATES)),
            autoescape=select_autoescape(["html", "xml"]),
            keep_trailing_newline=True,
        )
        self.site = DemoSite(today=today, seed=seed)
        self.columns: dict[str, Column] = {}
        self.maketime = dt.datetime.combine(today, dt.time(2, 0))

    # ------------------------------------------------------------------ helpers
    def render(self, template: str, **ctx: Any) -> str:
        nav = [{"name": "首页", "href": "/index.html"}, {"name": "政务公开", "href": "/zwgk/index.html"}]
        nav += [{"name": c.name, "href": c.list_path} for c in self.columns.values() if c.dept == "office"]
        nav += [{"name": name, "href": href} for key, (name, href) in DEPARTMENTS.items() if key != "office"]
        ctx.setdefault("charset", "utf-8")
        ctx.setdefault("crumbs", None)
        return self.env.get_template(template).render(site={**SITE, "nav": nav}, **ctx)

    def at(self, day: dt.date) -> dt.datetime:
        """A working-hours publication time on ``day``."""
        minutes = self.rng.randrange(8 * 60 + 30, 17 * 60 + 30)
        return dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60))

    def column(self, col: Column) -> Column:
        self.columns[col.key] = col
        return col

    def add(self, col: Column, title: str, day: dt.date, **kw: Any) -> Article:
        art = Article(column=col, title=title, published=self.at(day), source=kw.pop("source", col.department), **kw)
        col.articles.append(art)
        return art

    def put(self, path: str, page: Page) -> None:
        self.site.pages[path] = page

    # ------------------------------------------------------------------ content
    def generate(self) -> DemoSite:
        t = self.today
        content.office_columns(self, t)
        content.mzj_columns(self, t)
        content.czj_columns(self, t)
        content.tjj_columns(self, t)
        content.fgj_columns(self, t)
        self.assign_paths()
        for col in self.columns.values():
            col.articles.sort(key=lambda a: a.published, reverse=True)
            for art in col.articles:
                self.render_article(art)
            if col.style == "hanweb":
                self.render_hanweb_list(col)
            else:
                self.render_trs_list(col)
        self.render_portal_pages()
        return self.site

    def assign_paths(self) -> None:
        """Doc ids grow with time (as in real CMSs); paths follow each CMS's URL scheme."""
        everything = sorted(
            (a for c in self.columns.values() for a in c.articles), key=lambda a: (a.published, a.title)
        )
        docid = 20000 + self.rng.randrange(1000)
        for art in everything:
            docid += self.rng.randrange(3, 40)
            art.docid = docid
            d = art.published.date()
            if art.column.style == "hanweb":
                art.path = f"/art/{d.year}/{d.month}/{d.day}/art_{art.column.hanweb_id}_{docid}.html"
            else:
                u = art.url_date or d
                art.path = f"{art.column.base}{d:%Y%m}/t{u:%Y%m%d}_{docid}.html"

    def render_article(self, art: Article) -> None:
        if art.make_attachments:
            art.attachments = art.make_attachments(art)
            for f in art.attachments:
                self.put(f.path, Page(body=f.body, content_type=f.content_type, last_modified=_utc(f.when)))
        art.body_html = art.body(art) if art.body else Markup("")
        col = art.column
        if col.style == "hanweb":
            name, href = DEPARTMENTS[col.dept]
            html = self.render("hanweb_article.html", a=art, maketime=f"{self.maketime:%Y-%m-%d %H:%M:%S}",
                               dept_name=name, dept_href=href)
        else:
            crumbs = [{"name": "首页", "href": "/index.html"}, {"name": col.name, "href": col.list_path}]
            html = self.render("trs_article.html", a=art, charset=col.charset, crumbs=crumbs)
        self.put(art.path, self.html_page(html, col.charset, art.published))

    def html_page(self, html: str, charset: str, newest: dt.datetime | None) -> Page:
        if charset.lower() == "gbk":
            return Page(body=html.encode("gbk"), content_type="text/html; charset=GBK",
                        last_modified=_utc(newest) if newest else None)
        return Page(body=html.encode("utf-8"), content_type="text/html; charset=utf-8",
                    last_modified=_utc(newest) if newest else None)

    def render_trs_list(self, col: Column) -> None:
        arts = col.articles
        pages = max(1, -(-len(arts) // col.perpage))
        crumbs = [{"name": "首页", "href": "/index.html"}, {"name": col.department, "href": DEPARTMENTS[col.dept][1]},
                  {"name": col.name, "href": col.list_path}]
        for k in range(pages):
            items = arts[k * col.perpage : (k + 1) * col.perpage]
            html = self.render("trs_list.html", column=col, items=items, page_count=pages, page_index=k,
                               charset=col.charset, crumbs=crumbs)
            path = col.list_path if k == 0 else f"{col.base}index_{k}.html"
            self.put(path, self.html_page(html, col.charset, arts[0].published if arts else None))

    def render_hanweb_list(self, col: Column) -> None:
        record = self.env.get_template("hanweb_record.html")
        hw = HanwebColumn(column_id=col.hanweb_id, unit_id=col.unit_id, name=col.name, perpage=col.perpage,
                          records=[record.render(a=a).strip() for a in col.articles])
        self.site.hanweb[col.hanweb_id] = hw
        name, href = DEPARTMENTS[col.dept]
        html = self.render("hanweb_list.html", column=col, dept_name=name, dept_href=href,
                           datastore=Markup(datastore_block(hw)))
        self.put(col.list_path, self.html_page(html, "utf-8", col.articles[0].published if col.articles else None))

    def render_portal_pages(self) -> None:
        cols = list(self.columns.values())
        recent = sorted(
            (a for c in cols if c.key != "gzdt" for a in c.articles[:3]), key=lambda a: a.published, reverse=True
        )[:12]
        newest = recent[0].published if recent else None
        departments = [{"name": n, "href": h} for k, (n, h) in DEPARTMENTS.items() if k != "office"]
        home = self.render("home.html", title=SITE["name"], recent=recent, columns=cols, departments=departments)
        page = self.html_page(home, "utf-8", newest)
        self.put("/", page)
        self.put("/index.html", page)
        zwgk = self.render("index_page.html", title=f"政务公开_{SITE['name']}", heading="政务公开", columns=cols)
        self.put("/zwgk/index.html", self.html_page(zwgk, "utf-8", newest))
        for key, (name, href) in DEPARTMENTS.items():
            if key == "office":
                continue
            mine = [c for c in cols if c.dept == key]
            html = self.render("index_page.html", title=f"{name}_{SITE['name']}", heading=f"{name}信息公开",
                               columns=mine)
            self.put(href, self.html_page(html, "utf-8", newest))
            self.put(href.rsplit("/", 1)[0] + "/", Page(status=301, location=href))
        self.put("/zwgk/", Page(status=301, location="/zwgk/index.html"))
        self.put(SOFT404_PATH, Page(status=302, location="/"))
        robots = "User-agent: *\nDisallow: /manage/\nAllow: /\n"
        self.put("/robots.txt", Page(body=robots.encode(), content_type="text/plain; charset=utf-8"))
        self.put("/images/style.css", Page(body=b"body{font-family:SimSun,serif}\n", content_type="text/css"))
        self.put("/module/jslib/jquery/jquery.js", Page(body=b"/* jquery stub */\n",
                                                         content_type="application/javascript"))
        self.put("/module/web/jpage/jpage.js", Page(body=b"/* jpage stub */\n", content_type="application/javascript"))
        self.put("/module/visitcount/visit.jsp", Page(body=b"document.write('1');\n",
                                                      content_type="application/javascript"))

    # ------------------------------------------------------------------ bodies and attachments
    def paragraphs(self, paragraphs: list[str], links: list[dict[str, str]] | None = None) -> Markup:
        return Markup(self.env.get_template("paragraphs.html").render(paragraphs=paragraphs, links=links or []))

    def roster(self, intro: str, header: list[str], rows: list[list[Any]], note: str = "") -> Markup:
        return Markup(self.env.get_template("roster.html").render(intro=intro, header=header, rows=rows, note=note))

    def xlsx(self, art: Article, name: str, header: list[str], rows: list[list[Any]], n: int = 1) -> Attachment:
        body = xlsx_bytes(art.title, header, rows, art.published)
        return self._attachment(art, name, "xlsx", body, XLSX_TYPE, n)

    def pdf(self, art: Article, name: str, lines: list[str], n: int = 1) -> Attachment:
        body = pdf_bytes(art.title, lines, art.published)
        return self._attachment(art, name, "pdf", body, "application/pdf", n)

    def _attachment(self, art: Article, name: str, ext: str, body: bytes, ctype: str, n: int) -> Attachment:
        if art.column.style == "hanweb":
            rel = f"{art.docid:x}{n:02d}{art.published:%m%d}.{ext}"
            path = f"/attach/0/{rel}"
        else:
            rel = f"P0{art.published:%Y%m%d}{art.docid % 1000000:06d}{n}.{ext}"
            path = art.folder + rel
        return Attachment(name=name, path=path, rel_name=rel, body=body, content_type=ctype, when=art.published)


def build_site(today: dt.date, seed: int = 2026) -> DemoSite:
    """Every page of the demo district as of ``today`` (deterministic for a given day and seed)."""
    return _Builder(today, seed).generate()



