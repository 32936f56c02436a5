"""The compound stage (two detectors, smoke near charging, doors in a fire, gateway outage)
and the condition manager (one condition, revisions, latching, no second page)."""

from __future__ import annotations

from collections.abc import Sequence

from events.alerts import AlertKind, AlertStatus, LinkageAction, Severity
from events.readings import DoorEventType, DoorType, Reading
from streams.conditions import ConditionRecord, apply_finding
from streams.detectors.area import CompoundEngine
from streams.detectors.compound_state import CompoundState
from streams.detectors.engine import DeviceEngine
from streams.detectors.model import Finding, Place, Signal, SignalKind, evidence
from streams.detectors.state import DeviceState
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


def run_compound(signals: list[Signal], cs: CompoundState | None = None) -> list[Finding]:
    cs = CompoundState() if cs is None else cs
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
    cs = CompoundState()
    found = []
    for i in range(50):
        found += COMPOUND.on_signal(cs, _silence(f"d{i}", "gw1", T0 + i * 0.1)).findings
    found += COMPOUND.on_signal(cs, _silence("gw1", "gw1", T0 + 6, is_gateway=True)).findings
    found += COMPOUND.on_signal(cs, _silence("lone", "gw2", T0 + 7)).findings
    found += COMPOUND.on_tick(cs, T0 + 100).findings
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
    store: dict[str, ConditionRecord] = {}
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
    assert upd.condition_key == first.condition_key
    assert apply_finding(store, _finding("", "s1:4", active=False), T0) is None  # latched


def test_p3_clears_and_reraises_with_a_new_revision() -> None:
    store: dict[str, ConditionRecord] = {}
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


def _fire_door(device_id: str, seq: int, t_s: float, *, is_open: bool) -> Reading:
    event = DoorEventType.OPENED if is_open else DoorEventType.CLOSED
    return door(device_id, seq, t_s, door_type=DoorType.FIRE_DOOR_NC, event=event, is_open=is_open)


def test_doors_in_a_fire_raise_while_unsafe_and_clear_when_safe() -> None:
    cs = CompoundState()
    found = run_compound(signals_of([_fire_door("fd", 0, 0.0, is_open=True)]), cs)
    assert found == []  # an open fire door without a fire is the held-open rule's business
    found = run_compound(signals_of([smoke("s1", 0, 100.0, temp_c=70.0)]), cs)
    (opened,) = [f for f in found if f.kind is AlertKind.FIRE_DOOR_OPEN_IN_FIRE]
    assert (opened.is_active, opened.at_s) == (True, T0 + 100.0)  # from the fire, not the door
    found = run_compound(signals_of([_fire_door("fd", 1, 130.0, is_open=False)]), cs)
    (closed,) = [f for f in found if f.kind is AlertKind.FIRE_DOOR_OPEN_IN_FIRE]
    assert (closed.is_active, closed.at_s, closed.stage) == (False, T0 + 130.0, "closed")


def test_smoke_near_charging_is_dated_by_its_facts_not_by_processing_order() -> None:
    # The thermal_runaway e2e flake: the shed's smoke alarm (priority lane, t = 920) was
    # processed before the port's charging signal (readings lane, t = 300) and the finding
    # took the port's time: 620 s early, before the scenario's onset and in its quiet window.
    smoke_first = signals_of([smoke("s1", 0, 920.0, obs=0.1, area_id="shed")])
    ports_late = signals_of([port("p1", 0, 300.0, area_id="shed")])
    (near,) = [
        f for f in run_compound(smoke_first + ports_late) if f.kind is AlertKind.SMOKE_NEAR_CHARGING
    ]
    assert near.at_s == T0 + 920.0


def test_two_detectors_are_dated_by_the_second_detector() -> None:
    sigs = signals_of([smoke("s2", 0, 40.0, obs=0.1), smoke("s1", 0, 10.0, obs=0.1)])
    (fire,) = [f for f in run_compound(sigs) if f.kind is AlertKind.FIRE]
    assert fire.at_s == T0 + 40.0


def test_a_reset_lets_the_area_rules_raise_again_and_the_state_round_trips() -> None:
    cs = CompoundState()
    sigs = signals_of([smoke("s1", 0, 0.0, obs=0.1), smoke("s2", 0, 10.0, obs=0.1)])
    assert [f.kind for f in run_compound(sigs, cs)] == [AlertKind.FIRE]
    cs = CompoundState.from_dict(cs.to_dict())  # what the changelog restores
    assert "fire|area:a1" in cs.edges
    assert "area:a1" in cs.fire_areas
    COMPOUND.on_reset(cs, "c1/b1/fire/area:a1", T0 + 500)
    assert "fire|area:a1" not in cs.edges
    assert cs.fire_areas == {}
    again = signals_of([smoke("s3", 0, 30.0, obs=0.1)])  # within the 60 s window
    assert [f.kind for f in run_compound(again, cs)] == [AlertKind.FIRE]


def test_a_v1_compound_record_starts_afresh() -> None:
    assert CompoundState.from_dict({"fire": {}, "pending": {}, "incidents": {}}) == CompoundState()
