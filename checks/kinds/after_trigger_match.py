"""政策解读 matching at scale: which interpretations of a pool explain a policy, and how.

The rule (``after_trigger.explains``), tried in this order for each pair:
``link`` (either page links to the other), ``quote`` (a 《…》 quote in the interpretation
title names the policy), ``title`` (the policy's core title appears in the interpretation
title), ``keywords`` (at least ``min_shared`` shared two-character terms).

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
from functools import lru_cache

from checks.model import ItemView

_QUOTE = re.compile(r"《([^》]{2,80})》")
_NOISE = re.compile(r"[\s\d\W_]+")
_STOP = {"关于", "印发", "通知", "解读", "政策", "的通", "文件", "有关", "工作", "实施", "办法", "意见", "方案"}
_SEP = "\x00"


@lru_cache(maxsize=65536)  # the same titles come back for every policy section of a site
def terms(title: str) -> frozenset[str]:
    text = _NOISE.sub("", title or "")
    return frozenset({text[i:i + 2] for i in range(len(text) - 1)} - _STOP)


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

    def __init__(self, interps: list[ItemView]) -> None:
        self.items = report_order(interps)
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
            for term in terms(item.title):
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
        title, core_ = policy.title, core(policy.title)
        link = self._linked(policy)
        quote = self._quoting(title, core_) & ~link
        seen = link | quote
        named = (self._containing(core_) & ~seen) if len(core_) >= 6 else 0
        seen |= named
        shared = self._sharing(terms(policy.title), min_shared) & ~seen
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
