"""Devices obey linkage commands; a stuck relay keeps reporting "on" (read-back tests)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from events.alerts import LinkageAction
from events.commands import Command
from simulators import scenarios
from simulators.engine import Simulation


def _cmd(device: str, gateway: str, action: LinkageAction) -> Command:
    return Command(
        command_id="cmd-1",
        incident_key="c001/b2/thermal_runaway/x",
        action=action,
        compound_id="c001",
        gateway_id=gateway,
        device_id=device,
        issued_at=datetime(2026, 3, 1, tzinfo=UTC),
    )


def _charging_sim(name: str) -> Simulation:
    sc = scenarios.load_named(name)
    sim = sc.build()
    sim.start()
    list(sim.run_until(400))  # the runaway scenarios start a session at t = 199/299
    return sim


def test_cut_power_turns_the_relay_off_and_the_current_to_zero() -> None:
    sim = _charging_sim("thermal_runaway")
    out = sim.apply_command(_cmd("c001-cs1-p03", "c001-gw2", LinkageAction.CUT_POWER), 400.0)
    reading = json.loads(out[0].payload)
    assert reading["relay_state"] == "off"
    assert reading["current_a"] == 0.0
    later = [json.loads(e.payload) for e in sim.run_until(500) if b"c001-cs1-p03" in e.payload]
    assert later
    assert all(r["relay_state"] == "off" for r in later if r["kind"] == "charging_port")


def test_a_stuck_relay_keeps_reporting_on() -> None:
    sim = _charging_sim("stuck_relay")
    out = sim.apply_command(_cmd("c001-cs1-p06", "c001-gw2", LinkageAction.CUT_POWER), 400.0)
    reading = json.loads(out[0].payload)
    assert reading["relay_state"] == "on"
    assert reading["current_a"] > 0


def test_evacuation_doors_report_locks_released_and_fire_doors_ignore() -> None:
    sc = scenarios.load_named("forced_door")
    sim = sc.build()
    sim.start()
    out = sim.apply_command(_cmd("c001-b1-exit1", "c001-gw1", LinkageAction.RELEASE_LOCKS), 10.0)
    event = json.loads(out[0].payload)
    assert event["event"] == "locks_released"
    assert event["are_locks_released"] is True
    assert out[0].topic == "fw/v1/c001/c001-gw1/c001-b1-exit1/event"
    assert (
        sim.apply_command(_cmd("c001-b1-f1-fd1", "c001-gw1", LinkageAction.RELEASE_LOCKS), 10.0)
        == []
    )
    assert (
        sim.apply_command(_cmd("no-such-device", "c001-gw1", LinkageAction.CUT_POWER), 10.0) == []
    )
