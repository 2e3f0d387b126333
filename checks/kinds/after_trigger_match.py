"""政策解读 matching at scale: which interpretations of a pool explain a policy, and how.

The rule (``after_trigger.explains``), tried in this order for each pair:
``link`` (either page links to the other), ``quote`` (a 《…》 quote in the interpretation
title names the policy), ``title`` (the policy's core title appears in the interpretation
title), ``keywords`` (at least ``min_shared`` shared two-character terms).

Terms are topical: a title is cut at boilerplate words (关于, 印发, 实施办法, 的通知, 政策解读,
人民政府 …), punctuation, 《》 and dates/numbers, and the two-character terms are taken inside each
remaining segment only, never across a removed word. Terms common to the pool (``common_terms``:
in more than a third of its policy titles, or in the site's own name, which carries the district
name) are ignored, so that two 关于印发…实施办法的通知 of one district are not tied by their wrapper.

``InterpretationIndex`` answers it for one policy against all interpretations at once: each
interpretation is one bit of a Python int, and each condition is a bitmask built from inverted
indexes (link target → interpretations, quote → interpretations, term → interpretations), so a
policy costs a few big-int operations per term instead of one Python comparison per pair.
Bits are numbered in the order the engine reports matches (publication date, undated last,
then pool order), so reading the set bits upwards gives the sorted list directly.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

from checks.model import ItemView

_QUOTE = re.compile(r"《([^》]{2,80})》")
# Words that say what kind of document a title is, who issued it or that it explains another one,
# never what it is about. Titles are cut at them (longest first, so 实施办法 goes before 办法).
BOILERPLATE = (
    # wrappers and document forms
    "关于", "印发", "转发", "的通知", "通知", "公告", "通告", "通报", "决定", "批复", "的函", "的意见",
    "实施办法", "实施细则", "实施意见", "实施方案", "工作方案", "管理办法", "暂行办法", "办法", "意见", "方案",
    "规定", "细则", "规则", "指导意见", "若干措施", "措施", "暂行", "试行", "修订", "实施",
    # interpretations
    "政策解读", "文字解读", "图文解读", "图片解读", "视频解读", "解读", "一图读懂", "图解", "答记者问", "问答",
    # verbs and fillers of official titles
    "进一步", "关于做好", "关于加强", "加强", "做好", "切实", "全面", "深入", "推进", "落实", "贯彻", "有关",
    "工作", "文件", "政策", "相关", "事项",
    # issuers
    "人民政府办公室", "人民政府办公厅", "人民政府", "政府办公室", "办公室", "办公厅", "委员会",
)
_CUT = re.compile("|".join(map(re.escape, sorted(BOILERPLATE, key=len, reverse=True)))
                  + r"|[\d０-９]+[年月日号]?|[的和与及、]|[\s\W_]+")
_SEP = "\x00"


@lru_cache(maxsize=65536)  # the same titles come back for every policy section of a site
def segments(title: str) -> tuple[str, ...]:
    """The topical pieces of a title: what is left between boilerplate words, punctuation and numbers."""
    return tuple(s for s in _CUT.split(title or "") if s)


@lru_cache(maxsize=65536)
def terms(title: str) -> frozenset[str]:
    """Two-character terms inside each topical segment of ``title`` (none across a removed word)."""
    return frozenset(seg[i:i + 2] for seg in segments(title) for i in range(len(seg) - 1))


def common_terms(policy_titles: Iterable[str], names: Iterable[str] = ()) -> frozenset[str]:
    """Terms that cannot tie a 解读 to one policy of this pool.

    Those in more than a third of ``policy_titles`` (and in at least two of them): the district
    name, the department, the pool's recurring subject. And every term of ``names`` (the site's own
    name, which holds the district's). A pure function of the pool, so every check of it agrees.
    """
    counts: Counter[str] = Counter()
    total = 0
    for title in policy_titles:
        total += 1
        counts.update(terms(title))
    frequent = {t for t, n in counts.items() if n >= 2 and 3 * n > total}
    return frozenset(frequent.union(*(terms(name) for name in names)))


@lru_cache(maxsize=65536)
def quotes(title: str) -> tuple[str, ...]:
    return tuple(_QUOTE.findall(title or ""))


@lru_cache(maxsize=65536)
def core(title: str) -> str:
    """A policy title without the 关于印发…的通知 wrapper."""
    text = re.sub(r"^.*?关于印发", "", title or "")
    text = re.sub(r"的通知$", "", text)
    return text.strip("《》 ")


def report_order(interps: list[ItemView]) -> list[ItemView]:
    """Interpretations as matches are reported: by publication date, undated last, ties in pool order."""
    return sorted(interps, key=lambda i: i.published or dt.date.max)


class InterpretationIndex:
    """The interpretations of a pool, indexed once; ``matching`` gives what ``explains`` would, sorted."""

    def __init__(self, interps: list[ItemView], common: frozenset[str] = frozenset()) -> None:
        self.items = report_order(interps)
        self.common = common  # terms ignored by the keywords condition (``common_terms`` of the pool)
        self.all = (1 << len(self.items)) - 1
        self.by_url: dict[str, int] = {}
        self.linking: dict[str, int] = {}  # link target URL -> interpretations whose page links to it
        self.quoted: dict[str, int] = {}  # quote -> interpretations quoting it
        self.quote_cores: dict[str, str] = {}
        self.by_term: dict[str, int] = {}
        titles = []
        for n, item in enumerate(self.items):
            bit = 1 << n
            self.by_url[item.url] = self.by_url.get(item.url, 0) | bit
            if item.page:
                for target in item.page.links:
                    self.linking[target] = self.linking.get(target, 0) | bit
            for q in quotes(item.title or ""):
                if q:
                    self.quoted[q] = self.quoted.get(q, 0) | bit
                    self.quote_cores[q] = core(q)
            for term in terms(item.title) - common:
                self.by_term[term] = self.by_term.get(term, 0) | bit
            titles.append(item.title or "")
        self.joined = _SEP.join(titles)
        self.starts = []
        pos = 0
        for title in titles:
            self.starts.append(pos)
            pos += len(title) + 1
        self.titles = titles
        self._lists: dict[tuple[int, int, int, int], list[tuple[ItemView, str]]] = {}
        self._by_title: dict[tuple[str, int], tuple[int, int, int]] = {}  # (title, min_shared) -> masks

    def _linked(self, policy: ItemView) -> int:
        mask = self.linking.get(policy.url, 0)
        if policy.page:
            for target in policy.page.links:
                mask |= self.by_url.get(target, 0)
        return mask

    def _quoting(self, title: str, core_: str) -> int:
        mask = 0
        for q, bits in self.quoted.items():
            if q in title or self.quote_cores[q] == core_ or core_ in q:
                mask |= bits
        return mask

    def _containing(self, core_: str) -> int:
        """Interpretations whose title contains ``core_`` (one scan of the joined titles)."""
        if _SEP in core_:  # cannot happen with crawled titles; stay exact anyway
            return sum(1 << n for n, t in enumerate(self.titles) if core_ in t)
        mask, pos = 0, self.joined.find(core_)
        while pos >= 0:
            n = bisect.bisect_right(self.starts, pos) - 1
            mask |= 1 << n
            nxt = n + 1
            if nxt >= len(self.starts):
                break
            pos = self.joined.find(core_, self.starts[nxt])
        return mask

    def _sharing(self, policy_terms: frozenset[str], min_shared: int) -> int:
        """Interpretations sharing at least ``min_shared`` terms (saturating bit-sliced counters)."""
        if min_shared <= 0:
            return self.all
        at_least = [self.all] + [0] * min_shared  # at_least[k]: bits seen in >= k term masks so far
        for term in policy_terms:
            bits = self.by_term.get(term)
            if not bits:
                continue
            for k in range(min_shared, 0, -1):
                at_least[k] |= at_least[k - 1] & bits
        return at_least[min_shared]

    def matching(self, policy: ItemView, min_shared: int) -> list[tuple[ItemView, str]]:
        """(interpretation, how) for every interpretation tied to ``policy``, in report order.

        Policies tied to the same interpretations in the same ways get the same list object
        (callers must not change it): a site's policies often share their matches.
        """
        if not self.items:
            return []
        title = policy.title
        by_title = self._by_title.get((title, min_shared))
        if by_title is None:  # what depends on the title alone (a site's policy titles repeat)
            core_ = core(title)
            by_title = self._by_title[(title, min_shared)] = (
                self._quoting(title, core_), self._containing(core_) if len(core_) >= 6 else 0,
                self._sharing(terms(title) - self.common, min_shared))
        quoting, containing, sharing = by_title
        link = self._linked(policy)
        quote = quoting & ~link
        seen = link | quote
        named = containing & ~seen
        seen |= named
        shared = sharing & ~seen
        key = (link, quote, named, shared)
        out = self._lists.get(key)
        if out is None:
            out = self._lists[key] = self._listed(link, quote, named, seen | shared)
        return out

    def _listed(self, link: int, quote: int, named: int, hit: int) -> list[tuple[ItemView, str]]:
        out = []
        while hit:
            low = hit & -hit
            n = low.bit_length() - 1
            hit ^= low
            how = "link" if link & low else "quote" if quote & low else "title" if named & low else "keywords"
            out.append((self.items[n], how))
        return out
