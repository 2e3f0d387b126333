"""Every real page in ../shared/corpus/real with expected values in SOURCES.md, asserted exactly."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from crawler.extract.antibot import detect_block
from crawler.extract.article import parse_article
from crawler.extract.decode import decode_body
from crawler.extract.links import extract_links
from crawler.extract.lists import detect_cms, parse_list

pytestmark = pytest.mark.corpus

JIANGXI = "kaipuyun-ucap/jiangxi-sthjt_col42150_index_ucap-list.html"
JIANGXI_URL = "https://sthjt.jiangxi.gov.cn/jxssthjt/col/col42150/index.html"
PINGTAN_LIST = "trs-fujian-jyh/pingtan_ghxx-gzjzqk_list_index.EXCERPT.html"
PINGTAN_LIST_URL = "https://www.pingtan.gov.cn/zwgk/ghxx/gzjzqk/"
PINGTAN_DIBAO = "trs-fujian-jyh/pingtan_cxdb_t20221104_38205_dibao-huamingce.EXCERPT.html"
PINGTAN_DIBAO_URL = "https://www.pingtan.gov.cn/zwgk/zdlyxxgk/shbz/shjz/cxdb/202211/t20221104_38205.htm"
PINGTAN_XXGK = "trs-fujian-jyh/pingtan_xxgk-hzgfxwj_t20251028_102272_suoyinhao.EXCERPT.html"
PINGTAN_XXGK_URL = "https://www.pingtan.gov.cn/zwgk/zfxxgk/gwhwj/hzgfxwj/202510/t20251028_102272.htm"
GANSU_LIST = "gansu-jyh/gansu-jyt_c110634_zwgklist.shtml"
GANSU_LIST_URL = "http://jyt.gansu.gov.cn/jyt/c110634/zwgklist.shtml"
GANSU_ART = "gansu-jyh/gansu-fzgg_tzgg_article.html"
GANSU_ART_URL = "https://fzgg.gansu.gov.cn/fzgg/tzgg/202503/174084153.shtml"  # per-document folder 174084153/
ZJ = "hanweb/zj-fgw_art_1621004_30332664.html"
ZJ_URL = "http://fgw.zj.gov.cn/art/2016/11/22/art_1621004_30332664.html"
GOVCN = "kaipuyun-ucap/gov-cn_gongbao_2007-23_content_711039.html"
GOVCN_URL = "https://www.gov.cn/gongbao/content/2007/content_711039.htm"
SHANXI = "trs/shanxi-gov_yw_t20190918_693227.shtml"
SHANXI_URL = "http://www.shanxi.gov.cn/yw/sxyw/201909/t20190918_693227.shtml"


def read(corpus: Path, name: str) -> str:
    text, encoding = decode_body((corpus / name).read_bytes(), "text/html")
    assert encoding == "utf-8"
    return text


def drop_meta(text: str, name: str) -> str:
    """The page without one <meta name=…> (to exercise the next date source)."""
    out, n = re.subn(rf"""<meta\s+name=["']{name}["'][^>]*>""", "", text, flags=re.I)
    assert n >= 1
    return out


# ---- lists -------------------------------------------------------------------------------------------

def test_jiangxi_ucap_list(corpus_dir: Path) -> None:
    text = read(corpus_dir, JIANGXI)
    assert detect_cms(text, JIANGXI_URL) == "ucap"
    page = parse_list(text, JIANGXI_URL)
    assert page.adapter == "ucap"
    assert len(page.items) == 50
    assert page.declared_total == 444
    first, last = page.items[0], page.items[-1]
    assert first.title == "《江西省生态环境分类执法监管办法》政策解读"
    assert first.date == dt.date(2025, 7, 29) and first.date_source == "list"
    assert first.url == ("https://sthjt.jiangxi.gov.cn/jxssthjt/col/col42150/content/"
                         "content_1951206363677671424.html")
    assert last.date == dt.date(2022, 12, 16)
    assert [a.url for a in first.attachments] == [
        "https://sthjt.jiangxi.gov.cn/doc/ucap/1749973237782081536/document/20250801/WKgZu66N.pdf"]
    assert first.attachments[0].ext == "pdf"
    # the Handlebars template ({{pcUrl}}, {{title}}) is never an item
    assert all("{{" not in i.url and "{{" not in i.title for i in page.items)
    assert page.pagination_method == "ucap_pagenum"
    assert page.per_page == 15 and page.page_count == 30
    assert page.next_requests[0].url == JIANGXI_URL + "?uid=380055&pageNum=2"
    assert page.next_requests[-1].url == JIANGXI_URL + "?uid=380055&pageNum=30"


def test_pingtan_fujian_list(corpus_dir: Path) -> None:
    text = read(corpus_dir, PINGTAN_LIST)
    assert detect_cms(text, PINGTAN_LIST_URL) == "trs_fujian"
    page = parse_list(text, PINGTAN_LIST_URL)
    assert page.adapter == "trs_fujian"
    assert len(page.items) == 15
    assert page.declared_total == 107
    urls = [i.url for i in page.items]
    assert len(set(urls)) == 15
    # hrefs into other columns are resolved against the page URL, not assumed to be siblings
    assert urls[0] == "https://www.pingtan.gov.cn/zwgk/zdlyxxgk/ssjygk/sjccjg/202511/t20251111_103189.htm"
    assert "https://www.pingtan.gov.cn/zwgk/ghxx/gzjzqk/202503/t20250321_97999.htm" in urls
    assert page.items[0].title.startswith("平潭综合实验区社会事业局关于2025年中小学教育装备产品")
    assert page.items[0].date == dt.date(2025, 11, 11) and page.items[0].date_source == "list"
    # the list date wins over the URL date (t20250408 listed as 2025-04-03)
    item = next(i for i in page.items if "t20250408_98328" in i.url)
    assert item.date == dt.date(2025, 4, 3)
    # avalon placeholders (ms-attr-href) never become items
    assert all("el." not in u for u in urls)
    # pages 6..8 only exist behind the search API
    assert page.page_count == 8
    assert page.pagination_method == "fjdzapp_search"
    assert [r.page_index for r in page.next_requests] == [5, 6, 7]
    first = page.next_requests[0]
    assert first.method == "GET" and first.url.startswith("https://www.pingtan.gov.cn/fjdzapp/search?")
    query = parse_qs(urlsplit(first.url).query)
    assert query["channelid"] == ["200210"] and query["classsql"] == ["chnlid=1780"]
    assert query["page"] == ["6"] and query["prepage"] == ["15"]
    assert query["sortfield"] == ["-docorderpri,-docreltime"]


def test_gansu_list_items_inside_comment(corpus_dir: Path) -> None:
    text = read(corpus_dir, GANSU_LIST)
    assert detect_cms(text, GANSU_LIST_URL) == "gansu"
    page = parse_list(text, GANSU_LIST_URL)
    assert page.adapter == "gansu"
    assert len(page.items) == 20
    assert page.declared_total == 200
    assert page.page_count == 10
    assert page.items[0].date == dt.date(2025, 11, 17)
    assert page.items[-1].date == dt.date(2025, 6, 9)
    assert page.items[0].url == "http://jyt.gansu.gov.cn/jyt/c110634/202511/174240943.shtml"
    assert page.items[0].title == "关于开展2024年全域全员全过程使用智慧教育平台专项研究课题结项工作的通知"
    assert all("erji_" not in i.url for i in page.items)
    assert all(i.date_source == "list" for i in page.items)
    assert page.pagination_method == "gansu_search"
    assert len(page.next_requests) == 9
    assert page.next_requests[0].url == ("http://jyt.gansu.gov.cn/common/search/e5eb2abb5014415399847ba2bb99b31f"
                                         "?_pageSize=20&_template=index&_isJson=false&page=2")


# ---- articles ----------------------------------------------------------------------------------------

def test_zhejiang_hanweb_article(corpus_dir: Path) -> None:
    text = read(corpus_dir, ZJ)
    art = parse_article(text, ZJ_URL)
    assert art.title == "1-10月德清县固定资产投资结构趋稳趋优"
    assert art.pubdate == dt.datetime(2016, 11, 22, 9, 53)
    assert art.pubdate_source == "meta"
    assert art.meta["contentsource"] == "省发改委"
    assert art.meta["columnname"] == "投资运行"
    assert art.meta["maketime"] == "2019-03-22 12:28:37"  # kept as a meta, never used as the pubdate
    assert "siteidcode" not in art.meta  # empty content is not a value
    assert art.text.startswith("1-10月，全县固定资产投资完成246.79亿元")
    assert art.attachments == []
    assert art.xxgk == {}


def test_zhejiang_without_pubdate_uses_visible_date_not_maketime(corpus_dir: Path) -> None:
    art = parse_article(drop_meta(read(corpus_dir, ZJ), "PubDate"), ZJ_URL)
    assert art.pubdate == dt.datetime(2016, 11, 22)
    assert art.pubdate_source == "page"


def test_govcn_firstpublishedtime_and_stray_html_end(corpus_dir: Path) -> None:
    art = parse_article(read(corpus_dir, GOVCN), GOVCN_URL)
    assert art.title == "全国人民代表大会常务委员会关于批准财政部发行特别国债购买外汇及调整2007年末国债余额限额的决议"
    assert art.pubdate == dt.datetime(2007, 8, 20, 23, 59, 59)
    assert art.pubdate_source == "meta"
    # the body after the stray </html> is still read
    assert "第十届全国人民代表大会常务委员会第二十八次会议" in art.text
    assert "页面生成时间" not in art.text
    links = {link.url for link in extract_links(read(corpus_dir, GOVCN), GOVCN_URL)}
    assert "https://www.gov.cn/gongbao/currentissue.htm" in links  # a link after the stray </html>


def test_shanxi_trs_article_and_alt_trap(corpus_dir: Path) -> None:
    text = read(corpus_dir, SHANXI)
    assert detect_cms(text, SHANXI_URL) == "trs"
    art = parse_article(text, SHANXI_URL)
    assert art.title == "山西品牌丝路行（南美站）正式启动"
    assert art.pubdate == dt.datetime(2019, 9, 18, 6, 23) and art.pubdate_source == "meta"
    assert art.meta["siteidcode"] == "1400000045"
    assert art.meta["contentsource"] == "山西日报"
    assert "createPageHTML" not in art.text
    # without the meta: the visible text, never the stale alt="时间：2017-11-08 20:26"
    bare = parse_article(drop_meta(text, "PubDate"), SHANXI_URL)
    assert bare.pubdate == dt.datetime(2019, 9, 18, 6, 23)
    assert bare.pubdate_source == "page"


def test_pingtan_dibao_inline_xls_attachment(corpus_dir: Path) -> None:
    art = parse_article(read(corpus_dir, PINGTAN_DIBAO), PINGTAN_DIBAO_URL)
    assert art.title == "2022年10月城乡低保及特困人员发放花名册"
    assert art.pubdate == dt.datetime(2022, 10, 25, 9, 5)  # not the URL's 20221104
    assert art.pubdate_source == "meta"
    assert art.meta["contentsource"] == "平潭综合实验区社会事业局"
    assert [(a.url, a.name, a.ext) for a in art.attachments] == [
        ("https://www.pingtan.gov.cn/ptwzq/ewebeditor/uploadfile/2022/11/04/20221104090541545.xls",
         "2022年10月发放.xls", "xls")]
    bare = parse_article(drop_meta(read(corpus_dir, PINGTAN_DIBAO), "PubDate"), PINGTAN_DIBAO_URL)
    assert bare.pubdate == dt.datetime(2022, 10, 25, 9, 5) and bare.pubdate_source == "page"


def test_pingtan_xxgk_index_table(corpus_dir: Path) -> None:
    art = parse_article(read(corpus_dir, PINGTAN_XXGK), PINGTAN_XXGK_URL)
    assert art.title == "平潭综合实验区管委会关于废止一批文件的决定"
    assert art.xxgk["索引号"] == "PZ00101-1700-2025-00660"
    assert art.xxgk["主题分类"] == "无"
    assert art.xxgk["发布机构"] == "平潭综合实验区管委会"
    assert art.xxgk["成文日期"] == "2025-07-02"
    assert art.xxgk["文号"] == "岚综管规〔2025〕3号"
    assert art.xxgk["发布日期"] == "2025-07-02"
    assert art.xxgk["有效性"] == "有效"
    assert art.doc_number == "岚综管规〔2025〕3号"
    assert art.validity == "有效"
    assert art.publisher == "平潭综合实验区管委会"  # 发文机关, not the source meta (市场监督管理局)
    assert art.written_date == dt.date(2025, 7, 2)
    assert art.published_date == dt.date(2025, 7, 2)
    assert art.pubdate == dt.datetime(2025, 7, 2, 12, 52) and art.pubdate_source == "meta"
    assert [(a.url, a.ext) for a in art.attachments] == [
        ("https://www.pingtan.gov.cn/zwgk/zfxxgk/gwhwj/hzgfxwj/202510/P020251029357190118454.pdf", "pdf")]
    assert art.text.startswith("各片区局，区直各单位")
    # without PubDate the 发布日期 of the table is used
    bare = parse_article(drop_meta(read(corpus_dir, PINGTAN_XXGK), "PubDate"), PINGTAN_XXGK_URL)
    assert bare.pubdate == dt.datetime(2025, 7, 2) and bare.pubdate_source == "xxgk"


def test_gansu_article_with_relative_attachment(corpus_dir: Path) -> None:
    text = read(corpus_dir, GANSU_ART)
    art = parse_article(text, GANSU_ART_URL)
    assert art.title == "甘肃省发展和改革委员会等部门关于印发《甘肃省关于加力支持工业企业设备更新的若干措施》的通知"
    assert art.pubdate == dt.datetime(2025, 3, 27, 9, 36, 38) and art.pubdate_source == "meta"
    assert art.meta["contentsource"] == "产业处"
    assert "2025年2月25日" in art.text
    assert [(a.url, a.ext) for a in art.attachments] == [
        ("https://fzgg.gansu.gov.cn/fzgg/tzgg/202503/174084153/files/5e0f97363d1d413c968a35078e0a7fcf.pdf", "pdf")]
    # served normally with content: the 瑞数 marker alone is not a block
    assert detect_block(200, {}, text) is None


def test_url_date_is_last_resort(corpus_dir: Path) -> None:
    text = read(corpus_dir, PINGTAN_DIBAO)
    for name in ("PubDate",):
        text = drop_meta(text, name)
    text = text.replace("时间：2022-10-25 09:05", "")
    art = parse_article(text, PINGTAN_DIBAO_URL)
    assert art.pubdate == dt.datetime(2022, 11, 4) and art.pubdate_source == "url"


# ---- anti-bot ----------------------------------------------------------------------------------------

def test_ruishu_challenge_is_blocked(corpus_dir: Path) -> None:
    text = read(corpus_dir, "antibot/hubei-zscqj_rs6_challenge.html")
    assert "瑞数" in (detect_block(412, {}, text) or "")
    assert "瑞数" in (detect_block(200, {}, text) or "")  # no content even with 200


def test_panyun_waf_challenge_is_blocked(corpus_dir: Path) -> None:
    text = read(corpus_dir, "antibot/yunnan_360panyun_waf_challenge.html")
    reason = detect_block(200, {"Content-Type": "text/html"}, text)
    assert reason is not None and "360" in reason


def test_gansu_list_page_is_not_blocked(corpus_dir: Path) -> None:
    assert detect_block(200, {}, read(corpus_dir, GANSU_LIST)) is None


@pytest.mark.parametrize("name", [ZJ, GOVCN, SHANXI, PINGTAN_LIST, PINGTAN_DIBAO, PINGTAN_XXGK, JIANGXI])
def test_normal_pages_are_not_blocked(corpus_dir: Path, name: str) -> None:
    assert detect_block(200, {}, read(corpus_dir, name)) is None


# ---- rendered SPA table with merged cells ------------------------------------------------------------

def test_nfra_penalty_table_merged_cells(corpus_dir: Path) -> None:
    import json

    from crawler.extract.tables import extract_tables

    expected = json.loads((corpus_dir / "spa-rendered/nfra_ItemDetail_docId1212085_expected.json").read_text())
    text = read(corpus_dir, "spa-rendered/nfra_ItemDetail_docId1212085_rendered-dom.html")
    tables = extract_tables(text, must_have="当事人名称")
    assert tables
    records = tables[0]
    assert len(records) == expected["记录总数"] == 2
    keys = ("序号", "当事人名称", "行政处罚内容", "主要违法违规行为", "作出决定机关")
    for got, want in zip(records, [expected, *expected["additional_records"]], strict=True):
        assert {k: got[k] for k in keys} == {k: want[k] for k in keys}
    # the merged 决定书文号 cell belongs to both records
    assert records[0]["行政处罚决定书文号"] == records[1]["行政处罚决定书文号"] == "浙金罚决字〔2024〕52号"


def test_double_encoded_waf_page_is_repaired(corpus_dir: Path) -> None:
    text, _ = decode_body((corpus_dir / "antibot/yunnan_360panyun_waf_challenge.html").read_bytes(), None)
    assert "<title>请稍候... | 磐云</title>" in text
    assert detect_block(200, {}, text) is not None
