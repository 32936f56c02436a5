"""Escalation ladder and the incident state machine as pure code with a fake clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerts.clock import FakeClock
from alerts.errors import TransitionError
from alerts.escalation import EscalationPolicy, Progress, Step, Tier, due_steps, next_deadline
from alerts.lifecycle import Action, Incident, Outcome, State
from events.alerts import AlertKind, Severity

POLICY = EscalationPolicy()


def _progress(clock: FakeClock, **kw: object) -> Progress:
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
    return Progress(**base)  # type: ignore[arg-type]


def _ids(steps: list[Step]) -> list[str]:
    return [s.step_id for s in steps]


def test_p1_ladder_fires_at_0_60_180_seconds() -> None:
    clock = FakeClock()
    p = _progress(clock)
    assert _ids(due_steps(POLICY, p, clock.now())) == ["p1-page"]
    p = _progress(clock, opened_at=p.opened_at, fired=frozenset({"p1-page"}))
    assert next_deadline(POLICY, p) == p.opened_at + timedelta(seconds=60)
    assert due_steps(POLICY, p, clock.advance(59.9)) == []
    assert _ids(due_steps(POLICY, p, clock.advance(0.1))) == ["p1-no-ack"]
    p = _progress(clock, opened_at=p.opened_at, fired=frozenset({"p1-page", "p1-no-ack"}))
    assert due_steps(POLICY, p, clock.advance(119.9)) == []
    assert _ids(due_steps(POLICY, p, clock.advance(0.1))) == ["p1-street-119"]
    assert POLICY.p1[2].tiers == (Tier.STREET, Tier.FORWARD_119)


def test_acknowledged_in_time_stops_backup_step_but_not_scene_step() -> None:
    clock = FakeClock()
    opened = clock.now()
    p = _progress(clock, acknowledged_at=clock.advance(30), fired=frozenset({"p1-page"}))
    p = _progress(clock, opened_at=opened, acknowledged_at=p.acknowledged_at, fired=p.fired)
    assert due_steps(POLICY, p, clock.advance(60)) == []
    assert _ids(due_steps(POLICY, p, clock.advance(90))) == ["p1-street-119"]


def test_second_confirmation_escalates_to_119_at_once() -> None:
    clock = FakeClock()
    p = _progress(clock, is_confirmed=True, fired=frozenset({"p1-page"}))
    assert "p1-street-119" in _ids(due_steps(POLICY, p, clock.advance(5)))


def test_failed_delivery_pulls_the_backup_step_forward() -> None:
    clock = FakeClock()
    p = _progress(clock, has_delivery_failure=True, fired=frozenset({"p1-page"}))
    assert _ids(due_steps(POLICY, p, clock.advance(1))) == ["p1-no-ack"]


def test_timers_are_configurable() -> None:
    policy = EscalationPolicy(
        p1=(
            Step(step_id="a", after_s=0, tiers=(Tier.ON_DUTY,)),
            Step(step_id="b", after_s=2, tiers=(Tier.CHIEF,)),
        )
    )
    clock = FakeClock()
    p = _progress(clock, fired=frozenset({"a"}))
    assert _ids(due_steps(policy, p, clock.advance(2))) == ["b"]


def _incident(clock: FakeClock) -> Incident:
    return Incident("c/b1/fire/sd-1", AlertKind.FIRE, Severity.P1, "c", clock.now())


def test_lifecycle_records_who_when_where() -> None:
    clock = FakeClock()
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
    clock = FakeClock()
    inc = _incident(clock)
    inc.apply(Action.DISPATCH, actor="system", at=clock.now(), source="dispatch")
    t = inc.apply(Action.MUTE, actor="cr-1", at=clock.advance(3), source="console")
    assert t.to_state is State.DISPATCHED
    assert inc.acknowledged_at is None
    assert inc.is_muted


def test_false_alarm_needs_a_cause_and_resolve_needs_ack() -> None:
    clock = FakeClock()
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
    inc = _incident(FakeClock())
    inc.confirmations.add("sd-1")
    assert not inc.is_confirmed
    inc.confirmations.add("sd-2")
    assert inc.is_confirmed
