"""Findings judged on guessed working days (no calendar data, e.g. 2027) say so in their message."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from checks_builders import Store, item_view, judge, make_config, section_data, site_data

from checks.calendar import WorkCalendar
from checks.engine import run_checks
from checks.model import UNCERTAIN_NOTE, Outcome
from zwgk.config import CalendarConfig
from zwgk.exports import findings_document

D = dt.date


def test_work_weeks_in_2027_say_the_calendar_was_guessed() -> None:
    results = judge(site_data(section_data("sec", "generic.work_weekly", [item_view("动态", D(2027, 3, 2))])),
                    D(2027, 3, 10), "generic.work_weekly")
    assert results and all(r.uncertain and r.message.count(UNCERTAIN_NOTE) == 1 for r in results)


def test_known_years_carry_no_note() -> None:
    results = judge(site_data(section_data("sec", "generic.work_weekly", [item_view("动态", D(2026, 11, 3))])),
                    D(2026, 11, 16), "generic.work_weekly")
    assert results and not any(r.uncertain or UNCERTAIN_NOTE in r.message for r in results)


def test_configured_holidays_make_the_year_certain() -> None:
    calendar = WorkCalendar(CalendarConfig(holidays=(D(2027, 2, 8),), workdays=()))
    item = item_view("关于做好春季防火工作的通知", D(2027, 3, 1), written=D(2027, 2, 1))
    site = site_data(section_data("tzgg", "generic.presence", [item], category="notice"))
    [guessed] = judge(site, D(2027, 3, 10), "ogi.active_disclosure")
    [known] = judge(site, D(2027, 3, 10), "ogi.active_disclosure", calendar=calendar)
    assert guessed.uncertain and UNCERTAIN_NOTE in guessed.message
    assert not known.uncertain and UNCERTAIN_NOTE not in known.message


def test_unreadable_section_keeps_the_note_once() -> None:
    sec = section_data("sec", "generic.work_weekly", [], outcome="blocked", reason="瑞数 HTTP 412")
    results = judge(site_data(sec), D(2027, 3, 10), "generic.work_weekly")
    assert results and {r.status for r in results} == {"unknown"}
    assert all(r.message.startswith("无法判断：") and r.message.count(UNCERTAIN_NOTE) == 1 for r in results)


def test_the_note_is_added_once_however_often_an_outcome_is_copied() -> None:
    from dataclasses import replace

    outcome = Outcome("fail", "逾期", uncertain=True)
    assert replace(replace(outcome, evidence=[])).message == "逾期" + UNCERTAIN_NOTE
    assert Outcome("fail", "逾期").message == "逾期"


def test_stored_data_judged_in_2027_exports_the_note(tmp_path: Path) -> None:
    """Through the store and the JSON export auditors get (`zwgk check` refuses future dates today)."""
    config = make_config(tmp_path, [{"id": "gzdt", "indicator": "generic.work_weekly"}])
    store = Store(config)
    store.crawl("gzdt", D(2027, 3, 9))
    store.item("gzdt", "区政府召开常务会议", D(2027, 3, 2))
    results = [r for r in run_checks(config, store.db, D(2027, 3, 10), record=False)
               if r.rule == "generic.work_weekly"]
    store.close()
    doc = json.loads(json.dumps(findings_document(results, D(2027, 3, 10)), ensure_ascii=False))
    assert doc["findings"] and all(f["uncertain"] and UNCERTAIN_NOTE in f["message"] for f in doc["findings"])
