"""Helpers of the engine's batch path give what the plain code gives.

- ``lifecycle._BatchJson``: the same text as ``json.dumps`` (evidence) and ``encode_details`` (details), also
  after a value that needed the slow path, and the given serializer when it is not json's;
- ``rows.raw``: driver rows whose converters give ``tuples``' values;
- ``SectionData.last_published``: the first of the latest items, and a changed items list is seen;
- ``common.item_evidence``: an item without a page gets one entry, shared by every call;
- ``_BatchJson.evidence`` encodes each shared entry once and still writes what ``json.dumps`` writes;
- ``privacy_detect``'s prefilter accepts the same strings as the two patterns it was written from;
- ``workers``: results travel as tuples of ``RESULT_FIELDS`` and come back equal.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re

import pytest
from checks_builders import item_view, page_view, section_data
from sqlalchemy import insert, select

from checks.engine import RESULT_FIELDS, FindingResult
from checks.kinds.common import item_evidence
from checks.lifecycle import _BatchJson, encode_details
from checks.rows import raw, tuples
from store.db import Database
from store.models import AvailabilityProbe

DAY = dt.date(2026, 11, 20)
VALUES = [
    {},
    {"items": 0},
    {"late": [{"title": "关于印发《办法》的通知", "url": "http://x/1", "published": DAY, "due": DAY}], "checked": 3},
    {"unread": ["http://x/a", "http://x/b"], "counts": {"手机号": 2}, "ratio": 0.5, "flag": True, "none": None},
    {"terms": {"城乡"}, "pair": (1, 2), "at": dt.datetime(2026, 11, 20, 8, 30), 3: "int key"},
    {"nested": {"deep": [{"day": DAY}, [DAY, None]]}, "text": "引号\"与\\反斜杠\n换行"},
]


def test_batch_json_equals_json_dumps_and_encode_details() -> None:
    encoded = _BatchJson(json.dumps)
    evidence = [[], [{"url": "http://x/1", "captured_at": "2026-11-20T08:30:00", "warc_file": None,
                      "warc_offset": 12, "warc_length": 3.5}], [{"url": "http://x/中文", "n": [1, 2]}] * 2]
    for value in evidence:
        assert encoded.evidence(value) == json.dumps(value)
    for value in VALUES:
        assert encoded.details(value) == encode_details(value)


def test_batch_json_recovers_after_the_slow_path_and_keeps_other_serializers() -> None:
    encoded = _BatchJson(json.dumps)
    odd = {"x": object()}  # neither the fast path nor the slow path can encode it
    with pytest.raises(TypeError):
        encoded.details(odd)
    for value in VALUES:  # the reused encoder is still clean
        assert encoded.details(value) == encode_details(value)
    compact = _BatchJson(lambda v: json.dumps(v, separators=(",", ":")))
    assert compact.evidence([{"a": 1}]) == '[{"a":1}]'
    assert compact.details({"a": [1, 2]}) == encode_details({"a": [1, 2]}, lambda v: json.dumps(v, separators=(",", ":")))


def test_raw_rows_convert_to_tuples(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = Database(f"sqlite:///{tmp_path / 'r.db'}")
    with db.session() as session:
        session.execute(insert(AvailabilityProbe), [
            {"site_id": "s", "url": "http://x/", "probed_at": dt.datetime(2026, 11, 20, h), "ok": h % 2 == 0,
             "http_status": 200 if h % 2 == 0 else None, "reason": "ok", "ipv6": None} for h in range(5)])
    a = AvailabilityProbe
    stmt = select(a.site_id, a.probed_at, a.ok, a.http_status).order_by(a.probed_at)
    with db.session() as session:
        connection = session.connection()
        rows, procs = raw(connection, stmt)
        converted = [tuple(proc(v) for proc, v in zip(procs, row, strict=True)) for row in rows]
        assert converted == tuples(connection, stmt) == [tuple(r) for r in connection.execute(stmt).all()]
        assert raw(connection, stmt.where(a.site_id == "none"))[0] == []
    db.dispose()


def test_last_published_is_the_first_of_the_latest_and_follows_changes() -> None:
    a = item_view("a", dt.date(2026, 11, 1))
    b = item_view("b", dt.date(2026, 11, 5))
    c = item_view("c", dt.date(2026, 11, 5))
    undated = item_view("d", None)
    section = section_data("news", "national.weekly", [undated, a, b, c])
    assert section.last_published() is b and section.last_published() is b
    newer = item_view("e", dt.date(2026, 11, 9))
    section.items.append(newer)
    assert section.last_published() is newer
    section.items = [undated]
    assert section.last_published() is None
    section.items = []
    assert section.last_published() is None


def test_item_evidence_entry_is_made_once_per_item() -> None:
    bare = item_view("a", DAY)
    paged = item_view("b", DAY, page=page_view("http://x/b"))
    first, second = item_evidence([bare, paged]), item_evidence([bare])
    assert first[0] is second[0] and first[1] is paged.page.evidence  # type: ignore[union-attr]
    assert first[0] == {"url": bare.url, "captured_at": bare.first_seen.isoformat(timespec="seconds"),
                        "warc_file": None, "warc_offset": None, "warc_length": None}
    assert item_evidence([bare, bare]) == [first[0], first[0]]


def test_batch_json_evidence_entries_once_and_odd_lists_as_json_dumps() -> None:
    encoded = _BatchJson(json.dumps)
    shared = {"url": "http://x/1", "captured_at": None, "warc_file": "a.warc.gz", "warc_offset": 1, "warc_length": 2}
    values = [[shared], [shared, {"url": "http://x/中文"}], [], [shared] * 3, ["text", shared], [[1], {"a": DAY.isoformat()}],
              {"not": "a list"}, [{"nested": [shared, {"n": 1.5, "t": True}]}]]
    for value in values * 2:  # the second round reads the entries' memoised text
        assert encoded.evidence(value) == json.dumps(value)
    assert id(shared) in encoded.entries


def test_privacy_prefilter_is_the_same_language() -> None:
    from checks.privacy_detect import _CANDIDATE

    written_from = re.compile(r"\d{11}|\d{4}[ -]\d{4}")
    rng = random.Random(8)
    alphabet = "0123456789 -a\n０１٣＊*x年"
    for _ in range(50_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
        assert (_CANDIDATE.search(text) is None) == (written_from.search(text) is None), text


def test_results_travel_as_field_tuples() -> None:
    import pickle
    from itertools import starmap
    from operator import attrgetter

    results = [FindingResult("r", "k", "s", None, "d", "fail", "2026-10", DAY, "消息", [{"url": "u"}], True, "veto",
                             {"at": DAY}, "名称"),
               FindingResult("r2", "k", None, "sec", None, "pass", None, None, "ok")]
    rows = pickle.loads(pickle.dumps(list(map(attrgetter(*RESULT_FIELDS), results))))
    assert list(starmap(FindingResult, rows)) == results
