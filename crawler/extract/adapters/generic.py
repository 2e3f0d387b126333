"""Generic fallback: the largest repeated block of links with dates, plus 下一页 links."""

from __future__ import annotations

from ..html import parse_html
from ..items import best_block, items_from_elements, next_links
from ..model import ListPage, NextRequest


def parse(text: str, url: str) -> ListPage:
    doc = parse_html(text)
    items = items_from_elements(best_block(doc), url)
    requests = [NextRequest(url=u, page_index=-1) for u in next_links(doc, url)]
    return ListPage(adapter="generic", items=items, declared_total=None, page_count=None,
                    next_requests=requests, pagination_method="next_link" if requests else None)
