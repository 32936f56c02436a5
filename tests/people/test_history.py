"""The 台账 history the console exports (alerts/ledger/history.py): incidents as dispatch wrote
them, hazards as the desk wrote them, patrol check-ins; filtered, scoped, paged; on SQLite and
on a real PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from alerts.hazards.lifecycle import Command
from alerts.ledger.history import (
    HAZARD_COLUMNS,
    INCIDENT_COLUMNS,
    HistoryFilter,
    hazard_history,
    incident_history,
    patrol_history,
)
from alerts.lifecycle import Action, Outcome
from events.alerts import AlertKind
from events.hazards import HazardAction, HazardOwner, HazardSeverity, OwnerKind
from events.reports import HazardCategory
from runtime.clock import ManualClock
from tests.alerts.rig import DAY, build_rig, make_alert

from .rig import checkin, desk, report

A = HazardAction
OWNER = HazardOwner(kind=OwnerKind.PROPERTY_COMPANY, name="物业公司")


async def test_incidents_read_back_with_the_inspection_columns(db_url: str) -> None:
    clock = ManualClock(DAY)
    rig = build_rig(db_url, clock)
    fire = await rig.alert(make_alert())
    assert fire is not None
    await rig.alert(make_alert(device="sd-2"))  # a second detector: one incident, two devices
    clock.advance(30)
    await rig.act(fire.incident_key, Action.ACKNOWLEDGE, "ste-m1", "console")
    clock.advance(90)
    await rig.act(fire.incident_key, Action.ON_SCENE, "ste-m2", "terminal")
    await rig.act(fire.incident_key, Action.DENY, "ste-m2", "terminal")
    await rig.act(
        fire.incident_key, Action.RESOLVE, "ste-m2", "terminal", Outcome.FALSE_ALARM, "cooking"
    )
    clock.advance(3600)
    later = await rig.alert(make_alert(device="sd-3", building="b2", at=clock.now()))
    assert later is not None
    assert await rig.alert(make_alert(AlertKind.LOW_BATTERY, device="sd-4")) is None  # 维保
    db = rig.ledger.db

    rows = incident_history(db, HistoryFilter())
    assert [r.incident_key for r in rows] == [later.incident_key, fire.incident_key]  # newest
    first = rows[1]
    assert (first.ack_s, first.scene_s) == (30.0, 120.0)
    assert first.handled_by == ("ste-m1", "ste-m2")
    assert (first.outcome, first.false_alarm_cause) == ("false_alarm", "cooking")
    assert set(first.devices) >= {"sd-1", "sd-2"}
    assert first.kinds == ("fire",)
    assert first.as_dict()["opened_at"] == DAY.isoformat()
    assert all(hasattr(first, c.key) for c in INCIDENT_COLUMNS)
    # Filters: outcome, kind, dates, scope, paging.
    outcome = HistoryFilter(outcomes=frozenset({"false_alarm"}))
    assert [r.incident_key for r in incident_history(db, outcome)] == [fire.incident_key]
    assert incident_history(db, HistoryFilter(kinds=frozenset({"low_battery"}))) == []
    since = HistoryFilter(start=DAY + timedelta(minutes=30))
    assert [r.incident_key for r in incident_history(db, since)] == [later.incident_key]
    assert incident_history(db, HistoryFilter(compound_ids=frozenset({"c-north"}))) == []
    assert incident_history(db, HistoryFilter(compound_ids=frozenset())) == []
    page2 = incident_history(db, HistoryFilter(limit=1, offset=1))
    assert [r.incident_key for r in page2] == [fire.incident_key]
    db.close()


def test_hazards_and_patrols_read_back_scoped_and_paged(db_url: str, tmp_path: Path) -> None:
    clock = ManualClock(DAY)
    d = desk(tmp_path, clock, db_url=db_url)
    late = d.take(report("r1"))[0].hazard_id
    clock.advance(60)
    north = d.take(report("r2", compound_id="c-north", building_id="n1", floor=2))[0].hazard_id
    d.take(report("r3", category=HazardCategory.FLYING_WIRE))  # joins nothing: its own hazard
    triage = Command(A.TRIAGE, severity=HazardSeverity.MAJOR, owner=OWNER)
    d.act(late, triage, "so-1", "api")
    d.act(late, Command(A.ASSIGN, assignee="物业值班"), "so-1", "api")  # due in 24 h
    d.take(checkin("c001-exits-b1-exit", DAY))
    d.take(checkin("c001-exits-b2-exit", DAY + timedelta(minutes=5)))
    db = d.store.db
    now = DAY + timedelta(days=2)

    rows = hazard_history(db, HistoryFilter(), now)
    assert len(rows) == 3
    by_id = {r.hazard_id: r for r in rows}
    assert by_id[late].is_overdue  # its 24 h deadline passed, not rectified
    assert by_id[late].owner_name == "物业公司"
    assert by_id[late].handled_by == ("so-1",)  # triaged and assigned; the resident not named
    assert by_id[north].handled_by == ()
    assert not hazard_history(db, HistoryFilter(), DAY)[-1].is_overdue  # not yet, at DAY
    assert not by_id[north].is_overdue  # never assigned: no deadline
    assert all(hasattr(rows[0], c.key) for c in HAZARD_COLUMNS)
    scoped = HistoryFilter(compound_ids=frozenset({"c-north"}))
    assert [r.hazard_id for r in hazard_history(db, scoped, now)] == [north]
    wires = HistoryFilter(kinds=frozenset({"flying_wire"}))
    assert [r.category for r in hazard_history(db, wires, now)] == ["flying_wire"]
    assigned = HistoryFilter(outcomes=frozenset({"assigned"}))
    assert [r.hazard_id for r in hazard_history(db, assigned, now)] == [late]

    patrols = patrol_history(db, HistoryFilter())
    assert [p.checkpoint_id for p in patrols] == ["c001-exits-b2-exit", "c001-exits-b1-exit"]
    assert patrols[0].member_id == "gw-1"
    assert patrols[0].is_ok
    window = HistoryFilter(end=DAY + timedelta(minutes=1))
    assert [p.checkpoint_id for p in patrol_history(db, window)] == ["c001-exits-b1-exit"]
    assert patrol_history(db, replace(window, compound_ids=frozenset({"c-north"}))) == []
    db.close()
