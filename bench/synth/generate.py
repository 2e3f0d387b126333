"""Write a synthetic district: N sites x M sections x K items, static files for nginx.

Each site is a document root of its own, served on its own 127.0.0.1 port (distinct hosts for
per-host politeness). Sections cycle through three CMS styles rendered with the demo's templates:

- ``trs``: ``index.html``/``index_1.html`` lists with ``createPageHTML`` (20 per page), TRS articles;
- ``hanweb``: ``<datastore>`` column page with the first 45 records; later groups come from
  ``dataproxy.jsp`` (POST), which nginx answers with a static ``dp_<startrecord>.xml``;
- ``generic``: plain lists with 下一页 links, plain article pages.

Every ``attachment_every``-th article links a real (small) PDF; ``broken_404`` / ``broken_refused``
of the articles (fractions) link a missing page on the same site / a port where nothing listens.
``manifest.json`` lists sites, sections, item URLs, page counts and the expected broken links.

    .venv/bin/python -m bench.synth.generate OUT --sites 20 --sections 5 --items 50
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from zwgk.demo.files import pdf_bytes
from zwgk.demo.hanweb import DATAPROXY_PATHS, datastore_block
from zwgk.demo.model import HanwebColumn
from zwgk.demo.site import DEPARTMENTS, TEMPLATES, Article, Attachment, Column

STYLES = ("trs", "hanweb", "generic")
PER_PAGE = 20  # trs and generic list pages
HANWEB_PERPAGE, HANWEB_GROUP = 15, 3
# (indicator, category) pairs that exist in the bundled rule packs; sections cycle through them.
INDICATORS = (
    ("shanting.03", "dynamic"), ("national.notice", "notice"), ("ogi.active_disclosure", "policy"),
    ("shanting.04", None), ("shanting.19", None), ("shanting.17", None), ("shanting.35", None),
    ("shanting.09", None), ("shanting.11", None),
)
COLUMN_NAMES = ("工作动态", "通知公告", "政策文件", "政策解读", "城乡低保", "高龄津贴", "财政收支", "统计月报",
                "重大项目", "人事信息", "规划计划", "公示公告")
DEPT_KEYS = tuple(DEPARTMENTS)
PARA = ("区人民政府办公室关于进一步做好政务公开工作的通知，各镇街、区直各部门要按照要求，及时主动公开政府信息，"
        "认真落实信息发布、政策解读、回应关切等各项任务，切实保障人民群众的知情权、参与权和监督权。")
GENERIC_LIST = """{% extends "_layout.html" %}
{% block title %}{{ column.name }}_{{ site.name }}{% endblock %}
{% block content %}
<div class="news_list"><h2>{{ column.name }}</h2>
<ul>{% for a in items %}<li><a href="{{ a.path }}" title="{{ a.title }}">{{ a.short_title }}</a><span class="date">{{ a.date_str }}</span></li>
{% endfor %}</ul>
<div class="pages">{% if prev %}<a href="{{ prev }}">上一页</a>{% endif %} 第{{ page_index + 1 }}页/共{{ page_count }}页 {% if next %}<a href="{{ next }}">下一页</a>{% endif %}</div>
</div>
{% endblock %}"""
GENERIC_ARTICLE = """{% extends "_layout.html" %}
{% block title %}{{ a.title }}_{{ site.name }}{% endblock %}
{% block content %}
<div class="detail"><h1>{{ a.title }}</h1>
<div class="info">发布时间：{{ a.pubdate_str }}　来源：{{ a.source }}</div>
<div class="content">{{ a.body_html }}</div>
{% if a.attachments %}<div class="attach">附件：{% for f in a.attachments %}<p><a href="{{ f.path }}">{{ f.name }}</a></p>{% endfor %}</div>{% endif %}
</div>
{% endblock %}"""


@dataclass
class SectionPlan:
    id: str
    name: str
    style: str
    list_url: str
    indicator: str
    category: str | None
    department: str
    items: list[str] = field(default_factory=list)  # article URLs, newest first
    list_pages: list[str] = field(default_factory=list)  # every list page / dataproxy group URL


@dataclass
class SitePlan:
    id: str
    name: str
    port: int
    root: Path
    sections: list[SectionPlan] = field(default_factory=list)
    pages: int = 0  # HTML pages (home + list pages + articles)
    attachments: int = 0
    broken: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class _Writer:
    """Renders and writes one site."""

    def __init__(self, env: Environment, plan: SitePlan, today: dt.date, rng: random.Random, opts: dict[str, Any],
                 pdf: bytes) -> None:
        self.env, self.plan, self.today, self.rng, self.opts, self.pdf = env, plan, today, rng, opts, pdf
        # domain: the Hanweb meta Url is absolute and must not point off the machine
        self.site = {"name": plan.name, "domain": f"127.0.0.1:{plan.port}", "code": f"37{plan.port:08d}", "nav": []}
        self.docid = 10000

    def write(self, path: str, data: str | bytes) -> None:
        target = self.plan.root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)

    def render(self, template: str, **ctx: Any) -> str:
        ctx.setdefault("charset", "utf-8")
        ctx.setdefault("crumbs", None)
        return self.env.get_template(template).render(site=self.site, **ctx)

    def body(self, art: Article, n: int) -> Markup:
        paras = [PARA[self.rng.randrange(20):] * self.rng.randint(2, 3) for _ in range(self.rng.randint(4, 7))]
        links = []
        if self.rng.random() < self.opts["broken_404"]:
            url = f"{self.plan.base}/missing/{n}.html"
            links.append({"href": f"/missing/{n}.html", "text": "相关阅读"})
            self.plan.broken.append(url)
        if self.rng.random() < self.opts["broken_refused"]:
            url = f"http://127.0.0.1:{self.opts['refused_port']}/ext/{self.plan.id}/{n}.html"
            links.append({"href": url, "text": "外部链接"})
            self.plan.broken.append(url)
        return Markup(self.env.get_template("paragraphs.html").render(paragraphs=paras, links=links))

    def articles(self, col: Column, sec: SectionPlan, k: int, step: int) -> None:
        for j in range(k):
            day = self.today - dt.timedelta(days=j * step)
            self.docid += self.rng.randrange(3, 20)
            minutes = self.rng.randrange(8 * 60 + 30, 17 * 60 + 30)
            art = Article(column=col, title=f"{col.department}关于{sec.name}第{k - j}期工作情况的公告",
                          published=dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60)),
                          source=col.department, docid=self.docid)
            if col.style == "hanweb":
                art.path = f"/art/{day.year}/{day.month}/{day.day}/art_{col.hanweb_id}_{art.docid}.html"
            elif col.style == "trs":
                art.path = f"{col.base}{day:%Y%m}/t{day:%Y%m%d}_{art.docid}.html"
            else:
                art.path = f"{col.base}content_{art.docid}.html"
            col.articles.append(art)
            sec.items.append(self.plan.base + art.path)

    def attach(self, art: Article) -> None:
        ext = "pdf"
        if art.column.style == "hanweb":
            rel = f"{art.docid:x}01{art.published:%m%d}.{ext}"
            path = f"/attach/0/{rel}"
        else:
            rel = f"P0{art.published:%Y%m%d}{art.docid % 1000000:06d}1.{ext}"
            path = art.folder + rel
        art.attachments = [Attachment(name=f"{art.title[:12]}附件.pdf", path=path, rel_name=rel, body=self.pdf,
                                      content_type="application/pdf", when=art.published)]
        self.write(path, self.pdf)
        self.plan.attachments += 1

    def render_article(self, art: Article, n: int) -> None:
        if n % self.opts["attachment_every"] == 0:
            self.attach(art)
        art.body_html = self.body(art, n)
        col = art.column
        name, href = DEPARTMENTS[col.dept]
        if col.style == "hanweb":
            html = self.render("hanweb_article.html", a=art, maketime=f"{self.today} 02:00:00", dept_name=name,
                               dept_href="/index.html")
        elif col.style == "trs":
            crumbs = [{"name": "首页", "href": "/index.html"}, {"name": col.name, "href": col.list_path}]
            html = self.render("trs_article.html", a=art, crumbs=crumbs)
        else:
            html = self.env.from_string(GENERIC_ARTICLE).render(site=self.site, a=art, charset="utf-8", crumbs=None)
        self.write(art.path, html)
        self.plan.pages += 1

    def trs_list(self, col: Column, sec: SectionPlan) -> None:
        arts = col.articles
        pages = max(1, -(-len(arts) // PER_PAGE))
        crumbs = [{"name": "首页", "href": "/index.html"}, {"name": col.name, "href": col.list_path}]
        for p in range(pages):
            html = self.render("trs_list.html", column=col, items=arts[p * PER_PAGE:(p + 1) * PER_PAGE],
                               page_count=pages, page_index=p, crumbs=crumbs)
            path = col.list_path if p == 0 else f"{col.base}index_{p}.html"
            self.write(path, html)
            sec.list_pages.append(self.plan.base + path)

    def generic_list(self, col: Column, sec: SectionPlan) -> None:
        arts = col.articles
        pages = max(1, -(-len(arts) // PER_PAGE))
        tpl = self.env.from_string(GENERIC_LIST)

        def name(p: int) -> str:
            return "list.html" if p == 0 else f"list_{p + 1}.html"

        for p in range(pages):
            html = tpl.render(site=self.site, column=col, items=arts[p * PER_PAGE:(p + 1) * PER_PAGE], page_index=p,
                              page_count=pages, prev=name(p - 1) if p else None,
                              next=name(p + 1) if p + 1 < pages else None, charset="utf-8", crumbs=None)
            self.write(col.base + name(p), html)
            sec.list_pages.append(self.plan.base + col.base + name(p))

    def hanweb_list(self, col: Column, sec: SectionPlan) -> None:
        record = self.env.get_template("hanweb_record.html")
        records = [record.render(a=a).strip() for a in col.articles]
        hw = HanwebColumn(column_id=col.hanweb_id, unit_id=col.unit_id, name=col.name, perpage=HANWEB_PERPAGE,
                          group_pages=HANWEB_GROUP, records=records)
        proxy = f"{col.base}dataproxy.jsp"  # per column, so nginx can answer it from static files
        block = datastore_block(hw).replace(DATAPROXY_PATHS[0], proxy)
        name, _ = DEPARTMENTS[col.dept]
        html = self.render("hanweb_list.html", column=col, dept_name=name, dept_href="/index.html",
                           datastore=Markup(block))
        self.write(col.list_path, html)
        sec.list_pages.append(self.plan.base + col.list_path)
        size = HANWEB_PERPAGE * HANWEB_GROUP
        for start in range(size + 1, len(records) + 1, size):
            chosen = records[start - 1:start - 1 + size]
            body = ('<?xml version="1.0" encoding="UTF-8"?>\n<datastore><recordset>\n'
                    + "\n".join(f"<record><![CDATA[{r}]]></record>" for r in chosen)
                    + f"\n</recordset><totalrecord>{len(records)}</totalrecord></datastore>")
            self.write(f"{col.base}dp_{start}.xml", body)
            sec.list_pages.append(f"{self.plan.base}{proxy}?startrecord={start}&endrecord={start + size - 1}"
                                  f"&perpage={HANWEB_PERPAGE}")

    def home(self, cols: list[Column]) -> None:
        recent = sorted((a for c in cols for a in c.articles[:2]), key=lambda a: a.published, reverse=True)[:12]
        html = self.render("home.html", title=self.plan.name, recent=recent, columns=cols, departments=[])
        self.write("/index.html", html)
        self.plan.pages += 1
        self.write("/robots.txt", "User-agent: *\nDisallow: /manage/\nAllow: /\n")
        self.write("/images/style.css", "body{font-family:SimSun,serif}\n")
        self.write("/zwgk/index.html", self.render("index_page.html", title=f"政务公开_{self.plan.name}",
                                                   heading="政务公开", columns=cols))
        self.plan.pages += 1
        for stub in ("/module/jslib/jquery/jquery.js", "/module/web/jpage/jpage.js", "/module/visitcount/visit.jsp"):
            self.write(stub, "/* stub */\n")

    def site_files(self, m: int, k: int) -> None:
        cols: list[Column] = []
        for s in range(m):
            style = STYLES[s % len(STYLES)]
            indicator, category = INDICATORS[s % len(INDICATORS)]
            cname = COLUMN_NAMES[s % len(COLUMN_NAMES)] + (f"{s // len(COLUMN_NAMES) + 1}" if s >= len(COLUMN_NAMES)
                                                           else "")
            dept = DEPT_KEYS[s % len(DEPT_KEYS)]
            if style == "hanweb":
                list_path = f"/col/col{1001 + s}/index.html"
            elif style == "trs":
                list_path = f"/zwgk/c{s}/index.html"
            else:
                list_path = f"/xxgk/g{s}/list.html"
            col = Column(key=f"c{s}", name=cname, list_path=list_path, dept=dept, style=style,
                         column_type="信息列表", perpage=PER_PAGE, hanweb_id=1001 + s, unit_id=5001 + s)
            sec = SectionPlan(id=f"c{s}", name=cname, style=style, list_url=self.plan.base + list_path,
                              indicator=indicator, category=category, department=dept)
            self.plan.sections.append(sec)
            self.articles(col, sec, k, step=max(1, 300 // max(k, 1)))
            cols.append(col)
        self.site["nav"] = [{"name": "首页", "href": "/index.html"}] + [
            {"name": c.name, "href": c.list_path} for c in cols]
        n = 0
        for col, sec in zip(cols, self.plan.sections, strict=True):
            for art in col.articles:
                n += 1
                self.render_article(art, n)
            if col.style == "trs":
                self.trs_list(col, sec)
            elif col.style == "hanweb":
                self.hanweb_list(col, sec)
            else:
                self.generic_list(col, sec)
            self.plan.pages += sum(1 for u in sec.list_pages if "dataproxy" not in u)
        self.home(cols)


def generate(out: Path, sites: int, sections: int, items: int, *, base_port: int = 20000,
             refused_port: int = 19999, seed: int = 8, today: dt.date | None = None,
             attachment_every: int = 5, broken_404: float = 0.02, broken_refused: float = 0.005,
             clean: bool = True) -> dict[str, Any]:
    """Write ``out/sites/<id>/``, ``out/settings.toml`` and ``out/manifest.json``; returns the manifest."""
    today = today or dt.date.today()
    if clean and (out / "sites").exists():
        shutil.rmtree(out / "sites")
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html", "xml"]))
    pdf = pdf_bytes("附件", ["示范区政务公开附件。", "本文件为基准测试生成。"], dt.datetime(2026, 1, 1))
    opts = {"attachment_every": attachment_every, "broken_404": broken_404, "broken_refused": broken_refused,
            "refused_port": refused_port}
    plans: list[SitePlan] = []
    for i in range(sites):
        sid = f"s{i:04d}"
        plan = SitePlan(id=sid, name=f"合成{i}区{sid}网站", port=base_port + i, root=out / "sites" / sid)
        _Writer(env, plan, today, random.Random(f"{seed}/{i}"), opts, pdf).site_files(sections, items)
        plans.append(plan)
    manifest = {
        "today": today.isoformat(),
        "shape": {"sites": sites, "sections": sections, "items": items},
        "refused_port": refused_port,
        "totals": {
            "pages": sum(p.pages for p in plans),
            "items": sites * sections * items,
            "attachments": sum(p.attachments for p in plans),
            "broken": sum(len(p.broken) for p in plans),
        },
        "sites": [
            {"id": p.id, "port": p.port, "root": str(p.root), "home": p.base + "/index.html", "pages": p.pages,
             "attachments": p.attachments, "broken": p.broken,
             "sections": [{"id": s.id, "style": s.style, "list_url": s.list_url, "items": s.items,
                           "list_pages": s.list_pages} for s in p.sections]}
            for p in plans
        ],
    }
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    (out / "settings.toml").write_text(settings_toml(out, plans), encoding="utf-8")
    return manifest


def settings_toml(out: Path, plans: list[SitePlan], parallel_sites: int | None = None) -> str:
    """The monitor's settings for the district: politeness lifted for a local server (as the linkcheck bench)."""
    import os

    cores = parallel_sites or os.cpu_count() or 2
    lines = [
        "# Generated by bench/synth/generate.py: a synthetic district on 127.0.0.1 (politeness lifted).",
        "[general]",
        f'database_url = "sqlite:///{out / "zwgk.db"}"',
        f'evidence_dir = "{out / "evidence"}"',
        f'reports_dir = "{out / "reports"}"',
        f'outbox_dir = "{out / "outbox"}"',
        "[crawl]",
        "horizon_days = 400", "obey_robots = true", "concurrency_per_host = 32", "delay_seconds = 0.0",
        "autothrottle = false", "site_timeout_seconds = 3600", "retry_times = 0", f"parallel_sites = {cores}",
        "[links]",
        "per_host_concurrency = 32", "per_host_rate = 1000", "global_concurrency = 64", "confirm_runs = 2",
        "recheck_delay_seconds = 1", "cache_hours = 0", "timeout_seconds = 15",
        "[rules]", 'packs = ["shanting", "national", "ogi"]',
    ]
    for key, (name, _) in DEPARTMENTS.items():
        lines += ["[[departments]]", f'id = "{key}"', f'name = "{name}"'] + (["office = true"] if key == "office"
                                                                              else [])
    for p in plans:
        lines += ["[[sites]]", f'id = "{p.id}"', f'name = "{p.name}"', f'base_url = "{p.base}/index.html"',
                  'department = "office"']
        for s in p.sections:
            lines += ["  [[sites.sections]]", f'  id = "{s.id}"', f'  name = "{s.name}"',
                      f'  list_url = "{s.list_url}"', f'  indicator = "{s.indicator}"', f'  adapter = "{s.style}"',
                      f'  department = "{s.department}"']
            if s.category:
                lines.append(f'  category = "{s.category}"')
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description="生成合成区县网站（基准测试用）")
    parser.add_argument("out", type=Path)
    parser.add_argument("--sites", type=int, default=20)
    parser.add_argument("--sections", type=int, default=5)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--base-port", type=int, default=20000)
    parser.add_argument("--refused-port", type=int, default=19999)
    args = parser.parse_args()
    manifest = generate(args.out, args.sites, args.sections, args.items, base_port=args.base_port,
                        refused_port=args.refused_port)
    print(json.dumps(manifest["totals"]))


if __name__ == "__main__":
    main()
