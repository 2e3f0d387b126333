"""Issue 3 details pinned directly: PubDate meta names in any case and its formats, dates that are not
publication dates, template placeholders in generic lists, and the full title attribute."""

from __future__ import annotations

import datetime as dt

import pytest

from crawler.extract.article import parse_article
from crawler.extract.lists import parse_list

URL = "http://www.example.gov.cn/zwgk/tzgg/202611/t20261120_1.html"


def _article(head: str, body: str = "<p>正文。</p>") -> str:
    return f"<html><head><title>通知</title>{head}</head><body>{body}</body></html>"


@pytest.mark.parametrize("name", ["PubDate", "pubdate", "PUBDATE", "Pubdate"])
@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("2016-11-22 09:53", dt.datetime(2016, 11, 22, 9, 53)),
        ("2025-03-27 09:36:38", dt.datetime(2025, 3, 27, 9, 36, 38)),
        ("2007-08-20-23:59:59", dt.datetime(2007, 8, 20, 23, 59, 59)),
    ],
)
def test_pubdate_meta_any_case_and_format(name: str, content: str, expected: dt.datetime) -> None:
    art = parse_article(_article(f'<meta name="{name}" content="{content}">'), URL)
    assert (art.pubdate, art.pubdate_source) == (expected, "meta")


def test_generation_times_are_never_the_publication_date() -> None:
    head = ('<meta name="Maketime" content="2019-03-22 12:28:37">'
            '<meta name="HtmlGenerateTime" content="2025-06-06 11:38:50">'
            '<meta name="others" content="页面生成时间 2025-11-24 15:09:57">')
    body = ('<span alt="时间：2017-11-08 20:26" title="2018-01-01"><i>时间：</i></span>'
            "<p>正文。</p><div class='footer'>页面生成时间：2025-11-24 15:09:57</div>")
    art = parse_article(_article(head, body), URL)
    assert (art.pubdate, art.pubdate_source) == (dt.datetime(2026, 11, 20), "url")  # only the URL is left


def test_visible_date_beats_the_url() -> None:
    art = parse_article(_article("", "<div class='info'>发布日期：2026-11-18</div><p>正文。</p>"), URL)
    assert (art.pubdate, art.pubdate_source) == (dt.datetime(2026, 11, 18), "page")


def test_generic_list_skips_template_placeholders_and_prefers_the_title_attribute() -> None:
    html = """<html><body><div class="list"><ul>
    <li><a href="{{pcUrl}}" title="{{title}}">{{title}}</a><span>{{pubDate}}</span></li>
    <li ms-repeat="list"><a ms-attr-href="el.chnldocurl" href="">{{el.doctitle}}</a><span>2026-11-02</span></li>
    <li><a href="./202611/t20261101_1.html" title="关于开展2026年秋季安全生产大检查的通知">关于开展2026年秋季安全...</a>
        <span>2026-11-01</span></li>
    <li><a href="./202610/t20261001_2.html">第二条通知</a><span>2026-10-01</span></li>
    </ul></div></body></html>"""
    page = parse_list(html, "http://www.example.gov.cn/zwgk/tzgg/index.html")
    assert [(i.title, i.url.rsplit("/", 1)[-1], i.date) for i in page.items] == [
        ("关于开展2026年秋季安全生产大检查的通知", "t20261101_1.html", dt.date(2026, 11, 1)),
        ("第二条通知", "t20261001_2.html", dt.date(2026, 10, 1)),
    ]
