"""Plain-text tables for the terminal, aligned for double-width (CJK) characters."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence


def display_width(text: str) -> int:
    """Columns the text occupies in a terminal (CJK characters count twice)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, width: int) -> str:
    """Left-align text to a display width."""
    return text + " " * max(0, width - display_width(text))


def clip(text: str, limit: int) -> str:
    """Collapse whitespace and cut to a display width, ending with … when cut."""
    text = " ".join(text.split())
    if display_width(text) <= limit:
        return text
    out = ""
    for c in text:
        if display_width(out + c) > limit - 1:
            break
        out += c
    return out + "…"


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A header, a rule and the rows, each column padded to its widest cell."""
    widths = [max(display_width(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(pad(str(c), w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])
