"""Per-CMS list adapters. Each exposes ``parse(text, url) -> ListPage``."""
