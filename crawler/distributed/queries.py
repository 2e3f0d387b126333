"""Store queries of the distributed crawl."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.sink import _refine_from_page
from store.models import Item, Page


def refine_items_from_pages(session: Session, site_id: str) -> int:
    """Link the site's current items to their pages and take the pages' dates.

    Two workers may write an item and its page in concurrent transactions (PostgreSQL, read
    committed): neither then sees the other's row. This pass, once all workers are done, makes the
    result the same as the one-process crawl. It only upgrades (same rank order as the sink).
    """
    rows = session.execute(
        select(Item, Page).join(Page, Page.url == Item.url).where(Item.site_id == site_id, Item.gone_at.is_(None))
    )
    n = 0
    for item, page in rows:
        _refine_from_page(item, page)
        n += 1
    return n
