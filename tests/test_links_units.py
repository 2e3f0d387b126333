"""Pure parts of the link checker: verdict folding, error-page and bot-wall recognition, politeness settings."""

from __future__ import annotations

from crawler.linkcheck import classify
from crawler.linkcheck.fetch import parse_retry_after
from crawler.linkcheck.politeness import PolitenessParams
from crawler.linkcheck.verdict import RunCheck, Verdict, decide, needs_recheck


def test_decide_confirmation_rules() -> None:
    fail = RunCheck("http_404", 0.0)
    assert decide([fail], 0, confirm_runs=2, recheck_delay=30) == Verdict("suspect", "http_404", 1)
    assert decide([fail], 1, confirm_runs=2, recheck_delay=30).verdict == "broken"
    assert decide([fail], 0, confirm_runs=1, recheck_delay=30).verdict == "broken"
    # two failing checks spaced apart within the run confirm; too close together they do not
    assert decide([fail, RunCheck("timeout", 31.0)], 0, confirm_runs=3, recheck_delay=30).verdict == "broken"
    assert decide([fail, RunCheck("timeout", 5.0)], 0, confirm_runs=3, recheck_delay=30).verdict == "suspect"
    # recovery within the run clears; refusals keep the count and never blame
    assert decide([fail, RunCheck("ok", 31.0)], 1, confirm_runs=2, recheck_delay=30) == Verdict("ok", "ok", 0)
    assert decide([RunCheck("blocked", 0)], 1, confirm_runs=2, recheck_delay=30) == Verdict(
        "blocked", "blocked", 1
    )
    assert decide([RunCheck("rate_limited", 0)], 0, confirm_runs=1, recheck_delay=0).verdict == "blocked"
    assert needs_recheck(fail, 0, confirm_runs=2, recheck_delay=30)
    assert not needs_recheck(fail, 1, confirm_runs=2, recheck_delay=30)  # this run confirms anyway
    assert not needs_recheck(fail, 0, confirm_runs=2, recheck_delay=0)
    assert not needs_recheck(RunCheck("blocked", 0), 0, confirm_runs=2, recheck_delay=30)


def test_error_pages_and_real_pages() -> None:
    error = classify.page_text("<html><title>404</title><body>页面不存在</body></html>".encode())
    assert classify.looks_like_error_page(error)
    deleted = classify.page_text("<title>示范区</title><p>对不起，该信息已删除。</p>".encode())
    assert classify.looks_like_error_page(deleted)
    gbk = classify.page_text("<title>提示</title><p>您访问的页面不存在</p>".encode("gbk"), "gbk")
    assert classify.looks_like_error_page(gbk)
    article = "关于调整城乡低保标准的通知。" * 300 + "页面不存在的栏目将被撤并。"
    real = classify.page_text(f"<title>关于调整低保标准的通知_示范区</title><p>{article}</p>".encode())
    assert classify.looks_like_error_page(real) is None  # a long article quoting the phrase
    news = classify.page_text("<title>关于2024年404号项目的公示</title><p>公示内容</p>".encode())
    assert classify.looks_like_error_page(news) is None  # "404" inside a number is not a 404


def test_home_and_error_urls() -> None:
    assert classify.is_home_url("http://a.gov.cn/") and classify.is_home_url("http://a.gov.cn/index.html")
    assert not classify.is_home_url("http://a.gov.cn/col/col1/index.html")
    assert classify.is_error_url("http://a.gov.cn/404.html") and classify.is_error_url(
        "http://a.gov.cn/error/"
    )
    assert not classify.is_error_url("http://a.gov.cn/art/2024/4/4/art_404_1.html")
    assert classify.wants_body("http://a.gov.cn/art/1.html", "a")
    assert not classify.wants_body("http://a.gov.cn/files/1.pdf", "a")
    assert not classify.wants_body("http://a.gov.cn/x.html", "img")


def test_bot_walls_vs_real_403() -> None:
    wall = "<html><title>访问被拒绝</title>当前访问疑似黑客攻击，已被网站防火墙拦截</html>"
    assert classify.bot_wall(403, {}, wall)
    assert classify.bot_wall(412, {}, "")  # 瑞数
    assert classify.bot_wall(521, {}, "")  # 加速乐
    assert classify.bot_wall(403, {"Server": "yundun"}, "")
    stock = "<html><head><title>403 Forbidden</title></head><body><center><h1>403 Forbidden</h1></center><hr><center>nginx/1.22.1</center></body></html>"
    assert classify.bot_wall(403, {"Server": "nginx"}, stock) is None
    assert classify.bot_wall(404, {}, "<html>not here</html>") is None


def test_reason_for_status_and_retry_after() -> None:
    got = [classify.reason_for_status(s) for s in (200, 304, 404, 410, 403, 429, 500, 503)]
    assert got == ["ok", "ok", "http_404", "http_410", "http_4xx", "rate_limited", "http_5xx", "http_5xx"]
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("soon") is None


def test_politeness_matches_scrapy_settings() -> None:
    params = PolitenessParams(per_host_concurrency=4, per_host_rate=10, global_concurrency=64)
    assert params.interval == 0.1
    assert params.scrapy_settings() == {
        "CONCURRENT_REQUESTS": 64,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 4,
        "DOWNLOAD_DELAY": 0.1,
        "RANDOMIZE_DOWNLOAD_DELAY": False,
    }
    assert PolitenessParams(per_host_rate=0).interval == 0.0
