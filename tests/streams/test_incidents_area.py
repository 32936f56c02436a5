"""The compound stage (two detectors, smoke near charging, doors in a fire, gateway outage)
and the incident manager (one incident, revisions, latching, no second page)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from events.alerts import AlertKind, AlertStatus, LinkageAction, Severity
from events.readings import DoorEventType, DoorType, Reading
from streams.detectors.area import CompoundEngine, new_compound_state
from streams.detectors.engine import DeviceEngine
from streams.detectors.model import Finding, Place, Signal, SignalKind, evidence
from streams.detectors.state import DeviceState
from streams.incidents import apply_finding
from tests.streams.fixtures import T0, door, port, smoke

DEVICES = DeviceEngine()
COMPOUND = CompoundEngine()


def signals_of(readings: Sequence[Reading]) -> list[Signal]:
    states: dict[str, DeviceState] = {}
    out: list[Signal] = []
    for r in readings:
        st = states.setdefault(r.device_id, DeviceState(device_id=r.device_id))
        res = DEVICES.on_reading(st, r, r.observed_at.timestamp())
        if res:
            out.extend(res.signals)
    return out


def run_compound(signals: list[Signal]) -> list[Finding]:
    cs = new_compound_state()
    found: list[Finding] = []
    for s in signals:
        found.extend(COMPOUND.on_signal(cs, s).findings)
    return found


def test_two_detectors_in_one_area_confirm_at_once() -> None:
    sigs = signals_of([smoke("s1", 0, 0.0, obs=0.1), smoke("s2", 0, 10.0, obs=0.1)])
    fires = [f for f in run_compound(sigs) if f.kind is AlertKind.FIRE]
    assert len(fires) == 1
    assert fires[0].subject == "area:a1"


def test_two_detectors_in_different_areas_do_not() -> None:
    sigs = signals_of([smoke("s1", 0, 0.0, obs=0.1), smoke("s2", 0, 10.0, obs=0.1, area_id="a2")])
    assert not [f for f in run_compound(sigs) if f.kind is AlertKind.FIRE]


def test_smoke_near_charging_cuts_power_of_charging_ports_in_that_area() -> None:
    sigs = signals_of(
        [
            port("p1", 0, 0.0, area_id="shed"),
            port("p2", 0, 0.0, area_id="shed"),
            port("p3", 0, 0.0, area_id="other"),
            smoke("s1", 0, 5.0, obs=0.1, area_id="shed"),
        ]
    )
    near = [f for f in run_compound(sigs) if f.kind is AlertKind.SMOKE_NEAR_CHARGING]
    assert len(near) == 1
    assert {(lr.action, lr.device_id) for lr in near[0].linkage} == {
        (LinkageAction.CUT_POWER, "p1"),
        (LinkageAction.CUT_POWER, "p2"),
    }


def test_fire_in_building_flags_open_fire_door_and_releases_locked_exit() -> None:
    sigs = signals_of(
        [
            door(
                "fd",
                0,
                0.0,
                door_type=DoorType.FIRE_DOOR_NC,
                event=DoorEventType.OPENED,
                is_open=True,
            ),
            door(
                "ex",
                0,
                0.0,
                door_type=DoorType.EVACUATION_EXIT,
                event=DoorEventType.CLOSED,
                is_open=False,
            ),
            door(
                "other",
                0,
                0.0,
                door_type=DoorType.EVACUATION_EXIT,
                event=DoorEventType.CLOSED,
                is_open=False,
                building_id="b2",
            ),
            smoke("s1", 0, 5.0, temp_c=70.0),
        ]
    )
    found = run_compound(sigs)
    assert [f.subject for f in found if f.kind is AlertKind.FIRE_DOOR_OPEN_IN_FIRE] == ["fd"]
    evac = [f for f in found if f.kind is AlertKind.EVAC_LOCKS_NOT_RELEASED]
    assert [f.subject for f in evac] == ["ex"]
    assert evac[0].linkage[0].action is LinkageAction.RELEASE_LOCKS


def _silence(device_id: str, gateway: str, t_s: float, *, is_gateway: bool = False) -> Signal:
    return Signal(
        SignalKind.SILENCE,
        device_id,
        Place("c1", gateway, device_id=device_id),
        t_s,
        flag=True,
        is_gateway=is_gateway,
    )


def test_gateway_outage_is_one_alert_not_one_per_device() -> None:
    cs = new_compound_state()
    found = []
    for i in range(50):
        found += COMPOUND.on_signal(cs, _silence(f"d{i}", "gw1", T0 + i * 0.1)).findings
    found += COMPOUND.on_signal(cs, _silence("gw1", "gw1", T0 + 6, is_gateway=True)).findings
    found += COMPOUND.on_signal(cs, _silence("lone", "gw2", T0 + 7)).findings
    found += COMPOUND.on_tick(cs, "c1", T0 + 100).findings
    kinds = sorted((f.kind.value, f.subject) for f in found)
    assert kinds == [("device_offline", "lone"), ("gateway_offline", "gw1")]


def _finding(
    stage: str,
    event_id: str,
    *,
    active: bool = True,
    kind: AlertKind = AlertKind.FIRE,
) -> Finding:
    return Finding(
        kind,
        "s1",
        Place("c1", "gw1", "b1", 1, "a1", "s1"),
        T0,
        is_active=active,
        stage=stage,
        evidence=evidence(event_id, "s1", T0),
    )


def test_incident_revisions_latch_and_no_second_page() -> None:
    store: dict[str, dict[str, Any]] = {}
    first = apply_finding(store, _finding("confirmed", "s1:1"), T0)
    assert first
    assert first.status is AlertStatus.RAISED
    assert first.severity is Severity.P1
    assert first.is_latched
    assert first.evidence[0].event_id == "s1:1"
    assert apply_finding(store, _finding("confirmed", "s1:1"), T0) is None  # replay
    assert apply_finding(store, _finding("confirmed", "s1:2"), T0) is None  # same news
    upd = apply_finding(store, _finding("device smoke", "s1:3"), T0)
    assert upd
    assert upd.status is AlertStatus.UPDATED
    assert upd.revision == 2
    assert upd.incident_key == first.incident_key
    assert apply_finding(store, _finding("", "s1:4", active=False), T0) is None  # latched


def test_p3_clears_and_reraises_with_a_new_revision() -> None:
    store: dict[str, dict[str, Any]] = {}
    kind = AlertKind.LOW_BATTERY
    a = apply_finding(store, _finding("raised", "s1:1", kind=kind), T0)
    b = apply_finding(store, _finding("cleared", "s1:2", kind=kind, active=False), T0)
    c = apply_finding(store, _finding("raised", "s1:3", kind=kind), T0)
    assert a
    assert b
    assert c
    assert [x.revision for x in (a, b, c)] == [1, 2, 3]
    assert b.status is AlertStatus.CLEARED
    assert c.status is AlertStatus.RAISED
