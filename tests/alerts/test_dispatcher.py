"""The dispatcher core and its shell with a fake clock: dispatch, escalation, storm, read-back."""

from __future__ import annotations

from unittest.mock import patch

import pytest

from alerts.errors import TransitionError
from alerts.ledger.batch import LedgerBatch
from alerts.lifecycle import Action, Outcome, State, Task
from alerts.registry.models import ContactChannel
from events.alerts import AlertKind, AlertStatus, LinkageAction
from events.incidents import DispatchReason, IncidentAction, TaskKind, TaskState
from events.readings import RelayState
from runtime.clock import ManualClock

from .rig import CUT, DAY, Rig, build_rig, make_alert, port_reading

P1_FIRST = {
    "p1-page:ste-m1",
    "p1-page:ste-m2",
    "p1-page:ste-m3",
    "p1-page:cr-1",
    "p1-page:cr-2",
    "p1-page:gw-1",
}


async def test_fire_dispatches_to_nearest_covering_station_and_pages_first_tier(rig: Rig) -> None:
    inc = await rig.alert(make_alert())
    assert inc is not None
    assert inc.station_id == "st-east"
    assert inc.state is State.DISPATCHED
    assert inc.dispatch is not None
    assert inc.dispatch.reason is DispatchReason.NEAREST_COVERING
    assert "st-east" in inc.dispatch_reason
    assert set(rig.pages()) == P1_FIRST
    assert [p.recipient_id for p in rig.channels[ContactChannel.MQTT_TERMINAL].pages] == [
        "terminal:term-st-east"
    ]
    first = rig.outbox.updates[0]
    assert (first.action, first.seq, first.station_id) == (IncidentAction.DISPATCH, 1, "st-east")
    assert [u.seq for u in rig.outbox.updates] == list(range(1, len(rig.outbox.updates) + 1))


async def test_alert_storm_is_one_incident_and_one_page_per_recipient(rig: Rig) -> None:
    for revision in range(1, 1001):
        await rig.alert(make_alert(revision=revision))
        await rig.alert(make_alert(revision=revision))  # duplicate delivery
    assert len(rig.core.open_incidents()) == 1
    assert sorted(rig.pages()) == sorted(P1_FIRST)
    assert rig.ledger.db.query("SELECT COUNT(*) FROM incidents")[0][0] == 1
    assert rig.core.alerts_ignored == 1000


async def test_no_ack_escalates_at_60_s_then_street_119_and_mutual_aid_at_180_s(rig: Rig) -> None:
    inc = await rig.alert(make_alert())
    assert inc is not None
    rig.clock.advance(59.0)
    await rig.tick()
    assert not any(p.startswith("p1-no-ack") for p in rig.pages())
    rig.clock.advance(1.0)
    await rig.tick()
    assert {p for p in rig.pages() if p.startswith("p1-no-ack")} == {
        "p1-no-ack:ste-m4",
        "p1-no-ack:ste-m5",
        "p1-no-ack:ste-m6",
        "p1-no-ack:ste-chief",
    }
    await rig.act(inc.incident_key, Action.ACKNOWLEDGE)
    rig.clock.advance(120.0)
    await rig.tick()
    assert "p1-street-119:so-1" in rig.pages()
    assert len(rig.forwarder.forwarded) == 1
    # "1-3-5": neighbouring forces at 3 min -- the nearest other station, as a named step.
    assert {p for p in rig.pages() if p.startswith("p1-mutual-aid")} == {
        "p1-mutual-aid:stw-m1",
        "p1-mutual-aid:stw-m2",
        "p1-mutual-aid:stw-m3",
    }


async def test_ack_in_time_stops_the_backup_page(rig: Rig) -> None:
    inc = await rig.alert(make_alert())
    assert inc is not None
    rig.clock.advance(30)
    await rig.act(inc.incident_key, Action.ACKNOWLEDGE, source="console 10.0.0.1")
    rig.clock.advance(40)
    await rig.tick()
    assert not any(p.startswith("p1-no-ack") for p in rig.pages())
    rows = rig.ledger.transitions(inc.incident_key)
    assert any(
        r[0] == "acknowledge" and r[3] == "ste-m1" and r[5] == "console 10.0.0.1" for r in rows
    )


async def test_a_second_detector_confirms_the_same_incident_and_forwards_to_119(rig: Rig) -> None:
    inc = await rig.alert(make_alert())
    rig.clock.advance(2.0)
    second = await rig.alert(make_alert(device="sd-2"))
    assert second is inc  # a confirmation, not a new incident
    assert len(rig.core.open_incidents()) == 1
    assert inc is not None
    assert inc.confirmations == {"sd-1", "sd-2"}
    assert len(rig.forwarder.forwarded) == 1
    assert rig.forwarder.forwarded[0].at == rig.clock.now()  # same step, well within 3 s
    # Nobody on the first tier paged twice; the street level (the 119 step) paged once.
    assert sorted(rig.pages()) == sorted([*P1_FIRST, "p1-street-119:so-1"])


async def test_unreached_recipients_pull_escalation_forward(tmp_path: object) -> None:
    rig = build_rig(f"sqlite:///{tmp_path}/l.db", ManualClock(DAY))
    for ch in rig.channels.values():
        ch.is_failing = True
    await rig.alert(make_alert())
    assert any(p.startswith("p1-no-ack:ste-chief") for p in rig.pages())


async def test_timers_survive_a_restart(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/restart.db"
    clock = ManualClock(DAY)
    first = build_rig(url, clock)
    await first.alert(make_alert())
    first.ledger.db.close()
    clock.advance(61)
    second = build_rig(url, clock)  # the service restarted: a fresh core on the ledger
    assert second.core.next_due_at() is not None
    await second.tick()
    assert "p1-no-ack:ste-chief" in second.pages()
    await second.alert(make_alert(revision=1))
    assert not any(p.startswith("p1-page") for p in second.pages())  # no re-page on replay
    assert second.core.alerts_ignored == 1


async def test_power_cut_is_a_task_confirmed_by_read_back(rig: Rig) -> None:
    inc = await rig.alert(make_alert(AlertKind.THERMAL_RUNAWAY, device="cp-1", linkage=(CUT,)))
    assert inc is not None
    assert [c.action for c in rig.outbox.commands] == [LinkageAction.CUT_POWER]
    assert rig.shell.watched == {b"cp-1"}  # the read-back consumer decodes nothing else
    assert inc.tasks["cut_power:cp-1"].state is TaskState.SENT
    await rig.reading(port_reading(RelayState.ON))
    assert rig.core.commands
    await rig.reading(port_reading(RelayState.OFF))
    assert not rig.core.commands
    assert _state(inc.tasks["cut_power:cp-1"]) is TaskState.CONFIRMED
    assert rig.shell.watched == frozenset()
    rig.clock.advance(30)
    await rig.tick()  # the read-back deadline passes: nothing to fail any more
    assert _state(inc.tasks["cut_power:cp-1"]) is TaskState.CONFIRMED


def _state(task: Task) -> TaskState:
    return task.state


async def test_stuck_relay_fails_the_task_and_calls_the_next_step_early(rig: Rig) -> None:
    inc = await rig.alert(make_alert(AlertKind.THERMAL_RUNAWAY, device="cp-1", linkage=(CUT,)))
    await rig.alert(
        make_alert(
            AlertKind.THERMAL_RUNAWAY, device="cp-1", revision=2, linkage=(CUT,), evidence=("cp-1",)
        )
    )
    assert len(rig.outbox.commands) == 1  # a revision never re-issues the same command
    rig.clock.advance(10.0)
    await rig.tick()
    assert inc is not None
    task = inc.tasks["cut_power:cp-1"]
    assert (task.state, task.detail) == (
        TaskState.FAILED,
        "power cut not confirmed by cp-1 within 10 s",
    )
    assert len(rig.core.open_incidents()) == 1  # a task state, not an incident of its own
    assert "p1-no-ack:ste-chief" in rig.pages()  # at 10 s, not 60 s
    assert rig.ledger.db.query("SELECT state FROM commands") == [("not_confirmed",)]


async def test_cleared_alert_does_not_resolve_and_resolve_frees_station(rig: Rig) -> None:
    inc = await rig.alert(make_alert())
    assert inc is not None
    await rig.alert(make_alert(revision=2, status=AlertStatus.CLEARED))
    assert inc.is_open
    assert rig.core.busy_stations() == {"st-east": inc.incident_key}
    with pytest.raises(TransitionError):
        await rig.act(inc.incident_key, Action.RESOLVE, outcome=Outcome.TEST)
    await rig.act(inc.incident_key, Action.ACKNOWLEDGE)
    await rig.act(inc.incident_key, Action.RESOLVE, outcome=Outcome.FALSE_ALARM, cause="steam")
    assert rig.core.busy_stations() == {}
    resolved = rig.outbox.updates[-1]
    assert resolved.is_resolution
    # The worker unlatches every condition of the incident from this update (streams.resets).
    assert [c.condition_key for c in resolved.conditions] == ["c001/b1/fire/sd-1"]
    second = await rig.alert(make_alert(device="sd-9", building="b2"))
    assert second is not None
    assert second.station_id == "st-east"


async def test_a_different_event_while_busy_stays_with_the_covering_station(rig: Rig) -> None:
    first = await rig.alert(make_alert())
    other = await rig.alert(make_alert(device="sd-7", building="b2"))
    assert first is not None
    assert other is not None
    assert other is not first
    assert other.station_id == "st-east"  # st-west does not cover c001: never paged for it
    assert other.dispatch is not None
    assert other.dispatch.reason is DispatchReason.ALL_COVERING_BUSY
    assert f"busy with {first.incident_key}" in other.dispatch_reason
    assert not any(p.startswith("p1-page:stw") for p in rig.pages())


async def test_a_pre_alarm_that_rises_to_a_fire_is_the_same_incident_rising(rig: Rig) -> None:
    pre = await rig.alert(make_alert(AlertKind.FIRE_PRE_ALARM))
    assert pre is not None
    assert {p.split(":")[0] for p in rig.pages()} == {"p2-page"}
    rig.clock.advance(15)
    fire = await rig.alert(make_alert())
    assert fire is pre
    assert pre.severity.value == "P1"
    assert set(rig.pages()) >= P1_FIRST  # the fire ladder starts when it became a fire
    assert len(rig.core.open_incidents()) == 1


async def test_person_confirming_forwards_to_119_in_the_same_step(rig: Rig) -> None:
    inc = await rig.alert(make_alert())
    assert inc is not None
    rig.clock.advance(40)
    await rig.act(inc.incident_key, Action.ACKNOWLEDGE, source="terminal")
    rig.clock.advance(20)
    await rig.act(inc.incident_key, Action.CONFIRM, source="terminal")
    assert [p.at for p in rig.forwarder.forwarded] == [rig.clock.now()]
    assert "p1-street-119:so-1" in rig.pages()


async def test_confirmed_fire_releases_the_buildings_evacuation_locks(rig: Rig) -> None:
    inc = await rig.alert(make_alert())
    assert inc is not None
    assert rig.outbox.commands == []  # one detector is not a confirmed fire
    assert {t.state for t in inc.tasks.values()} == {TaskState.PENDING}
    await rig.alert(make_alert(revision=2, evidence=("sd-1", "sd-2")))
    released = [(c.action, c.device_id) for c in rig.outbox.commands]
    assert released == [
        (LinkageAction.RELEASE_LOCKS, "c001-b1-exit1"),
        (LinkageAction.RELEASE_LOCKS, "c001-b1-exit2"),
    ]
    await rig.alert(make_alert(revision=3, evidence=("sd-3",)))
    assert len(rig.outbox.commands) == 2  # issued once
    assert {t.key: t.state for t in inc.tasks.values()} == {
        "release_locks:c001-b1-exit1": TaskState.SENT,
        "release_locks:c001-b1-exit2": TaskState.SENT,
    }


async def test_person_confirming_releases_locks_and_denying_drops_them(rig: Rig) -> None:
    inc = await rig.alert(make_alert())
    assert inc is not None
    await rig.act(inc.incident_key, Action.CONFIRM)
    assert {c.device_id for c in rig.outbox.commands} == {"c001-b1-exit1", "c001-b1-exit2"}
    other = await rig.alert(make_alert(device="sd-5", building="b2"))
    assert other is not None
    await rig.act(other.incident_key, Action.DENY)
    assert {t.state for t in other.tasks.values()} == {TaskState.NOT_APPLICABLE}


async def test_locks_not_released_in_time_fail_their_tasks_on_the_fire(rig: Rig) -> None:
    inc = await rig.alert(make_alert(evidence=("sd-1", "sd-2")))
    rig.clock.advance(10.0)
    await rig.tick()
    assert inc is not None
    exits = [t for t in inc.tasks.values() if t.kind is TaskKind.RELEASE_LOCKS]
    assert {t.state for t in exits} == {TaskState.FAILED}
    assert "lock release not confirmed by c001-b1-exit1" in exits[0].detail
    assert len(rig.core.open_incidents()) == 1


async def test_a_crash_between_pages_and_ledger_pages_again_never_not_at_all(
    tmp_path: object,
) -> None:
    url = f"sqlite:///{tmp_path}/crash.db"
    clock = ManualClock(DAY)
    first = build_rig(url, clock)

    def crash(_batch: LedgerBatch) -> None:
        raise OSError("disk gone")  # the process dies here

    with patch.object(first.ledger, "write", crash), pytest.raises(OSError, match="disk gone"):
        await first.alert(make_alert())
    assert set(first.pages()) == P1_FIRST  # the pages went out before the ledger write
    first.ledger.db.close()
    second = build_rig(url, clock)  # restarted: the ledger never heard of the incident
    assert second.core.open_incidents() == []
    await second.alert(make_alert())  # the alert is consumed again (offset not committed)
    assert set(second.pages()) == P1_FIRST  # paged again: at least once
