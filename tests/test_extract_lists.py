"""List adapters on the project's own fixtures (tests/files/extract/)."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import parse_qs, urlsplit

from conftest import FILES

from crawler.extract.lists import detect_cms, parse_fujian_search, parse_hanweb_dataproxy, parse_list

EX = FILES / "extract"
HANWEB_URL = "http://www.example.gov.cn/col/col33718/index.html"
TRS_URL = "http://www.example.gov.cn/zwgk/zcwj/index.html"
GENERIC_URL = "http://xian.example.gov.cn/zwgk/gzdt/list_1.htm"


def test_hanweb_datastore_records_and_dataproxy_groups() -> None:
    text = (EX / "hanweb_col.html").read_text(encoding="utf-8")
    assert detect_cms(text, HANWEB_URL) == "hanweb"
    page = parse_list(text, HANWEB_URL)
    assert page.adapter == "hanweb"
    assert [i.title for i in page.items] == [
        "关于开展2026年秋季安全生产大检查的通知",  # a@title wins over the truncated text
        "示例区2026年8月财政收支情况",
        "示例区第三季度重大项目进展",
    ]
    assert page.items[0].url == "http://www.example.gov.cn/art/2026/9/11/art_33718_11828204.html"
    assert page.items[0].date == dt.date(2026, 9, 11) and page.items[0].date_source == "list"
    # no date beside the third item: the /art/2026/8/28/ URL is the last resort
    assert page.items[2].date == dt.date(2026, 8, 28) and page.items[2].date_source == "url"
    # nav links are not items
    assert all("/col/" not in i.url for i in page.items)
    assert page.declared_total == 100 and page.page_count == 7 and page.per_page == 15
    assert page.pagination_method == "hanweb_dataproxy"
    # records 4..100 in groups of 45 (3 pages x 15)
    reqs = page.next_requests
    assert [parse_qs(urlsplit(r.url).query)["startrecord"][0] for r in reqs] == ["4", "49", "94"]
    assert [parse_qs(urlsplit(r.url).query)["endrecord"][0] for r in reqs] == ["48", "93", "138"]
    assert [r.page_index for r in reqs] == [1, 4, 7]  # always after the column page (index 0)
    assert all(r.method == "POST" for r in reqs)
    assert reqs[0].url.startswith("http://www.example.gov.cn/module/web/jpage/dataproxy.jsp?")
    form = parse_qs(reqs[0].body)
    assert form["columnid"] == ["33718"] and form["unitid"] == ["212860"] and form["webid"] == ["7"]
    assert form["col"] == ["1"] and form["sourceContentType"] == ["1"] and form["webname"] == ["示例区"]
    assert "page" not in form
    assert reqs[0].headers["Content-Type"].startswith("application/x-www-form-urlencoded")


def test_hanweb_dataproxy_answer() -> None:
    text = (EX / "hanweb_dataproxy.xml").read_text(encoding="utf-8")
    url = "http://www.example.gov.cn/module/web/jpage/dataproxy.jsp?startrecord=46&endrecord=90&perpage=15"
    body = "col=1&appid=1&webid=7&path=%2F&columnid=33718&sourceContentType=1&unitid=212860&permissiontype=0"
    page = parse_hanweb_dataproxy(text, url, request_body=body)
    assert page.declared_total == 100
    assert [i.date for i in page.items] == [dt.date(2026, 3, 2), dt.date(2026, 2, 27)]
    assert page.items[1].title == "关于春节期间值班安排的通知"
    assert page.items[0].url == "http://www.example.gov.cn/art/2026/3/2/art_33718_11700001.html"
    assert [r.url.split("?")[1] for r in page.next_requests] == ["startrecord=91&endrecord=135&perpage=15"]
    assert page.next_requests[0].body == body
    # auto-detection routes a dataproxy URL to the same parser
    assert parse_list(text, url).declared_total == 100
    # the last group: nothing further
    last = parse_hanweb_dataproxy(text, url.replace("startrecord=46&endrecord=90", "startrecord=91&endrecord=135"),
                                  request_body=body)
    assert last.next_requests == []


def test_trs_create_page_html_list() -> None:
    text = (EX / "trs_list.html").read_text(encoding="utf-8")
    assert detect_cms(text, TRS_URL) == "trs"
    page = parse_list(text, TRS_URL)
    assert page.adapter == "trs"
    assert [i.url for i in page.items] == [
        "http://www.example.gov.cn/zwgk/zcwj/202609/t20260910_123456.html",
        "http://www.example.gov.cn/zwgk/zcwj/202609/t20260901_123400.html",
        "http://www.example.gov.cn/zdlyxxgk/202608/t20260815_123001.html",
    ]
    assert page.items[0].title == "示例市人民政府关于印发示例市优化营商环境若干措施的通知"
    # the list date, not the URL date (t20260910)
    assert page.items[0].date == dt.date(2026, 9, 8) and page.items[0].date_source == "list"
    assert page.page_count == 4
    assert page.pagination_method == "trs_index"
    assert [r.url.rsplit("/", 1)[1] for r in page.next_requests] == ["index_1.html", "index_2.html", "index_3.html"]
    assert [r.page_index for r in page.next_requests] == [1, 2, 3]


def test_trs_later_page_lists_the_others_and_shtml() -> None:
    text = (EX / "trs_list.html").read_text(encoding="utf-8").replace(
        'createPageHTML(4, 0, "index", "html")', 'createPageHTML(3, 2, "index", "shtml")')
    page = parse_list(text, "http://www.example.gov.cn/zwgk/zcwj/index_2.shtml")
    assert [r.url for r in page.next_requests] == [
        "http://www.example.gov.cn/zwgk/zcwj/index.shtml", "http://www.example.gov.cn/zwgk/zcwj/index_1.shtml"]


def test_generic_list_next_link_and_friend_links_excluded() -> None:
    text = (EX / "generic_list.html").read_text(encoding="utf-8")
    assert detect_cms(text, GENERIC_URL) == "generic"
    page = parse_list(text, GENERIC_URL)
    assert page.adapter == "generic"
    assert [(i.title, i.date) for i in page.items] == [
        ("县政府召开第十次常务会议", dt.date(2026, 9, 15)),
        ("县领导督导检查秋季开学工作", dt.date(2026, 9, 12)),
        ("全县召开安全生产工作会议", dt.date(2026, 9, 1)),
    ]
    assert page.items[0].url == "http://xian.example.gov.cn/zwgk/gzdt/2026/0915/c123.htm"
    assert page.pagination_method == "next_link"
    assert [r.url for r in page.next_requests] == ["http://xian.example.gov.cn/zwgk/gzdt/list_2.htm"]


def test_fujian_search_api_answer_and_following_page() -> None:
    answer = {"page": 6, "pageCount": 8, "total": 107, "docs": [
        {"doctitle": "区公安局2021年第一季度易制毒化学品抽查情况", "chnldocurl":
         "https://www.pingtan.gov.cn/zwgk/ghxx/gzjzqk/202104/t20210416_25620.htm", "docreltime": "2021-04-15 10:00:00"},
        {"doctitle": "<em>平潭</em>2020年第四季度抽查情况", "chnldocurl": "./202012/t20201230_1.htm",
         "docreltime": 1609286400000},
    ]}
    url = "https://www.pingtan.gov.cn/fjdzapp/search?channelid=200210&classsql=chnlid%3D1780&page=6&prepage=15"
    page = parse_fujian_search(json.dumps(answer, ensure_ascii=False), url)
    assert page.declared_total == 107 and page.page_count == 8
    assert page.items[0].date == dt.date(2021, 4, 15)
    assert page.items[1].title == "平潭2020年第四季度抽查情况"
    assert page.items[1].url == "https://www.pingtan.gov.cn/fjdzapp/202012/t20201230_1.htm"
    assert page.items[1].date == dt.date(2020, 12, 30)  # epoch ms read in Asia/Shanghai
    assert [r.page_index for r in page.next_requests] == [6]
    assert parse_qs(urlsplit(page.next_requests[0].url).query)["page"] == ["7"]
    assert parse_list(json.dumps(answer), url).adapter == "trs_fujian"  # routed by URL + JSON body
    last = parse_fujian_search(json.dumps(answer), url.replace("page=6", "page=8"))
    assert last.next_requests == []


def test_gansu_search_fragment() -> None:
    fragment = """<ul id="body">
      <li><div class="title"><a href="/fzgg/c106110/202511/174300001.shtml" title="关于征求意见的公告">关于征求意见的公告</a></div>
          <div class="date">2025-11-20</div></li>
      <li><div class="title"><a href="/fzgg/c106110/202511/174300000.shtml">关于印发实施方案的通知</a></div>
          <div class="date">2025-11-18</div></li></ul>"""
    url = "https://fzgg.gansu.gov.cn/common/search/203df409225e451a8ebf743d3f176ed3?_pageSize=20&page=2"
    page = parse_list(fragment, url)
    assert page.adapter == "gansu"
    assert [(i.url, i.date) for i in page.items] == [
        ("https://fzgg.gansu.gov.cn/fzgg/c106110/202511/174300001.shtml", dt.date(2025, 11, 20)),
        ("https://fzgg.gansu.gov.cn/fzgg/c106110/202511/174300000.shtml", dt.date(2025, 11, 18)),
    ]
    # a short page is the last one; a full page proposes the next
    assert page.next_requests == []
    full = parse_list(fragment, url.replace("_pageSize=20", "_pageSize=2"))
    assert [(r.page_index, parse_qs(urlsplit(r.url).query)["page"]) for r in full.next_requests] == [(2, ["3"])]


def test_empty_and_garbage_input_do_not_raise() -> None:
    for text in ("", "<html></html>", "\x00\x01", '<?xml version="1.0" encoding="utf-8"?><html></html>'):
        page = parse_list(text, "http://www.example.gov.cn/")
        assert page.items == [] and page.next_requests == []


def test_generic_prefers_content_over_a_larger_footer_block() -> None:
    items = "".join(f'<li><a href="/a/{i}.html">标题{i}</a><span>2026-09-0{i}</span></li>' for i in range(1, 5))
    footer = "".join(f'<li><a href="/f/{i}">链接{i}</a>2026-01-0{i}</li>' for i in range(1, 9))
    page = f'<html><body><div class="page_list"><ul>{items}</ul></div><div class="footer"><ul>{footer}</ul></div></body></html>'
    result = parse_list(page, "http://x.example.gov.cn/l/")
    assert [i.url for i in result.items] == [f"http://x.example.gov.cn/a/{i}.html" for i in range(1, 5)]
