"""The synthetic-district generator (bench/synth) produces what it claims, readable by our extractors."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.synth.generate import generate  # noqa: E402
from crawler.extract.article import parse_article  # noqa: E402
from crawler.extract.links import extract_links  # noqa: E402
from crawler.extract.lists import parse_hanweb_dataproxy, parse_list  # noqa: E402
from zwgk.config import load_config  # noqa: E402

TODAY = dt.date(2026, 11, 20)


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("synth")
    manifest = generate(out, sites=2, sections=4, items=50, base_port=31000, refused_port=30999, today=TODAY,
                        broken_404=0.05, broken_refused=0.02)
    return out, manifest


def served(manifest: dict, url: str) -> str:
    """What nginx answers for ``url`` (the dataproxy rewrite included), read from the generated files."""
    parts = urlsplit(url)
    site = next(s for s in manifest["sites"] if s["port"] == parts.port)
    path = parts.path
    if path.endswith("/dataproxy.jsp"):
        start = parse_qs(parts.query)["startrecord"][0]
        path = path.rsplit("/", 1)[0] + f"/dp_{start}.xml"
    return (Path(site["root"]) / path.lstrip("/")).read_text(encoding="utf-8")


def crawl_list(manifest: dict, section: dict) -> tuple[list[str], set[str], str]:
    """Follow a section's pagination as the spider does; item URLs in order, list URLs fetched, adapter."""
    first = parse_list(served(manifest, section["list_url"]), section["list_url"], adapter="auto")
    items = [i.url for i in first.items]
    fetched = {section["list_url"]}
    queue = list(first.next_requests)
    while queue:
        req = queue.pop(0)
        if req.url in fetched:
            continue
        fetched.add(req.url)
        text = served(manifest, req.url)
        if "dataproxy" in req.url:
            page = parse_hanweb_dataproxy(text, req.url, req.body)
        else:
            page = parse_list(text, req.url, adapter=section["style"])
        items += [i.url for i in page.items]
        queue += [r for r in page.next_requests if r.url not in fetched]
    return items, fetched, first.adapter


def test_shape_and_totals(district: tuple[Path, dict]) -> None:
    out, manifest = district
    assert manifest["shape"] == {"sites": 2, "sections": 4, "items": 50}
    assert [s["port"] for s in manifest["sites"]] == [31000, 31001]
    for site in manifest["sites"]:
        assert len(site["sections"]) == 4
        assert [s["style"] for s in site["sections"]] == ["trs", "hanweb", "generic", "trs"]
        for sec in site["sections"]:
            assert len(sec["items"]) == len(set(sec["items"])) == 50
            for url in sec["items"]:
                assert (Path(site["root"]) / urlsplit(url).path.lstrip("/")).is_file()
    html = list((out / "sites").rglob("*.html"))
    assert len(html) == manifest["totals"]["pages"] == 2 * (2 + 4 * 50 + 3 + 1 + 3 + 3)
    assert len(list((out / "sites").rglob("*.pdf"))) == manifest["totals"]["attachments"] == 2 * 40
    assert manifest["totals"]["broken"] == sum(len(s["broken"]) for s in manifest["sites"]) > 0


def test_each_cms_style_lists_exactly_its_items(district: tuple[Path, dict]) -> None:
    _, manifest = district
    for site in manifest["sites"]:
        for sec in site["sections"]:
            items, fetched, adapter = crawl_list(manifest, sec)
            assert adapter == sec["style"]
            assert items == sec["items"], (sec["id"], sec["style"])
            assert fetched == set(sec["list_pages"]), sec["style"]


def test_articles_parse_with_dates_and_attachments(district: tuple[Path, dict]) -> None:
    _, manifest = district
    site = manifest["sites"][0]
    for sec in site["sections"]:
        newest = parse_article(served(manifest, sec["items"][0]), sec["items"][0])
        assert newest.pubdate is not None and newest.pubdate.date() == TODAY
        assert newest.title and "公告" in newest.title
        assert len(newest.text) > 300
        fifth = parse_article(served(manifest, sec["items"][4]), sec["items"][4])
        pdfs = [a.url for a in fifth.attachments if a.url.endswith(".pdf")]
        assert len(pdfs) == 1 if sec["id"] == "c0" else len(pdfs) <= 1


def test_broken_links_are_on_the_pages_and_really_missing(district: tuple[Path, dict]) -> None:
    _, manifest = district
    for site in manifest["sites"]:
        found: set[str] = set()
        for sec in site["sections"]:
            for url in sec["items"]:
                found |= {link.url for link in extract_links(served(manifest, url), url)}
        assert set(site["broken"]) <= found
        for url in site["broken"]:
            parts = urlsplit(url)
            if parts.port == site["port"]:
                assert not (Path(site["root"]) / parts.path.lstrip("/")).exists()
            else:
                assert parts.port == manifest["refused_port"]


def test_settings_bind_every_section_to_an_indicator(district: tuple[Path, dict]) -> None:
    out, manifest = district
    config = load_config(out / "settings.toml")
    assert [s.id for s in config.sites] == ["s0000", "s0001"]
    for site, planned in zip(config.sites, manifest["sites"], strict=True):
        assert site.home == planned["home"]
        assert [(s.list_url, s.adapter) for s in site.sections] == [
            (s["list_url"], s["style"]) for s in planned["sections"]]
        assert all(s.indicator for s in site.sections)
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8")) == manifest
