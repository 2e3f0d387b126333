"""The indexed 政策解读 matcher gives exactly what ``explains`` gives pair by pair, in report order.

Random pools mix every way of matching (links both ways, quotes naming the policy or its core,
the core inside a title, shared terms around the ``min_shared`` threshold), undated
interpretations and date ties, so that order and precedence (link > quote > title > keywords)
are both exercised. Titles carry the boilerplate of real sites (山亭区人民政府办公室关于印发…的通知,
关于进一步加强…工作的实施意见, 一图读懂, 政策问答), and the pool's common terms (``common_terms``) are
passed to both sides, as the engine does.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest
from checks_builders import BASE, item_view, page_view

from checks.kinds.after_trigger import explains
from checks.kinds.after_trigger_match import InterpretationIndex, common_terms

TOPICS = ("城乡低保", "农村危房改造", "养老服务设施", "高标准农田建设", "公共租赁住房", "秸秆禁烧")
FORMS = ("实施办法", "管理办法", "实施意见", "工作方案")


def _policy_title(rng: random.Random) -> str:
    topic = rng.choice(TOPICS)
    core = f"{rng.choice(('', '2026年', '山亭区'))}{topic}{rng.choice(FORMS)}"
    return rng.choice((f"关于印发{core}的通知", f"关于印发《{core}》的通知", f"山亭区人民政府关于{core}的通知", core,
                       f"山亭区人民政府办公室关于印发《{core}》的通知", f"关于进一步加强{topic}工作的实施意见",
                       f"山亭区人民政府关于做好{topic}有关工作的通知"))


def _interp_title(rng: random.Random, policies: list[str]) -> str:
    other = rng.choice(policies)
    core = other.split("关于印发")[-1].removesuffix("的通知").strip("《》")
    topic, form = rng.choice(TOPICS), rng.choice(FORMS)
    return rng.choice((
        f"《{other}》政策解读", f"《{core}》解读", f"{core}政策解读", f"图解：{topic}{form}",
        f"一图读懂{topic}", f"关于{topic}的问答", f"《{topic}》解读", "2026年秋季学期开学通知解读",
        f"《{topic}{form}》《{rng.choice(TOPICS)}》解读", f"一图读懂山亭区{topic}", f"山亭区{topic}政策问答",
        f"山亭区人民政府办公室关于印发{rng.choice(TOPICS)}{form}的政策解读", f"{form}解读",
    ))


def _pool(seed: int) -> tuple[list, list]:
    rng = random.Random(seed)
    urls = [f"{BASE}/p/{seed}/{n}.html" for n in range(40)]
    titles = [_policy_title(rng) for _ in range(8)]
    policies, interps = [], []
    for n, title in enumerate(titles):
        links = frozenset(rng.sample(urls, 2)) if rng.random() < 0.3 else frozenset()
        page = page_view(urls[n], links=links) if rng.random() < 0.5 else None
        policies.append(item_view(title, dt.date(2026, 9, 1 + n), url=urls[n], page=page))
    for n in range(rng.randint(0, 25)):
        url = urls[8 + n]
        day = None if rng.random() < 0.2 else dt.date(2026, 9, rng.randint(1, 6))  # many ties
        links = frozenset(rng.sample(urls, 2)) if rng.random() < 0.3 else frozenset()
        page = page_view(url, links=links) if rng.random() < 0.5 else None
        interps.append(item_view(_interp_title(rng, titles), day, url=url, page=page))
    return policies, interps


def _common(policies: list, pooled: bool) -> frozenset[str]:
    return common_terms([p.title for p in policies], ["山亭区民政局"]) if pooled else frozenset()


@pytest.mark.parametrize("pooled", [False, True])
@pytest.mark.parametrize("seed", range(60))
def test_index_equals_explains_pair_by_pair(seed: int, pooled: bool) -> None:
    policies, interps = _pool(seed)
    common = _common(policies, pooled)
    index = InterpretationIndex(interps, common)
    for min_shared in (0, 2, 3, 5):
        for policy in policies:
            expected = [(i, how) for i in interps if (how := explains(i, policy, min_shared, common))]
            expected.sort(key=lambda p: p[0].published or dt.date.max)
            got = index.matching(policy, min_shared)
            assert [(i.url, how) for i, how in got] == [(i.url, how) for i, how in expected], (seed, policy.title)


def test_every_way_of_matching_occurs_in_the_random_pools() -> None:
    hows = set()
    for seed in range(60):
        policies, interps = _pool(seed)
        index = InterpretationIndex(interps, _common(policies, True))
        hows |= {how for p in policies for _, how in index.matching(p, 3)}
    assert hows == {"link", "quote", "title", "keywords"}


def test_empty_pool_matches_nothing() -> None:
    policy = item_view("关于印发城乡低保实施办法的通知", dt.date(2026, 9, 1))
    assert InterpretationIndex([]).matching(policy, 0) == []
