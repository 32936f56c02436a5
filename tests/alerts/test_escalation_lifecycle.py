"""Escalation ladder and the incident state machine as pure code with a fake clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerts.errors import TransitionError
from alerts.escalation import EscalationPolicy, Progress, Step, Tier, due_steps, next_deadline
from alerts.lifecycle import Action, Condition, Incident, Outcome, State
from events.alerts import AlertKind, AlertStatus, Severity
from events.incidents import IncidentPlace, PlaceScope
from runtime.clock import ManualClock

POLICY = EscalationPolicy()


def _progress(clock: ManualClock, **kw: object) -> Progress:
    base: dict[str, object] = {
        "severity": Severity.P1,
        "opened_at": clock.now(),
        "acknowledged_at": None,
        "on_scene_at": None,
        "is_confirmed": False,
        "has_delivery_failure": False,
        "fired": frozenset(),
    }
    base.update(kw)
    return Progress(**base)  # type: ignore[arg-type]  # the dict's values are mixed


def _ids(steps: list[Step]) -> list[str]:
    return [s.step_id for s in steps]


def test_p1_ladder_fires_at_0_60_180_seconds() -> None:
    clock = ManualClock()
    p = _progress(clock)
    assert _ids(due_steps(POLICY, p, clock.now())) == ["p1-page"]
    p = _progress(clock, opened_at=p.opened_at, fired=frozenset({"p1-page"}))
    assert next_deadline(POLICY, p) == p.opened_at + timedelta(seconds=60)
    assert due_steps(POLICY, p, clock.advance(59.9)) == []
    assert _ids(due_steps(POLICY, p, clock.advance(0.1))) == ["p1-no-ack"]
    p = _progress(clock, opened_at=p.opened_at, fired=frozenset({"p1-page", "p1-no-ack"}))
    assert due_steps(POLICY, p, clock.advance(119.9)) == []
    assert _ids(due_steps(POLICY, p, clock.advance(0.1))) == ["p1-street-119", "p1-mutual-aid"]
    assert POLICY.p1[2].tiers == (Tier.STREET, Tier.FORWARD_119)
    assert POLICY.p1[3].tiers == (Tier.MUTUAL_AID,)


def test_acknowledged_in_time_stops_backup_step_but_not_scene_step() -> None:
    clock = ManualClock()
    opened = clock.now()
    p = _progress(clock, acknowledged_at=clock.advance(30), fired=frozenset({"p1-page"}))
    p = _progress(clock, opened_at=opened, acknowledged_at=p.acknowledged_at, fired=p.fired)
    assert due_steps(POLICY, p, clock.advance(60)) == []
    assert _ids(due_steps(POLICY, p, clock.advance(90))) == ["p1-street-119", "p1-mutual-aid"]


def test_second_confirmation_escalates_to_119_at_once() -> None:
    clock = ManualClock()
    p = _progress(clock, is_confirmed=True, fired=frozenset({"p1-page"}))
    assert "p1-street-119" in _ids(due_steps(POLICY, p, clock.advance(5)))


def test_failed_delivery_pulls_the_backup_step_forward() -> None:
    clock = ManualClock()
    p = _progress(clock, has_delivery_failure=True, fired=frozenset({"p1-page"}))
    assert _ids(due_steps(POLICY, p, clock.advance(1))) == ["p1-no-ack"]


def test_timers_are_configurable() -> None:
    policy = EscalationPolicy(
        p1=(
            Step(step_id="a", after_s=0, tiers=(Tier.ON_DUTY,)),
            Step(step_id="b", after_s=2, tiers=(Tier.CHIEF,)),
        )
    )
    clock = ManualClock()
    p = _progress(clock, fired=frozenset({"a"}))
    assert _ids(due_steps(policy, p, clock.advance(2))) == ["b"]


def _incident(clock: ManualClock) -> Incident:
    place = IncidentPlace(
        compound_id="c", scope=PlaceScope.BUILDING, place_id="b1", building_id="b1"
    )
    return Incident("c/building:b1@x", place, Severity.P1, clock.now(), clock.now())


def _fire(device: str, clock: ManualClock) -> Condition:
    return Condition(
        f"c/b1/fire/{device}",
        AlertKind.FIRE,
        Severity.P1,
        AlertStatus.RAISED,
        1,
        clock.now(),
        sources=(device,),
    )


def test_lifecycle_records_who_when_where() -> None:
    clock = ManualClock()
    inc = _incident(clock)
    inc.apply(Action.DISPATCH, actor="system", at=clock.now(), source="dispatch")
    t = inc.apply(
        Action.ACKNOWLEDGE, actor="ste-m1", at=clock.advance(20), source="console 1.2.3.4"
    )
    assert (t.from_state, t.to_state, t.actor, t.source) == (
        State.DISPATCHED,
        State.ACKNOWLEDGED,
        "ste-m1",
        "console 1.2.3.4",
    )
    assert inc.acknowledged_at == clock.now()
    assert inc.is_open  # acknowledge is not clear
    inc.apply(Action.ON_SCENE, actor="ste-m1", at=clock.advance(60), source="terminal")
    inc.apply(Action.CONFIRM, actor="ste-m1", at=clock.advance(5), source="terminal")
    assert inc.is_confirmed
    inc.apply(
        Action.RESOLVE,
        actor="ste-m1",
        at=clock.advance(600),
        source="console",
        outcome=Outcome.REAL_FIRE,
    )
    assert inc.state is State.RESOLVED
    assert not inc.is_open


def test_mute_is_not_acknowledge() -> None:
    clock = ManualClock()
    inc = _incident(clock)
    inc.apply(Action.DISPATCH, actor="system", at=clock.now(), source="dispatch")
    t = inc.apply(Action.MUTE, actor="cr-1", at=clock.advance(3), source="console")
    assert t.to_state is State.DISPATCHED
    assert inc.acknowledged_at is None
    assert inc.is_muted


def test_false_alarm_needs_a_cause_and_resolve_needs_ack() -> None:
    clock = ManualClock()
    inc = _incident(clock)
    inc.apply(Action.DISPATCH, actor="system", at=clock.now(), source="dispatch")
    with pytest.raises(TransitionError, match="not allowed when dispatched"):
        inc.apply(Action.RESOLVE, actor="x", at=clock.now(), source="c", outcome=Outcome.TEST)
    inc.apply(Action.ACKNOWLEDGE, actor="x", at=clock.now(), source="c")
    inc.apply(Action.DENY, actor="x", at=clock.now(), source="c")
    with pytest.raises(TransitionError, match="cause"):
        inc.apply(
            Action.RESOLVE, actor="x", at=clock.now(), source="c", outcome=Outcome.FALSE_ALARM
        )
    with pytest.raises(TransitionError, match="not a fire"):
        inc.apply(Action.RESOLVE, actor="x", at=clock.now(), source="c", outcome=Outcome.REAL_FIRE)
    inc.apply(
        Action.RESOLVE,
        actor="x",
        at=clock.now(),
        source="c",
        outcome=Outcome.FALSE_ALARM,
        cause="cooking steam",
    )
    assert inc.false_alarm_cause == "cooking steam"


def test_two_alarm_sources_count_as_confirmation() -> None:
    clock = ManualClock()
    inc = _incident(clock)
    inc.conditions["a"] = _fire("sd-1", clock)
    assert not inc.is_confirmed
    inc.conditions["b"] = _fire("sd-2", clock)
    assert inc.is_confirmed
    assert inc.kind is AlertKind.FIRE


def test_a_resolved_incident_reopens_acknowledged() -> None:
    clock = ManualClock()
    inc = _incident(clock)
    inc.apply(Action.DISPATCH, actor="system", at=clock.now(), source="dispatch")
    inc.apply(Action.ACKNOWLEDGE, actor="x", at=clock.now(), source="c")
    with pytest.raises(TransitionError, match="not allowed when acknowledged"):
        inc.apply(Action.REOPEN, actor="dispatch", at=clock.now(), source="dispatch")
    inc.apply(Action.RESOLVE, actor="x", at=clock.now(), source="c", outcome=Outcome.TEST)
    t = inc.apply(Action.REOPEN, actor="dispatch", at=clock.advance(60), source="dispatch")
    assert (t.from_state, t.to_state, inc.resolved_at, inc.reopened) == (
        State.RESOLVED,
        State.ACKNOWLEDGED,
        None,
        1,
    )


def test_p3_has_no_ladder_and_a_failed_task_or_no_station_pull_steps_forward() -> None:
    clock = ManualClock()
    assert POLICY.steps(Severity.P3) == ()
    p = _progress(clock, has_task_failure=True, fired=frozenset({"p1-page"}))
    assert _ids(due_steps(POLICY, p, clock.advance(1))) == ["p1-no-ack"]
    p = _progress(clock, is_unstaffed=True, fired=frozenset({"p1-page"}))
    assert _ids(due_steps(POLICY, p, clock.advance(1))) == ["p1-mutual-aid"]
