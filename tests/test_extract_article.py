"""Article parsing and link extraction on the project's own fixture."""

from __future__ import annotations

import datetime as dt

from conftest import FILES

from crawler.extract.article import parse_article
from crawler.extract.links import extract_links

PAGE = (FILES / "extract" / "xxgk_table_article.html").read_text(encoding="utf-8")
URL = "http://www.example.gov.cn/zwgk/zfxxgk/fdzdgknr/202609/t20260930_555.html"
BASE = "http://www.example.gov.cn/zwgk/zfxxgk/fdzdgknr/"


def test_xxgk_td_layout_and_page_date() -> None:
    art = parse_article(PAGE, URL)
    assert art.title == "示例县人民政府关于印发示例县2026年政务公开工作要点的通知"
    assert art.xxgk["索引号"] == "11370100MB0000000X/2026-00012"
    assert art.xxgk["主题分类"] == "综合政务"
    assert art.publisher == "示例县人民政府办公室"
    assert art.doc_number == "示政发〔2026〕8号"
    assert art.validity == "有效"
    assert art.written_date == dt.date(2026, 9, 25)
    assert art.published_date == dt.date(2026, 9, 28)
    # no PubDate meta: the table's 发布日期 (never Maketime / HtmlGenerateTime / 页面生成时间)
    assert art.pubdate == dt.datetime(2026, 9, 28) and art.pubdate_source == "xxgk"
    assert art.meta["siteidcode"] == "3701000001"  # the first NON-EMPTY duplicate


def test_visible_date_ignores_alt_attribute() -> None:
    start, end = PAGE.index('<div class="xxgk-table">'), PAGE.index("<h1>")
    page = PAGE[:start] + PAGE[end:]  # an ordinary article: no 信息公开 table
    art = parse_article(page, URL)
    assert art.xxgk == {}
    assert art.pubdate == dt.datetime(2026, 9, 28, 16, 30) and art.pubdate_source == "page"


def test_body_text_and_attachments() -> None:
    art = parse_article(PAGE, URL)
    assert art.text.startswith("各镇人民政府、街道办事处，县政府各部门：")
    assert "不是正文" not in art.text
    assert [(a.url, a.ext) for a in art.attachments] == [
        (BASE + "P020260928123456.pdf", "pdf"),  # body and attachment block: once, resolved against <base>
        ("http://www.example.gov.cn/zwgk/xxgk/files/分工表.xlsx", "xlsx"),
        ("http://www.example.gov.cn/download.jsp?id=99", "docx"),  # extension from the link text
        (BASE + "P020260928999999.ofd", "ofd"),
    ]
    assert art.attachments[0].name == "示例县2026年政务公开工作要点.pdf"


def test_extract_links_kinds_base_and_filters() -> None:
    links = extract_links(PAGE, URL)
    by_url = {link.url: link for link in links}
    assert len(by_url) == len(links)  # deduplicated
    assert by_url["http://www.example.gov.cn/"].kind == "a"
    assert by_url["http://www.example.gov.cn/css/style.css"].kind == "css"
    assert by_url["http://www.example.gov.cn/js/common.js"].kind == "script"
    assert by_url["http://www.example.gov.cn/images/logo.png"].kind == "img"
    assert by_url[BASE + "P020260928123456.pdf"].kind == "attachment"
    assert by_url[BASE + "P020260928123456.pdf"].text == "示例县2026年政务公开工作要点.pdf"
    assert by_url["http://www.example.gov.cn/video/player.html"].kind == "a"
    assert all(link.url.startswith(("http://", "https://")) for link in links)
    assert not any("{{" in link.url or "#" in link.url or "javascript" in link.url for link in links)
    assert not any(link.url.startswith("mailto") for link in links)


def test_garbage_article_does_not_raise() -> None:
    for text in ("", "<html>", "\x00", "<p>无日期的页面</p>"):
        art = parse_article(text, "http://www.example.gov.cn/a.html")
        assert art.pubdate is None and art.pubdate_source is None and art.attachments == []


def test_xxgk_li_layout_source_is_not_the_publisher() -> None:
    page = """<html><body><ul class="xxgk">
      <li>信息来源：<span>县财政局</span></li><li>索&ensp;引&ensp;号：<font>X-2026-1</font></li>
      <li>发文机关：<font>县人民政府</font></li><li>成文日期：<font>2026年9月1日</font></li>
      <li>有&ensp;效&ensp;性：<em>失效</em></li></ul><div id="zoom"><p>正文</p></div></body></html>"""
    art = parse_article(page, URL)
    assert art.publisher == "县人民政府" and art.xxgk["信息来源"] == "县财政局"
    assert art.written_date == dt.date(2026, 9, 1) and art.validity == "失效"
    assert art.published_date is None and art.pubdate_source == "url"  # only the URL t20260930 is left
    assert art.pubdate == dt.datetime(2026, 9, 30)
