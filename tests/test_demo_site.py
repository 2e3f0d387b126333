"""The generated demo district: deterministic, well-formed, and carrying each planted problem."""

from __future__ import annotations

import datetime as dt
import io
import re
from urllib.parse import urljoin, urlsplit

import pytest
from lxml import html as lxml_html
from openpyxl import load_workbook

from zwgk.demo import build_site
from zwgk.demo.site import SOFT404_PATH

TODAY = dt.date(2026, 11, 22)
DATE = re.compile(r"(20\d{2})-(\d{2})-(\d{2})")
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


@pytest.fixture(scope="module")
def site():
    return build_site(TODAY)


def gb11643_ok(number: str) -> bool:
    """Independent GB 11643 check (not the generator's code)."""
    total = sum(int(d) * w for d, w in zip(number[:17], WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == number[17].upper()


def text(site, path: str) -> str:
    page = site.get(path)
    assert page is not None, path
    charset = page.content_type.split("charset=")[-1]
    return page.body.decode(charset)


def list_dates(site, path: str) -> list[dt.date]:
    tree = lxml_html.fromstring(text(site, path))
    return [dt.date.fromisoformat(s.strip()) for s in tree.xpath("//ul[@class='list']/li/span/text()")]


def hanweb_records(site, column_id: int) -> list[str]:
    """All records of a Hanweb column: the embedded first group plus every dataproxy group."""
    page = text(site, f"/col/col{column_id}/index.html")
    records = re.findall(r"<record><!\[CDATA\[(.*?)\]\]></record>", page, re.S)
    start = len(records) + 1
    while True:
        answer = site.post(
            "/module/web/jpage/dataproxy.jsp",
            {"startrecord": str(start), "endrecord": str(start + 44), "perpage": "15"},
            {"columnid": str(column_id), "unitid": "x"},
        )
        body = answer.body.decode("utf-8")
        total = int(re.search(r"<totalrecord>(\d+)</totalrecord>", body).group(1))
        group = re.findall(r"<record><!\[CDATA\[(.*?)\]\]></record>", body, re.S)
        records += group
        start += 45
        if not group or start > total:
            return records


def test_deterministic_for_a_day_and_different_across_days(site):
    again = build_site(TODAY)
    assert again.pages.keys() == site.pages.keys()
    assert all(again.pages[k] == site.pages[k] for k in site.pages)
    other = build_site(TODAY + dt.timedelta(days=1))
    assert other.get("/index.html").body != site.get("/index.html").body


def test_nothing_is_published_after_today(site):
    for path, page in site.pages.items():
        if page.last_modified:
            assert page.last_modified <= dt.datetime.combine(TODAY, dt.time(23, 59)), path
        m = re.search(r"/t(\d{8})_\d+\.html$", path) or re.search(r"/art/(\d{4}/\d{1,2}/\d{1,2})/", path)
        if m:
            parts = m.group(1).split("/") if "/" in m.group(1) else (m.group(1)[:4], m.group(1)[4:6], m.group(1)[6:])
            assert dt.date(*map(int, parts)) <= TODAY, path


def test_stale_weekly_column_newest_is_three_weeks_old(site):
    planted = site.planted
    first = list_dates(site, planted.stale_list_url)
    assert first, "the 工作动态 list has items"
    newest = max(first)
    assert newest == planted.stale_newest
    assert (TODAY - newest).days >= 21
    # Pagination: TRS createPageHTML and index_k.html pages, older items further back.
    page = text(site, planted.stale_list_url)
    count = int(re.search(r'createPageHTML\((\d+), 0, "index", "html"\)', page).group(1))
    assert count >= 3
    for k in range(1, count):
        other = text(site, f"/zwdt/gzdt/index_{k}.html")
        assert f'createPageHTML({count}, {k}, "index", "html")' in other
        assert max(list_dates(site, f"/zwdt/gzdt/index_{k}.html")) < min(first)
    assert site.get(f"/zwdt/gzdt/index_{count}.html") is None


def test_other_columns_are_fresh(site):
    for path in ("/zwgk/tzgg/index.html", "/bm/czj/czsz/index.html", "/bm/fgj/zdxm/index.html"):
        assert (TODAY - max(list_dates(site, path))).days <= 40, path


def test_last_months_dibao_list_is_absent(site):
    planted = site.planted
    records = hanweb_records(site, 1001)
    titles = [re.search(r'title="([^"]+)"', r).group(1) for r in records]
    dates = [dt.date.fromisoformat(re.search(r"<span[^>]*>([\d-]+)</span>", r).group(1)) for r in records]
    assert len(records) > 45, "more records than the embedded first group, so dataproxy is needed"
    assert planted.missing_dibao_title not in titles
    assert planted.missing_dibao_title == "2026年9月城乡低保发放情况"
    assert "2026年10月城乡低保发放情况" in titles and "2026年8月城乡低保发放情况" in titles
    assert not [d for d in dates if (d.year, d.month) == (2026, 10)], "nothing published last month"
    assert all(re.fullmatch(r"\d{4}年\d{1,2}月城乡低保发放情况", t) for t in titles)
    # Records are newest first and unique; every record links to a served article.
    assert dates == sorted(dates, reverse=True)
    for r in records:
        href = re.search(r'href="([^"]+)"', r).group(1)
        assert re.fullmatch(r"/art/\d{4}/[1-9]\d?/[1-9]\d?/art_1001_\d+\.html", href)
        assert site.get(href) is not None


def test_annual_report_for_last_year_is_absent(site):
    page = text(site, site.planted.annual_report_list_url)
    assert site.planted.missing_annual_report_year == 2025
    assert "2025年政府信息公开工作年度报告" not in page
    assert "2024年政府信息公开工作年度报告" in page


def test_broken_link_and_soft_404(site):
    planted = site.planted
    article = text(site, planted.broken_link_page)
    target = planted.broken_link_target
    hrefs = [urljoin(planted.broken_link_page, h) for h in re.findall(r'href="([^"]+)"', article)]
    assert target in hrefs
    assert site.get(target) is None
    article = text(site, planted.soft404_page)
    assert f'href="{SOFT404_PATH}"' in article
    redirect = site.get(SOFT404_PATH)
    assert redirect.status == 302 and redirect.location == "/"
    assert site.get("/").status == 200


def test_id_number_leak_is_valid_and_the_rest_masked(site):
    planted = site.planted
    page = text(site, planted.id_leak_page)
    full = re.findall(r"(?<![\d*])\d{17}[\dX](?![\d*])", page)
    assert full == [planted.id_leak_number]
    assert gb11643_ok(full[0])
    assert int(full[0][6:10]) in range(1900, 2010)
    masked = re.findall(r"\d{4}\*{10}\d{3}[\dX]", page)
    assert len(masked) == 7
    wb = load_workbook(io.BytesIO(site.get(planted.id_leak_attachment).body))
    cells = [str(c) for row in wb.active.iter_rows(values_only=True) for c in row if c is not None]
    assert planted.id_leak_number in cells
    # Other 低保 pages show masked numbers only.
    for path in site.pages:
        if path.startswith("/art/") and "art_1001_" in path and path != planted.id_leak_page:
            assert not re.search(r"(?<![\d*])\d{17}[\dX](?![\d*])", text(site, path)), path


def test_gbk_section_is_really_gbk(site):
    for path in [site.planted.gbk_list_url] + [p for p in site.pages if p.startswith("/bm/tjj/tjyb/2") and p.endswith(".html")][:3]:
        page = site.get(path)
        assert page.content_type == "text/html; charset=GBK"
        with pytest.raises(UnicodeDecodeError):
            page.body.decode("utf-8")
        decoded = page.body.decode("gbk")
        assert '<meta charset="gbk">' in decoded
        assert "统计月报" in decoded


def test_hanweb_article_metas_and_xxgk_table(site):
    path = site.planted.id_leak_page
    tree = lxml_html.fromstring(text(site, path))
    metas = {m.get("name"): m.get("content") for m in tree.xpath("//meta[@name]")}
    for name in ("SiteName", "SiteDomain", "SiteIDCode", "ColumnName", "ArticleTitle", "PubDate", "ContentSource"):
        assert metas.get(name), name
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", metas["PubDate"])
    assert f"发布日期：{metas['PubDate'][:10]}" in text(site, path)
    assert metas["Maketime"] != metas["PubDate"]
    zcwj = [p for p in site.pages if p.startswith("/zwgk/zcwj/2")]
    assert zcwj
    page = text(site, zcwj[0])
    for label in ("索", "发布机构", "文　　号", "成文日期", "发布日期", "有&ensp;效&ensp;性"):
        assert label in page
    assert 'class="TRS_Editor"' in page
    written = re.search(r"成文日期：</th><td>([\d-]+)", page).group(1)
    published = re.search(r"发布日期：</th><td>([\d-]+)", page).group(1)
    assert written < published


def test_attachments_are_real_files(site):
    pdfs = [p for p in site.pages if p.endswith(".pdf")]
    xlsxs = [p for p in site.pages if p.endswith(".xlsx")]
    assert pdfs and xlsxs
    pdf = site.get(pdfs[0])
    assert pdf.body.startswith(b"%PDF") and b"STSong-Light" in pdf.body
    assert pdf.content_type == "application/pdf"
    wb = load_workbook(io.BytesIO(site.get(xlsxs[0]).body))
    assert wb.active.max_row >= 3


def test_every_internal_link_resolves_except_the_planted_one(site):
    broken = set()
    for path, page in site.pages.items():
        if not page.content_type.startswith("text/html") or page.status != 200:
            continue
        body = page.body.decode(page.content_type.split("charset=")[-1])
        for href in re.findall(r'(?:href|src)="([^"]+)"', body):
            if href.startswith(("javascript:", "#")):
                continue
            url = urlsplit(urljoin(path, href))
            assert not url.netloc, f"{path} links off-site: {href}"
            if site.get(url.path) is None:
                broken.add(url.path)
    assert broken == {site.planted.broken_link_target}


def test_robots_allows_crawling(site):
    from urllib.robotparser import RobotFileParser

    rp = RobotFileParser()
    rp.parse(site.get("/robots.txt").body.decode().splitlines())
    for path in ("/", "/zwdt/gzdt/index.html", "/col/col1001/index.html", "/module/web/jpage/dataproxy.jsp"):
        assert rp.can_fetch("zwgk-monitor", f"http://127.0.0.1{path}")


def test_home_page_lists_recent_items_and_nav(site):
    tree = lxml_html.fromstring(text(site, "/"))
    recent = tree.xpath("//div[@id='recent']//li")
    assert len(recent) >= 8
    newest = max(dt.date.fromisoformat(d) for d in tree.xpath("//div[@id='recent']//span/text()"))
    assert (TODAY - newest).days <= 7
    nav = tree.xpath("//div[@id='nav']//a/text()")
    assert {"工作动态", "通知公告", "区民政局", "区财政局", "区统计局", "区发改局"} <= set(nav)
