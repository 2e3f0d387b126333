"""The 年报 format of 国办公开办函〔2021〕30号 as data: parts, tables, rows and columns (rules.md §E)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# E1: the six parts, in order. Each: (number, canonical title, keywords that identify the heading).
PARTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("一", "一、总体情况", ("总体情况",)),
    ("二", "二、主动公开政府信息情况", ("主动公开政府信息情况",)),
    ("三", "三、收到和处理政府信息公开申请情况", ("收到和处理政府信息公开申请情况",)),
    ("四", "四、政府信息公开行政复议、行政诉讼情况", ("行政复议", "行政诉讼")),
    ("五", "五、存在的主要问题及改进情况", ("存在的主要问题",)),
    ("六", "六、其他需要报告的事项", ("其他需要报告的事项",)),
)

# E3: the seven applicant columns of 表三, in the required order.
T3_COLUMNS: tuple[str, ...] = (
    "自然人",
    "商业企业",
    "科研机构",
    "社会公益组织",
    "法律服务机构",
    "其他",
    "总计",
)
T3_PARTS = T3_COLUMNS[:-1]


@dataclass(frozen=True)
class RowDef:
    key: str  # e.g. "一", "三.三.1", "三.七"
    label: str  # canonical Chinese label used in messages
    keywords: tuple[str, ...]  # any of these in the row label identifies the row


# E4: the rows of 表三 (keywords checked most specific first; see match_t3_row).
T3_ROWS: tuple[RowDef, ...] = (
    RowDef("一", "一、本年新收政府信息公开申请数量", ("本年新收",)),
    RowDef("二", "二、上年结转政府信息公开申请数量", ("上年结转",)),
    RowDef("三.一", "三（一）予以公开", ("予以公开",)),
    RowDef("三.二", "三（二）部分公开", ("部分公开",)),
    RowDef("三.三.1", "三（三）1.属于国家秘密", ("国家秘密",)),
    RowDef("三.三.2", "三（三）2.其他法律行政法规禁止公开", ("禁止公开",)),
    RowDef("三.三.3", "三（三）3.危及“三安全一稳定”", ("三安全一稳定",)),
    RowDef("三.三.4", "三（三）4.保护第三方合法权益", ("第三方合法权益",)),
    RowDef("三.三.5", "三（三）5.属于三类内部事务信息", ("内部事务",)),
    RowDef("三.三.6", "三（三）6.属于四类过程性信息", ("过程性信息",)),
    RowDef("三.三.7", "三（三）7.属于行政执法案卷", ("行政执法案卷",)),
    RowDef("三.三.8", "三（三）8.属于行政查询事项", ("行政查询事项",)),
    RowDef("三.四.1", "三（四）1.本机关不掌握相关政府信息", ("不掌握",)),
    RowDef("三.四.2", "三（四）2.没有现成信息需要另行制作", ("没有现成信息", "另行制作")),
    RowDef("三.四.3", "三（四）3.补正后申请内容仍不明确", ("仍不明确",)),
    RowDef("三.五.1", "三（五）1.信访举报投诉类申请", ("信访举报投诉",)),
    RowDef("三.五.2", "三（五）2.重复申请", ("重复申请",)),
    RowDef("三.五.3", "三（五）3.要求提供公开出版物", ("公开出版物",)),
    RowDef("三.五.4", "三（五）4.无正当理由大量反复申请", ("大量反复申请",)),
    RowDef("三.五.5", "三（五）5.要求行政机关确认或重新出具已获取信息", ("重新出具",)),
    RowDef("三.六.1", "三（六）1.申请人无正当理由逾期不补正", ("逾期不补正",)),
    RowDef("三.六.2", "三（六）2.申请人逾期未按收费通知要求缴纳费用", ("收费通知",)),
    RowDef("三.六.3", "三（六）3.其他", ()),  # bare "其他" under （六）: see match_t3_row
    RowDef("三.七", "三（七）总计", ("总计",)),
    RowDef("四", "四、结转下年度继续办理", ("结转下年度",)),
)
T3_ROW = {r.key: r for r in T3_ROWS}
# R2: the rows that add up to （七）总计.
T3_OUTCOME_ROWS = tuple(r.key for r in T3_ROWS if r.key.startswith("三.") and r.key != "三.七")

# E6: 表四, three groups of five columns.
T4_GROUPS: tuple[str, ...] = ("行政复议", "行政诉讼（未经复议直接起诉）", "行政诉讼（复议后起诉）")
T4_NAMES: tuple[str, ...] = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")
T4_COLUMNS: tuple[str, ...] = tuple(f"{g}·{n}" for g in T4_GROUPS for n in T4_NAMES)

# E2: 表二 rows and how many numbers each carries.
T2_ROWS: tuple[tuple[str, int], ...] = (
    ("规章", 3),
    ("行政规范性文件", 3),
    ("行政许可", 1),
    ("行政处罚", 1),
    ("行政强制", 1),
    ("行政事业性收费", 1),
)

_NUMBERING = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十]+[）)]|\d+[、.．]?)\s*"
)


def strip_numbering(label: str) -> str:
    """'（三）不予公开' -> '不予公开'; '3.其他' -> '其他' (repeatedly)."""
    prev = None
    while prev != label:
        prev, label = label, _NUMBERING.sub("", label, count=1)
    return label.strip()


def match_t3_row(labels: list[str], context_sub: str | None) -> str | None:
    """The 表三 row key for a row whose label cells are ``labels`` (outermost first).

    ``context_sub`` is the last （N） group seen above (for the bare "3.其他" under （六）).
    """
    joined = "".join(labels)
    leaf = strip_numbering(labels[-1]) if labels else ""
    compact = re.sub(r"\s+", "", joined)
    for row in T3_ROWS:
        if row.keywords and any(k in compact for k in row.keywords):
            if row.key == "三.七" and "结转" in compact:
                continue
            return row.key
    if leaf == "其他" and (context_sub == "六" or "其他处理" in compact):
        return "三.六.3"
    return None


def sub_group(labels: list[str]) -> str | None:
    """The （N） group named in a row's labels, if any (e.g. '六' for '（六）其他处理')."""
    m = re.search(r"[（(]([一二三四五六七])[）)]", "".join(labels))
    return m.group(1) if m else None
