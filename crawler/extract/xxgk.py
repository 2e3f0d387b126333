"""The 信息公开 metadata table (索引号/发布机构/文号/成文日期/发布日期/有效性/主题分类)."""

from __future__ import annotations

import lxml.html

from .html import clean_text, squeeze, visible_text

# raw label (whitespace removed) -> normalized label
LABELS = {
    "索引号": "索引号",
    "主题分类": "主题分类", "分类": "主题分类", "信息分类": "主题分类", "所属主题": "主题分类",
    "发布机构": "发布机构", "发文机关": "发布机构", "发文单位": "发布机构", "发布单位": "发布机构",
    "公开机构": "发布机构", "发文机构": "发布机构", "信息来源": "信息来源",
    "文号": "文号", "发文字号": "文号", "发文文号": "文号",
    "成文日期": "成文日期", "成文时间": "成文日期", "生成日期": "成文日期",
    "发布日期": "发布日期", "公开日期": "发布日期", "发文日期": "发布日期", "发布时间": "发布日期",
    "有效性": "有效性", "时效性": "有效性", "效力状态": "有效性",
    "标题": "标题", "名称": "标题", "文件名称": "标题",
    "生效日期": "生效日期", "实施日期": "生效日期", "废止日期": "废止日期", "失效日期": "废止日期",
}
# A table only counts as 信息公开 metadata when one of these is present.
_KEY_LABELS = {"索引号", "文号", "成文日期", "有效性"}
_TAGS = ("li", "td", "th", "span", "p", "div", "dt", "dd", "label", "strong", "b", "em", "font", "tr")
_COLONS = ":：﹕"
_FIRST_CHARS = frozenset(label[0] for label in LABELS)


def _label(text: str | None) -> tuple[str | None, str]:
    """(normalized label, text after the colon) when ``text`` starts with a known label."""
    raw = squeeze(text)
    if not raw or len(raw) > 200:
        return None, ""
    head, sep, tail = raw, "", ""
    for i, ch in enumerate(raw):
        if ch in _COLONS:
            head, sep, tail = raw[:i], ch, raw[i + 1:]
            break
    key = LABELS.get(head)
    if key is None:
        return None, ""
    if not sep and tail == "" and head != raw:
        return None, ""
    return key, clean_text((text or "").split(sep, 1)[1]) if sep else ""


def _following_value(el: lxml.html.HtmlElement) -> str:
    """Value of a label element: its children's text, else the next sibling element's text."""
    children = clean_text(" ".join(visible_text(c) + " " + (c.tail or "") for c in el))
    if children:
        return children
    node = el
    for _ in range(2):  # <td>label</td><td>value</td>, or <td><b>label</b></td><td>value</td>
        sib = node.getnext()
        while sib is not None and not isinstance(sib.tag, str):
            sib = sib.getnext()
        if sib is not None:
            return clean_text(visible_text(sib))
        node = node.getparent()
        if node is None:
            break
    return ""


def parse_xxgk(doc: lxml.html.HtmlElement) -> dict[str, str]:
    """Normalized label -> value; empty unless it looks like a 信息公开 table."""
    found: dict[str, str] = {}
    for el in doc.iter(*_TAGS):
        text = el.text
        if not text or len(text) > 200:
            continue
        head = text.lstrip()
        if not head or head[0] not in _FIRST_CHARS:
            continue
        key, value = _label(text)
        if key is None or key in found:
            continue
        if not value:
            value = _following_value(el)
        if value and not _label(value)[0]:
            found[key] = value
    if len(found) < 2 or not _KEY_LABELS & found.keys():
        return {}
    return found
