"""The dispatch service layer with a fake clock: dispatch, escalation, storm, read-back."""

from __future__ import annotations

import pytest

from alerts.clock import FakeClock
from alerts.errors import TransitionError
from alerts.lifecycle import Action, Outcome, State
from alerts.registry.models import ContactChannel
from events.alerts import AlertKind, AlertStatus, LinkageAction, LinkageRequest
from events.readings import ChargingPortReading, PortState, RelayState

from .rig import DAY, Rig, build_rig, make_alert

P1_FIRST = {
    "p1-page:ste-m1", "p1-page:ste-m2", "p1-page:ste-m3",
    "p1-page:cr-1", "p1-page:cr-2", "p1-page:gw-1",
}  # fmt: skip


async def test_fire_dispatches_to_nearest_station_and_pages_first_tier(rig: Rig) -> None:
    inc = await rig.dispatcher.handle_alert(make_alert())
    assert inc is not None
    assert inc.station_id == "st-east"
    assert inc.state is State.DISPATCHED
    assert "st-east" in inc.dispatch_reason
    assert "on duty" in inc.dispatch_reason
    assert set(rig.pages()) == P1_FIRST
    assert [p.recipient_id for p in rig.channels[ContactChannel.MQTT_TERMINAL].pages] == [
        "terminal:term-st-east"
    ]
    assert [t.action for t in rig.outbox.transitions][:1] == [Action.DISPATCH]


async def test_alert_storm_is_one_incident_and_one_page_per_recipient(rig: Rig) -> None:
    for revision in range(1, 1001):
        await rig.dispatcher.handle_alert(make_alert(revision=revision))
        await rig.dispatcher.handle_alert(make_alert(revision=revision))  # duplicate delivery
    assert len(rig.dispatcher.incidents) == 1
    assert sorted(rig.pages()) == sorted(P1_FIRST)
    assert rig.ledger.db.query("SELECT COUNT(*) FROM incidents")[0][0] == 1
    assert rig.dispatcher.alerts_ignored == 1000


async def test_no_ack_escalates_at_60_s_then_street_and_119_at_180_s(rig: Rig) -> None:
    inc = await rig.dispatcher.handle_alert(make_alert())
    assert inc is not None
    rig.clock.advance(59.0)
    await rig.dispatcher.tick()
    assert not any(p.startswith("p1-no-ack") for p in rig.pages())
    rig.clock.advance(1.0)
    await rig.dispatcher.tick()
    assert {p for p in rig.pages() if p.startswith("p1-no-ack")} == {
        "p1-no-ack:ste-m4", "p1-no-ack:ste-m5", "p1-no-ack:ste-m6", "p1-no-ack:ste-chief",
    }  # fmt: skip
    await rig.dispatcher.act(inc.incident_key, Action.ACKNOWLEDGE, "ste-m1", "console")
    rig.clock.advance(120.0)
    await rig.dispatcher.tick()
    assert "p1-street-119:so-1" in rig.pages()
    assert len(rig.forwarder.forwarded) == 1


async def test_ack_in_time_stops_the_backup_page(rig: Rig) -> None:
    inc = await rig.dispatcher.handle_alert(make_alert())
    assert inc is not None
    rig.clock.advance(30)
    await rig.dispatcher.act(inc.incident_key, Action.ACKNOWLEDGE, "ste-m1", "console 10.0.0.1")
    rig.clock.advance(40)
    await rig.dispatcher.tick()
    assert not any(p.startswith("p1-no-ack") for p in rig.pages())
    rows = rig.ledger.transitions(inc.incident_key)
    assert rows[-2][:4] == ("acknowledge", "dispatched", "acknowledged", "ste-m1") or any(
        r[0] == "acknowledge" and r[3] == "ste-m1" and r[5] == "console 10.0.0.1" for r in rows
    )


async def test_second_independent_source_forwards_to_119_at_once(rig: Rig) -> None:
    await rig.dispatcher.handle_alert(make_alert())
    rig.clock.advance(2.0)
    await rig.dispatcher.handle_alert(make_alert(revision=2, evidence=("sd-1", "sd-2")))
    assert len(rig.forwarder.forwarded) == 1
    assert rig.forwarder.forwarded[0].at == rig.clock.now()  # same tick, well within 3 s


async def test_failed_webhook_pulls_escalation_forward(tmp_path: object) -> None:
    rig = build_rig(f"sqlite:///{tmp_path}/l.db", FakeClock(DAY))
    for ch in rig.channels.values():
        ch.is_failing = True
    await rig.dispatcher.handle_alert(make_alert())
    assert any(p.startswith("p1-no-ack:ste-chief") for p in rig.pages())


async def test_timers_survive_a_restart(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/restart.db"
    clock = FakeClock(DAY)
    first = build_rig(url, clock)
    await first.dispatcher.handle_alert(make_alert())
    first.ledger.db.close()
    clock.advance(61)
    second = build_rig(url, clock)  # the service restarted: a fresh dispatcher on the ledger
    assert second.dispatcher.next_due_at() is not None
    await second.dispatcher.tick()
    assert "p1-no-ack:ste-chief" in second.pages()
    await second.dispatcher.handle_alert(make_alert(revision=1))
    assert not any(p.startswith("p1-page") for p in second.pages())  # no re-page on replay


def _port(relay: RelayState) -> ChargingPortReading:
    return ChargingPortReading(
        device_id="cp-1", compound_id="c001", gateway_id="gw-1", seq=9, observed_at=DAY,
        station_id="ch1", port_no=1, voltage_v=48, current_a=0, power_w=0, energy_wh=10,
        socket_temp_c=80, leakage_ma=0, port_state=PortState.FAULT, relay_state=relay,
    )  # fmt: skip


CUT = LinkageRequest(
    action=LinkageAction.CUT_POWER, device_id="cp-1", gateway_id="gw-1", reason="runaway"
)


async def test_power_cut_confirmed_by_read_back(rig: Rig) -> None:
    await rig.dispatcher.handle_alert(
        make_alert(AlertKind.THERMAL_RUNAWAY, device="cp-1", linkage=(CUT,))
    )
    assert [c.action for c in rig.outbox.commands] == [LinkageAction.CUT_POWER]
    await rig.dispatcher.on_reading(_port(RelayState.ON))
    assert rig.dispatcher.commands
    await rig.dispatcher.on_reading(_port(RelayState.OFF))
    assert not rig.dispatcher.commands
    rig.clock.advance(30)
    await rig.dispatcher.tick()
    assert rig.outbox.alerts == []


async def test_stuck_relay_raises_power_cut_not_confirmed(rig: Rig) -> None:
    await rig.dispatcher.handle_alert(
        make_alert(AlertKind.THERMAL_RUNAWAY, device="cp-1", linkage=(CUT,))
    )
    await rig.dispatcher.handle_alert(
        make_alert(AlertKind.THERMAL_RUNAWAY, device="cp-1", revision=2, linkage=(CUT,))
    )
    assert len(rig.outbox.commands) == 1  # a revision never re-issues the same command
    rig.clock.advance(10.0)
    await rig.dispatcher.tick()
    assert [a.kind for a in rig.outbox.alerts] == [AlertKind.COMMAND_NOT_CONFIRMED]
    assert "power cut not confirmed" in rig.outbox.alerts[0].summary
    assert len(rig.dispatcher.incidents) == 2


async def test_cleared_alert_does_not_resolve_and_resolve_frees_station(rig: Rig) -> None:
    inc = await rig.dispatcher.handle_alert(make_alert())
    assert inc is not None
    await rig.dispatcher.handle_alert(make_alert(revision=2, status=AlertStatus.CLEARED))
    assert inc.is_open
    assert rig.dispatcher.busy_stations() == {"st-east": inc.incident_key}
    with pytest.raises(TransitionError):
        await rig.dispatcher.act(inc.incident_key, Action.RESOLVE, "x", "c", Outcome.TEST)
    await rig.dispatcher.act(inc.incident_key, Action.ACKNOWLEDGE, "ste-m1", "console")
    await rig.dispatcher.act(
        inc.incident_key, Action.RESOLVE, "ste-m1", "console", Outcome.FALSE_ALARM, "steam"
    )
    assert rig.dispatcher.busy_stations() == {}
    second = await rig.dispatcher.handle_alert(make_alert(device="sd-9"))
    assert second is not None
    assert second.station_id == "st-east"


async def test_busy_station_sends_next_fire_to_the_next_station(rig: Rig) -> None:
    await rig.dispatcher.handle_alert(make_alert())
    other = await rig.dispatcher.handle_alert(make_alert(device="sd-7"))
    assert other is not None
    assert other.station_id == "st-west"
    assert "busy with" in other.dispatch_reason


async def test_person_confirming_forwards_to_119_in_the_same_step(rig: Rig) -> None:
    inc = await rig.dispatcher.handle_alert(make_alert())
    assert inc is not None
    rig.clock.advance(40)
    await rig.dispatcher.act(inc.incident_key, Action.ACKNOWLEDGE, "ste-m1", "terminal")
    rig.clock.advance(20)
    await rig.dispatcher.act(inc.incident_key, Action.CONFIRM, "ste-m1", "terminal")
    assert [p.at for p in rig.forwarder.forwarded] == [rig.clock.now()]
    assert "p1-street-119:so-1" in rig.pages()


async def test_confirmed_fire_releases_the_buildings_evacuation_locks(rig: Rig) -> None:
    await rig.dispatcher.handle_alert(make_alert())
    assert rig.outbox.commands == []  # one detector is not a confirmed fire
    await rig.dispatcher.handle_alert(make_alert(revision=2, evidence=("sd-1", "sd-2")))
    released = [(c.action, c.device_id) for c in rig.outbox.commands]
    assert released == [
        (LinkageAction.RELEASE_LOCKS, "c001-b1-exit1"),
        (LinkageAction.RELEASE_LOCKS, "c001-b1-exit2"),
    ]
    await rig.dispatcher.handle_alert(make_alert(revision=3, evidence=("sd-3",)))
    assert len(rig.outbox.commands) == 2  # issued once


async def test_person_confirming_releases_locks(rig: Rig) -> None:
    inc = await rig.dispatcher.handle_alert(make_alert())
    assert inc is not None
    await rig.dispatcher.act(inc.incident_key, Action.CONFIRM, "ste-m1", "console")
    assert {c.device_id for c in rig.outbox.commands} == {"c001-b1-exit1", "c001-b1-exit2"}


async def test_locks_not_released_in_time_raise_their_own_alert(rig: Rig) -> None:
    await rig.dispatcher.handle_alert(make_alert(evidence=("sd-1", "sd-2")))
    rig.clock.advance(10.0)
    await rig.dispatcher.tick()
    kinds = [a.kind for a in rig.outbox.alerts]
    assert kinds == [AlertKind.EVAC_LOCKS_NOT_RELEASED, AlertKind.EVAC_LOCKS_NOT_RELEASED]
    assert "lock release not confirmed by c001-b1-exit1" in rig.outbox.alerts[0].summary
