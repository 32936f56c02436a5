"""The simulated charging port: pack voltage and compartment off-gas with the ARC curves' shapes,
and the thermal_runaway scenario judged by the detectors: P1 within 10 s of the vent."""

from __future__ import annotations

from simulators import scenarios
from simulators.calibration import load_calibration
from simulators.devices.battery import CELLS, Compartment, RunawayCurves, onset_s, pack_voltage_v
from simulators.devices.charging import ChargingPort
from tests.simulators.conftest import of, run_offline

PORT = "c001-cs1-p03"


def test_the_curves_vent_and_short_within_a_second_and_gas_precedes_by_minutes() -> None:
    curves = RunawayCurves.of(load_calibration())
    assert abs(curves.venting_s() - curves.jump_s()) < 1.0
    # Gas generation 5 minutes before the onset is already measurable, and grows.
    before = [curves.gas_rate_mol_per_s(-s) for s in (600.0, 300.0, 60.0)]
    assert 0 < before[0] < before[1] < before[2]
    # The compressed pre-heat keeps its last minutes in real time.
    assert curves.front_time(599.0, 600.0) == -1.0
    assert curves.front_time(0.0, 600.0) == curves.front_c[0][0]


def test_a_shorted_cell_takes_its_share_then_its_neighbours_follow() -> None:
    assert pack_voltage_v(54.6, -1.0) == 54.6
    assert pack_voltage_v(54.6, 0.0) == 54.6 * (CELLS - 1) / CELLS
    assert pack_voltage_v(54.6, 1000.0) == 0.0


def test_the_compartment_mixes_and_flushes_vent_gas() -> None:
    box = Compartment()
    box.step(0.0, 1e-3)
    box.step(60.0, 1e-3)
    rising = box.ppm()["voc_ppm"]
    box.step(600.0, 0.0)
    assert rising > 500.0  # a vent of 1 mmol/s fills 0.1 m3 fast
    assert box.ppm()["voc_ppm"] < 0.01 * rising  # flushed after ten air changes


def test_the_simulated_port_vents_and_collapses_on_the_ground_truth_times() -> None:
    msgs = run_offline("thermal_runaway")
    sc = scenarios.load_named("thermal_runaway")
    sim = sc.build()
    model = sim.model(PORT)
    assert isinstance(model, ChargingPort)
    onset_at = model.runaway_onset_at_s()
    assert onset_at is not None
    assert abs(onset_at - (900.0 + onset_s(model.curves))) < 1e-9
    port = [m.data for m in of(msgs, PORT, "charging_port")]
    quiet = [d for d in port if d.get("session_id") is None]
    assert quiet
    assert all(d["voc_ppm"] < 3.0 and "pack_voltage_v" not in d for d in quiet)
    by_t = {m.t_s: m.data for m in of(msgs, PORT, "charging_port")}
    before = by_t[max(t for t in by_t if t < onset_at - 1.0)]
    after = by_t[min(t for t in by_t if t > onset_at + 1.0)]
    assert 10.0 <= before["voc_ppm"] < 500.0  # off-gas before the vent, below venting levels
    assert after["voc_ppm"] >= 500.0
    assert after["pack_voltage_v"] < before["pack_voltage_v"] * 0.95  # a cell's share lost
