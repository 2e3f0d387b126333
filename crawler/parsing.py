"""The one place the spider calls the parsers in ``crawler.extract`` (and normalizes their values)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from crawler.extract.antibot import detect_block
from crawler.extract.decode import decode_body

__all__ = ["decode_body", "detect_block", "parse_list_page", "parse_article_page", "find_links",
           "attachment_text", "as_date", "as_datetime", "AttachmentError"]

try:
    from crawler.extract.attachments import AttachmentError
except ImportError:  # pragma: no cover - until the extractor lands
    class AttachmentError(Exception):  # type: ignore[no-redef]
        pass


def parse_list_page(text: str, url: str, adapter: str, parser: str, request_body: str | None = None) -> Any:
    from crawler.extract.lists import parse_hanweb_dataproxy, parse_list

    if parser == "hanweb_dataproxy":
        return parse_hanweb_dataproxy(text, url, request_body)
    return parse_list(text, url, adapter=adapter)


def parse_article_page(text: str, url: str) -> Any:
    from crawler.extract.article import parse_article

    return parse_article(text, url)


def find_links(text: str, base_url: str) -> list[Any]:
    from crawler.extract.links import extract_links

    return extract_links(text, base_url)


def attachment_text(data: bytes, ext: str) -> str:
    from crawler.extract.attachments import extract_text

    return extract_text(data, ext)


def as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return None


def as_datetime(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    return None
