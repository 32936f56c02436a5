"""The rectification loop (隐患整改) on the desk: found -> triaged -> assigned -> rectified ->
re-inspected -> closed, with every change stored (who, when, from where) and refused steps
leaving the hazard untouched."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from alerts.errors import TransitionError
from alerts.hazards.lifecycle import Command
from events.hazards import HazardAction, HazardOwner, HazardSeverity, HazardState, OwnerKind
from events.reports import HazardCategory
from runtime.clock import ManualClock

from .rig import START, desk, photo_id, report

A = HazardAction
OWNER = HazardOwner(kind=OwnerKind.PROPERTY_COMPANY, name="Example property company")


def test_a_report_walks_the_whole_loop_to_closed(tmp_path: Path) -> None:
    clock = ManualClock(START)
    d = desk(tmp_path, clock)
    (opened,) = d.take(report())
    hid = opened.hazard_id
    assert opened.state is HazardState.FOUND
    assert opened.action is A.REPORT
    assert "1号楼" in opened.title  # the registry's zh-CN name
    steps = [
        (Command(A.TRIAGE, severity=HazardSeverity.MAJOR, owner=OWNER), "so-1"),
        (Command(A.ASSIGN, assignee="property duty"), "so-1"),
        (Command(A.RECTIFY, photo_ids=(photo_id("fixed"),), note="bikes moved"), "gw-1"),
        (Command(A.REINSPECT, note="stairs clear"), "ste-m1"),
        (Command(A.CLOSE), "so-1"),
    ]
    states = []
    for cmd, actor in steps:
        clock.advance(600)
        states.append(d.act(hid, cmd, actor, "hazard-api 127.0.0.1").state)
    assert states == [
        HazardState.TRIAGED,
        HazardState.ASSIGNED,
        HazardState.RECTIFIED,
        HazardState.REINSPECTED,
        HazardState.CLOSED,
    ]
    stored = d.store.hazard(hid)
    assert stored is not None
    assert stored.deadline_at == START + timedelta(seconds=1200) + timedelta(hours=24)
    assert stored.rectified_by == "gw-1"
    assert photo_id("fixed") in stored.photo_ids
    assert hid not in d.open
    changes = d.store.changes(hid)
    assert [c.action for c in changes] == [
        A.REPORT,
        A.TRIAGE,
        A.ASSIGN,
        A.RECTIFY,
        A.REINSPECT,
        A.CLOSE,
    ]
    assert [c.seq for c in changes] == [1, 2, 3, 4, 5, 6]
    assert changes[3].actor == "gw-1"
    assert changes[3].source == "hazard-api 127.0.0.1"
    assert changes[3].at == START + timedelta(seconds=1800)


def test_refused_steps_name_why_and_change_nothing(tmp_path: Path) -> None:
    clock = ManualClock(START)
    d = desk(tmp_path, clock)
    hid = d.take(report())[0].hazard_id
    with pytest.raises(TransitionError, match="not allowed in state found"):
        d.act(hid, Command(A.CLOSE), "so-1", "api")
    with pytest.raises(TransitionError, match="severity and an owner"):
        d.act(hid, Command(A.TRIAGE), "so-1", "api")
    d.act(hid, Command(A.TRIAGE, severity=HazardSeverity.GENERAL, owner=OWNER), "so-1", "api")
    d.act(hid, Command(A.ASSIGN, assignee="household 302"), "so-1", "api")
    with pytest.raises(TransitionError, match="needs a photo"):
        d.act(hid, Command(A.RECTIFY), "gw-1", "api")
    with pytest.raises(TransitionError, match="not in the photo store"):
        d.act(hid, Command(A.RECTIFY, photo_ids=(photo_id("never uploaded"),)), "gw-1", "api")
    d.act(hid, Command(A.RECTIFY, photo_ids=(photo_id("fixed"),)), "gw-1", "api")
    with pytest.raises(TransitionError, match="someone else"):
        d.act(hid, Command(A.REINSPECT), "gw-1", "api")
    stored = d.store.hazard(hid)
    assert stored is not None
    assert stored.state is HazardState.RECTIFIED
    assert stored.seq == 4


def test_a_failed_reinspection_goes_back_with_a_new_deadline(tmp_path: Path) -> None:
    clock = ManualClock(START)
    d = desk(tmp_path, clock)
    hid = d.take(report())[0].hazard_id
    d.act(hid, Command(A.TRIAGE, severity=HazardSeverity.GENERAL, owner=OWNER), "so-1", "api")
    d.act(hid, Command(A.ASSIGN, assignee="household 302"), "so-1", "api")
    d.act(hid, Command(A.RECTIFY, photo_ids=(photo_id("fixed"),)), "gw-1", "api")
    with pytest.raises(TransitionError, match="needs a reason"):
        d.act(hid, Command(A.REJECT), "ste-m1", "api")
    clock.advance(3600)
    update = d.act(hid, Command(A.REJECT, note="charger still in the stairwell"), "ste-m1", "api")
    assert update.state is HazardState.ASSIGNED
    assert update.deadline_at == clock.now() + timedelta(hours=72)
    stored = d.store.hazard(hid)
    assert stored is not None
    assert stored.rectified_at is None


def test_a_second_report_of_the_same_place_joins_the_open_hazard(tmp_path: Path) -> None:
    d = desk(tmp_path, ManualClock(START))
    first = d.take(report("r1", photos=("a",)))[0]
    joined = d.take(report("r2", photos=("b",)))[0]
    other_floor = d.take(report("r3", floor=4))[0]
    other_kind = d.take(report("r4", category=HazardCategory.FLYING_WIRE))[0]
    assert joined.hazard_id == first.hazard_id
    assert joined.action is HazardAction.JOIN
    assert joined.report_ids == ("r1", "r2")
    assert joined.photo_ids == (photo_id("a"), photo_id("b"))
    assert len({first.hazard_id, other_floor.hazard_id, other_kind.hazard_id}) == 3


def test_a_redelivered_report_changes_nothing(tmp_path: Path) -> None:
    d = desk(tmp_path, ManualClock(START))
    assert len(d.take(report("r1"))) == 1
    assert d.take(report("r1")) == []
    assert len(d.store.changes("hz-r1")) == 1


def test_a_restart_republishes_what_kafka_never_acknowledged(tmp_path: Path) -> None:
    clock = ManualClock(START)
    d = desk(tmp_path, clock)
    acknowledged = d.take(report("r1"))[0]
    d.published(acknowledged)
    d.take(report("r2", floor=9))
    again = desk(tmp_path, clock)
    assert [u.hazard_id for u in again.unpublished()] == ["hz-r2"]
    assert set(again.open) == {"hz-r1", "hz-r2"}
