"""Find the line on which a key of a TOML document is defined.

``tomllib`` gives values but no positions; configuration errors must name the
line. This locator walks the raw text, tracking ``[table]`` and ``[[array]]``
headers, and maps dotted paths such as ``sites[1].sections[0].list_url`` to
1-based line numbers. It is deliberately simple: it understands the subset of
TOML that settings files use (headers, ``key = value``, dotted and quoted keys).
"""

from __future__ import annotations

import re

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*((?:[A-Za-z0-9_\-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_\-]+|"[^"]*"|'[^']*'))*)\s*=""")


def _split_key(raw: str) -> list[str]:
    parts = re.findall(r"""[A-Za-z0-9_\-]+|"[^"]*"|'[^']*'""", raw)
    return [p.strip("\"'") for p in parts]


def locate_keys(text: str) -> dict[str, int]:
    """Map every defined path (``a.b[0].c``) to its line number (1-based)."""
    lines: dict[str, int] = {}
    array_counts: dict[str, int] = {}
    prefix = ""
    in_multiline: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if in_multiline:
            if in_multiline in line:
                in_multiline = None
            continue
        header = _HEADER.match(line)
        if header and not _KEY.match(line):
            is_array = header.group(1) == "[["
            names = _split_key(header.group(2))
            path = ""
            for i, name in enumerate(names):
                path = f"{path}.{name}" if path else name
                if i < len(names) - 1 and path in array_counts:
                    path = f"{path}[{array_counts[path] - 1}]"
            if is_array:
                index = array_counts.get(path, 0)
                array_counts[path] = index + 1
                lines.setdefault(path, number)
                path = f"{path}[{index}]"
            prefix = path
            lines.setdefault(prefix, number)
            continue
        key = _KEY.match(line)
        if key:
            names = _split_key(key.group(1))
            path = prefix
            for name in names:
                path = f"{path}.{name}" if path else name
                lines.setdefault(path, number)
            rest = line[key.end():]
            for quote in ('"""', "'''"):
                if rest.count(quote) == 1:
                    in_multiline = quote
    return lines


def line_of(lines: dict[str, int], path: str) -> int | None:
    """The line of ``path`` or of its nearest defined ancestor."""
    probe = path
    while probe:
        if probe in lines:
            return lines[probe]
        cut = max(probe.rfind("."), probe.rfind("["))
        probe = probe[:cut] if cut > 0 else ""
    return None
