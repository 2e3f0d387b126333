"""Parsing speed of crawler/extract on typical 6-10 KB pages and on the real corpus.

Run: .venv/bin/python bench/bench_extract.py [corpus_dir]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.extract.antibot import detect_block  # noqa: E402
from crawler.extract.article import parse_article  # noqa: E402
from crawler.extract.decode import decode_body  # noqa: E402
from crawler.extract.links import extract_links  # noqa: E402
from crawler.extract.lists import parse_list  # noqa: E402


def typical_article(n: int) -> bytes:
    paras = "".join(f"<p>第{i}段：示例县人民政府关于做好2026年政务公开工作的通知正文内容，请各单位认真贯彻执行。</p>"
                    for i in range(30))
    nav = "".join(f'<li><a href="/col/col{i}/index.html">栏目{i}</a></li>' for i in range(40))
    return (f"""<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="ArticleTitle" content="通知{n}">
<meta name="PubDate" content="2026-09-28 16:30"><title>通知{n}_示例县</title></head><body><ul class="nav">{nav}</ul>
<div class="info">发布时间：2026-09-28 16:30</div><div id="zoom">{paras}
<p><a href="P0{n}.pdf">附件{n}.pdf</a></p></div></body></html>""").encode()


def typical_list(n: int) -> bytes:
    items = "".join(f'<li><a href="./202609/t202609{i:02d}_{n}{i}.html" title="标题{i}">标题{i}</a>'
                    f"<span>2026-09-{i:02d}</span></li>" for i in range(1, 21))
    nav = "".join(f'<li><a href="/col/col{i}/index.html">栏目{i}</a></li>' for i in range(40))
    return (f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>列表</title></head><body>
<ul class="nav">{nav}</ul><ul class="list">{items}</ul>
<script>createPageHTML(10, 0, "index", "html");</script></body></html>""").encode()


def per_page_ms(fn, pages: list[bytes], rounds: int = 3) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        for body in pages:
            fn(body)
        best = min(best, time.process_time() - start)
    return best / len(pages) * 1000


def main() -> None:
    articles = [typical_article(i) for i in range(500)]
    lists = [typical_list(i) for i in range(500)]
    url = "http://www.example.gov.cn/zwgk/202609/t20260928_1.html"
    print(f"typical article {len(articles[0]) / 1024:.1f} KB, list {len(lists[0]) / 1024:.1f} KB, 500 pages each")

    def article_full(body: bytes) -> None:
        text, _ = decode_body(body, "text/html; charset=utf-8")
        detect_block(200, {}, text)
        parse_article(text, url)
        extract_links(text, url)

    def list_full(body: bytes) -> None:
        text, _ = decode_body(body, "text/html; charset=utf-8")
        detect_block(200, {}, text)
        parse_list(text, url)
        extract_links(text, url)

    print(f"decode_body          {per_page_ms(lambda b: decode_body(b, 'text/html; charset=utf-8'), articles):.3f} ms/page")
    print(f"parse_article        {per_page_ms(lambda b: parse_article(b.decode(), url), articles):.3f} ms/page")
    print(f"extract_links        {per_page_ms(lambda b: extract_links(b.decode(), url), articles):.3f} ms/page")
    print(f"parse_list           {per_page_ms(lambda b: parse_list(b.decode(), url), lists):.3f} ms/page")
    print(f"article: all four    {per_page_ms(article_full, articles):.3f} ms/page")
    print(f"list: all four       {per_page_ms(list_full, lists):.3f} ms/page")
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "corpus" / "real"
    if corpus.is_dir():
        for path in sorted(corpus.glob("*/*.*htm*")):
            text = path.read_text(encoding="utf-8")
            fn = parse_list if "list" in path.name else parse_article
            ms = per_page_ms(lambda b, fn=fn: fn(b.decode(), url), [text.encode()] * 20)
            print(f"  {fn.__name__:<14} {ms:7.3f} ms  {len(text) / 1024:6.1f} KB  {path.relative_to(corpus)}")


if __name__ == "__main__":
    main()
