"""Generate a static district site with >= 20,000 unique links, some broken, for the link-check benchmark.

Layout: /index.html → 40 list pages → 100 articles each (4,000 articles, about 1 KB of Chinese text each);
every article links 4 attachments of its own (16,000 small PDFs/DOCs), the home page and its list.
Broken on purpose: 500 articles link one missing page (404) and 50 articles link a page on a port
where nothing listens (connection refused, "external" host). A manifest (JSON lines) lists each
page's links exactly as the crawler would store them (Link + LinkRef).

    python bench/linkcheck/gensite.py OUT_DIR --port 8899 --refused-port 8898
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

LISTS = 40
PER_LIST = 100
ATTACHMENTS = 4
BROKEN_404 = 500
BROKEN_REFUSED = 50

PARA = "区人民政府办公室关于进一步做好政务公开工作的通知，各镇街、区直各部门要按照要求，及时主动公开政府信息。"


def page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<meta name='SiteName' content='示范区人民政府'><title>{title}</title></head>"
        f"<body><div class='nav'><a href='/index.html'>首页</a></div><h1>{title}</h1>{body}</body></html>"
    )


def generate(out: Path, port: int, refused_port: int, seed: int = 7) -> dict:
    rnd = random.Random(seed)
    base = f"http://127.0.0.1:{port}"
    out.mkdir(parents=True, exist_ok=True)
    (out / "files").mkdir(exist_ok=True)
    manifest: list[dict] = []
    articles = [(li, ai) for li in range(LISTS) for ai in range(PER_LIST)]
    broken_404 = set(rnd.sample(range(len(articles)), BROKEN_404))
    broken_refused = set(rnd.sample(sorted(set(range(len(articles))) - broken_404), BROKEN_REFUSED))
    expected_broken: list[str] = []

    home_links = [f"{base}/list/{li}.html" for li in range(LISTS)]
    body = "".join(f"<li><a href='/list/{li}.html'>栏目 {li}</a></li>" for li in range(LISTS))
    (out / "index.html").write_text(page("首页", f"<ul>{body}</ul>"), encoding="utf-8")
    manifest.append({"source": f"{base}/index.html", "home": True, "links": [[u, "a"] for u in home_links]})
    (out / "list").mkdir(exist_ok=True)
    (out / "art").mkdir(exist_ok=True)
    for li in range(LISTS):
        items = "".join(
            f"<li><a href='/art/{li}_{ai}.html'>关于第 {li}-{ai} 号事项的公告</a> <span>2026-10-{ai % 28 + 1:02d}</span></li>"
            for ai in range(PER_LIST)
        )
        (out / "list" / f"{li}.html").write_text(page(f"栏目 {li}", f"<ul>{items}</ul>"), encoding="utf-8")
        links = [[f"{base}/art/{li}_{ai}.html", "a"] for ai in range(PER_LIST)] + [[f"{base}/index.html", "a"]]
        manifest.append({"source": f"{base}/list/{li}.html", "home": False, "links": links})
    for n, (li, ai) in enumerate(articles):
        links = [[f"{base}/index.html", "a"], [f"{base}/list/{li}.html", "a"]]
        html = [f"<p>{PARA * rnd.randint(3, 5)}</p>"]
        for k in range(ATTACHMENTS):
            ext = "pdf" if k % 2 == 0 else "doc"
            name = f"{li}_{ai}_{k}.{ext}"
            (out / "files" / name).write_bytes(b"%PDF-1.4 bench " + str(n).encode())
            html.append(f"<p>附件：<a href='/files/{name}'>附件{k + 1}.{ext}</a></p>")
            links.append([f"{base}/files/{name}", "attachment"])
        if n in broken_404:
            url = f"{base}/missing/{n}.html"
            html.append(f"<p><a href='/missing/{n}.html'>相关阅读</a></p>")
            links.append([url, "a"])
            expected_broken.append(url)
        if n in broken_refused:
            url = f"http://127.0.0.1:{refused_port}/ext/{n}.html"
            html.append(f"<p><a href='{url}'>外部链接</a></p>")
            links.append([url, "a"])
            expected_broken.append(url)
        (out / "art" / f"{li}_{ai}.html").write_text(
            page(f"关于第 {li}-{ai} 号事项的公告", "".join(html)), encoding="utf-8"
        )
        manifest.append({"source": f"{base}/art/{li}_{ai}.html", "home": False, "links": links})
    unique = {u for m in manifest for u, _ in m["links"]} | {f"{base}/index.html"}
    with (out.parent / "manifest.jsonl").open("w", encoding="utf-8") as fh:
        for m in manifest:
            fh.write(json.dumps(m, ensure_ascii=False) + "\n")
    (out.parent / "expected_broken.txt").write_text("\n".join(sorted(expected_broken)) + "\n", encoding="utf-8")
    return {"pages": 1 + LISTS + len(articles), "unique_links": len(unique), "broken": len(expected_broken)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--port", type=int, default=8899)
    parser.add_argument("--refused-port", type=int, default=8898)
    args = parser.parse_args()
    print(json.dumps(generate(args.out, args.port, args.refused_port)))
