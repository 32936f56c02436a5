"""Thermal runaway within seconds of venting, early warnings kept, normal charging silent
(issue #15.4), and a climb P2 that raises once per event (issue #10.4)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from events.alerts import Alert, AlertKind, AlertStatus, LinkageAction
from events.readings import ChargingPortReading, PortState
from firewatch.detection_eval import engine_alerts
from simulators import evaluation, scenarios
from simulators.datasets import runaway
from simulators.devices.charging import ChargingPort
from simulators.recording import Record
from simulators.scenarios import Scenario
from streams.detectors.engine import DeviceEngine
from streams.detectors.model import Finding
from streams.detectors.state import DeviceState
from tests.streams.fixtures import T0, port

ARC = "thermal-runaway-arc"
LABELS = ("50", "70", "100", "120")
CHARGING_KINDS = {
    AlertKind.THERMAL_RUNAWAY,
    AlertKind.BATTERY_OFF_GAS,
    AlertKind.CHARGING_TEMP_CLIMB,
    AlertKind.SOCKET_OVER_TEMPERATURE,
}


def _raised(alerts: list[Alert], kind: AlertKind) -> list[Alert]:
    return [a for a in alerts if a.kind is kind and a.status is AlertStatus.RAISED]


def _without(records: list[Record], *fields: str, **replace: float) -> list[Record]:
    """The same recording from a port that lacks some sensors (or reports the mains side)."""
    out = []
    for r in records:
        data = json.loads(r.payload)
        for name in fields:
            data.pop(name, None)
        data.update(replace)
        out.append(Record(r.t, r.topic, json.dumps(data).encode()))
    return out


@pytest.mark.parametrize("label", LABELS)
def test_runaway_p1_within_10_s_of_venting_with_early_p2_kept(datasets: Path, label: str) -> None:
    conv = runaway.convert(datasets / ARC, label=label)
    alerts = engine_alerts(conv.records)
    report = evaluation.evaluate(conv.truth, alerts)  # P1 within 10 s of the vent, none before
    assert report.passed, evaluation.render_table(report)
    (p1,) = _raised(alerts, AlertKind.THERMAL_RUNAWAY)
    assert p1.linkage[0].action is LinkageAction.CUT_POWER
    onset_at = conv.truth.start_at.timestamp() + conv.truth.expect[0].onset_s
    for early in (AlertKind.CHARGING_TEMP_CLIMB, AlertKind.BATTERY_OFF_GAS):
        (p2,) = _raised(alerts, early)
        assert onset_at - p2.raised_at.timestamp() >= 60.0, f"{early} is no early warning"


@pytest.mark.parametrize("label", LABELS)
def test_without_gas_the_pack_voltage_still_gives_the_p1_in_seconds(
    datasets: Path, label: str
) -> None:
    conv = runaway.convert(datasets / ARC, label=label)
    records = _without(conv.records, "h2_ppm", "co_ppm", "voc_ppm")
    report = evaluation.evaluate(conv.truth, engine_alerts(records))
    assert report.passed, evaluation.render_table(report)


def test_a_mains_side_port_without_gas_sees_the_runaway_at_the_makers_maximum(
    datasets: Path,
) -> None:
    conv = runaway.convert(datasets / ARC, label="100")
    records = _without(
        conv.records, "h2_ppm", "co_ppm", "voc_ppm", "pack_voltage_v", voltage_v=230.0
    )
    (p1,) = _raised(engine_alerts(records), AlertKind.THERMAL_RUNAWAY)
    onset_at = conv.truth.start_at.timestamp() + conv.truth.expect[0].onset_s
    assert 0.0 <= p1.raised_at.timestamp() - onset_at <= 10.0
    assert "maker maximum" in p1.summary


def _feed(readings: list[ChargingPortReading]) -> list[Finding]:
    engine, state, found = DeviceEngine(), DeviceState(device_id="p1"), []
    for r in readings:
        out = engine.on_reading(state, r, r.observed_at.timestamp())
        if out:
            found += out.findings
    return found


def test_venting_gas_without_heat_or_voltage_is_a_warning_not_a_runaway() -> None:
    # A cleaning agent or a neighbour's spray: VOC far above the venting level, nothing else.
    readings = [port("p1", i, float(i), voc_ppm=800.0 if i > 5 else 0.2) for i in range(30)]
    kinds = {f.kind for f in _feed(readings) if f.is_active}
    assert kinds == {AlertKind.BATTERY_OFF_GAS}


def test_hydrogen_alone_is_a_lead_acid_pack_gassing_not_an_off_gas_alarm() -> None:
    readings = [port("p1", i, i * 30.0, h2_ppm=3000.0, co_ppm=2.0) for i in range(40)]
    assert not [f for f in _feed(readings) if f.is_active]


def test_a_cell_short_is_a_step_of_its_share_not_an_unplug() -> None:
    base = [port("p1", i, float(i), temp_c=60.0 + 2.0 * i, pack_voltage_v=54.0) for i in range(5)]
    short = [port("p1", 5 + i, 5.0 + i, temp_c=72.0 + 3 * i, pack_voltage_v=50.0) for i in range(4)]
    assert AlertKind.THERMAL_RUNAWAY in {f.kind for f in _feed(base + short)}
    unplug = [port("p1", 5 + i, 5.0 + i, temp_c=72.0 + 3 * i, pack_voltage_v=0.0) for i in range(4)]
    assert AlertKind.THERMAL_RUNAWAY not in {f.kind for f in _feed(base + unplug)}


def _climb_events(found: list[Finding]) -> list[bool]:
    return [f.is_active for f in found if f.kind is AlertKind.CHARGING_TEMP_CLIMB]


def test_a_climb_hovering_at_its_threshold_raises_once() -> None:
    # 1.2 C/min for an hour at 1 s reporting, with sensor noise: the rise over 10 minutes sits
    # right at the 12 C threshold, where it used to raise and clear over and over.
    rng = random.Random(5)
    readings = [
        port("p1", i, float(i), temp_c=round(30.0 + 0.02 * i + rng.gauss(0.0, 0.3), 2))
        for i in range(3600)
    ]
    assert _climb_events(_feed(readings)) == [True]


@pytest.mark.parametrize("label", LABELS)
def test_a_runaway_raises_its_climb_once_and_clears_it_once(datasets: Path, label: str) -> None:
    conv = runaway.convert(datasets / ARC, label=label, tail_s=1800.0)
    alerts = engine_alerts(_without(conv.records, "h2_ppm", "co_ppm", "voc_ppm"))
    climb = [a.status for a in alerts if a.kind is AlertKind.CHARGING_TEMP_CLIMB]
    assert climb == [AlertStatus.RAISED, AlertStatus.CLEARED]


def test_a_climb_cut_off_by_the_power_cut_stays_raised_while_it_still_climbs() -> None:
    charging = [port("p1", i, i * 30.0, temp_c=30.0 + i * 1.0) for i in range(20)]
    cut = [
        port("p1", 20 + i, 600.0 + i * 30.0, temp_c=50.0 + i * 1.0, state=PortState.IDLE, power_w=0)
        for i in range(10)
    ]
    assert _climb_events(_feed(charging + cut)) == [True]


def test_normal_charging_over_three_days_is_silent() -> None:
    # Sessions drawn from the Norwegian garages and the ACN data (arrival, energy, idle after
    # full), CC-CV with a taper, socket heating with power, gas sensors reading noise.
    sc = Scenario(
        name="normal_charging", start_at="2026-03-02T00:00:00+00:00", duration_s=3 * 86400.0
    )
    sim = sc.build()
    emissions = sim.start() + list(sim.run_until(sc.duration_s))
    ports = [
        Record(T0 + e.t_s, e.topic, e.payload) for e in emissions if b'"charging_port"' in e.payload
    ]
    sessions = {json.loads(r.payload).get("session_id") for r in ports} - {None}
    assert len(sessions) >= 10
    assert {a.kind for a in engine_alerts(ports)} & CHARGING_KINDS == set()


def test_the_thermal_runaway_scenario_pages_p1_within_10_s_of_the_vent() -> None:
    sc = scenarios.load_named("thermal_runaway")
    sim = sc.build()
    port_model = sim.model("c001-cs1-p03")
    assert isinstance(port_model, ChargingPort)
    onset_at = port_model.runaway_onset_at_s()
    assert onset_at is not None
    t0 = sc.ground_truth().start_at.timestamp()
    emissions = sim.start() + list(sim.run_until(sc.duration_s))
    alerts = engine_alerts([Record(t0 + e.t_s, e.topic, e.payload) for e in emissions])
    (p1,) = _raised(alerts, AlertKind.THERMAL_RUNAWAY)
    assert 0.0 <= p1.raised_at.timestamp() - t0 - onset_at <= 10.0
    for early in (AlertKind.CHARGING_TEMP_CLIMB, AlertKind.BATTERY_OFF_GAS):
        (p2,) = _raised(alerts, early)
        assert onset_at - (p2.raised_at.timestamp() - t0) >= 60.0
