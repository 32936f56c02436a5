"""Every shipped scenario validates and produces the phenomenon its ground truth claims."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
import yaml
from pydantic import ValidationError

from events.alerts import AlertKind
from events.codec import decode_reading
from simulators import scenarios
from tests.simulators.conftest import Msg, of, run_offline

NAMES = [p.stem for p in scenarios.shipped()]


def test_the_issue_list_of_scenarios_is_shipped() -> None:
    assert set(NAMES) >= {
        "flat_fire",
        "smouldering_fire",
        "cooking_smoke",
        "thermal_runaway",
        "power_after_full",
        "long_charge",
        "propped_fire_door",
        "forced_door",
        "gateway_outage",
        "stuck_sensor",
        "low_battery",
        "tamper",
        "clock_skew",
        "qos1_redelivery",
        "out_of_order",
    }


@pytest.mark.parametrize("name", NAMES)
def test_scenario_validates_against_fleet_and_contract(name: str) -> None:
    sc = scenarios.load_named(name)
    fleet = sc.load_fleet()
    for inj in sc.injections:
        if inj.device:
            fleet.device(inj.device)  # raises KeyError for an unknown device
    truth = sc.ground_truth()
    assert truth.quiet, "every scenario declares where no alert may fire"
    for e in truth.expect:
        assert isinstance(e.kind, AlertKind)
        assert e.device_id in (*fleet.by_id, *[g for _, g in fleet.gateways], None)
        assert e.area_id is None or e.area_devices, f"area {e.area_id} has no devices"


def test_unknown_alert_kind_is_rejected(tmp_path: object) -> None:
    data = yaml.safe_load((scenarios.SCENARIOS_DIR / "tamper.yaml").read_text())
    data["expect"][0]["kind"] = "tampering"
    with pytest.raises(ValidationError, match="kind"):
        scenarios.Scenario.model_validate(data)


def test_every_emitted_payload_honours_the_wire_contract() -> None:
    for m in run_offline("thermal_runaway"):
        decode_reading(m.emission.payload)  # raises ContractViolation


def _first(msgs: list[Msg], pred: Callable[[Msg], bool]) -> Msg:
    return next(m for m in msgs if pred(m))


def test_flat_fire_follows_ulfsri_heat_and_alarms_after_ignition() -> None:
    msgs = run_offline("flat_fire")
    flat = of(msgs, "c001-b1-f3-u2-smk", "smoke")
    before = [m for m in flat if m.t_s < 600]
    assert max(m.data["temperature_c"] for m in before) < 30
    assert max(m.data["temperature_c"] for m in flat) > 100  # UL FSRI origin room peaks ~240 C
    alarm = _first(
        of(msgs, "c001-b1-f3-u2-smk", "device_alarm"), lambda m: m.data["alarm_type"] == "smoke"
    )
    assert 600 <= alarm.t_s <= 660
    assert alarm.topic.endswith("/alarm")


def test_cooking_smoke_stays_below_the_device_alarm() -> None:
    msgs = run_offline("cooking_smoke")
    kitchen = of(msgs, "c001-b1-f2-u1-smk", "smoke")
    peak = max(m.data["obscuration_db_per_m"] for m in kitchen)
    assert 0.08 < peak < 0.2
    assert not [m for m in msgs if m.data["kind"] == "device_alarm"]


def test_smouldering_raises_co_and_smoke_with_little_heat() -> None:
    msgs = of(run_offline("smouldering_fire"), "c001-b2-f5-u1-smk", "smoke")
    late = [m for m in msgs if 1900 < m.t_s < 2650]
    assert min(m.data["obscuration_db_per_m"] for m in late) > 0.4
    assert min(m.data["co_ppm"] for m in late) > 50
    assert max(m.data["temperature_c"] for m in late) < 35


def test_thermal_runaway_shape_voltage_collapse_then_shed_smoke() -> None:
    msgs = run_offline("thermal_runaway")
    port = [m for m in of(msgs, "c001-cs1-p03", "charging_port") if m.t_s >= 900]
    rises = [
        (b.data["socket_temp_c"] - a.data["socket_temp_c"]) / (b.t_s - a.t_s)
        for a, b in itertools.pairwise(port)
    ]
    assert max(len(list(g)) for k, g in itertools.groupby(rises, key=lambda r: r >= 1.0) if k) >= 3
    assert min(m.data["voltage_v"] for m in port) < 0.75 * 54.6  # voltage drop > 25 %
    shed = _first(
        of(msgs, "c001-shed1-smk", "device_alarm"), lambda m: m.data["alarm_type"] == "smoke"
    )
    assert 920 <= shed.t_s <= 1000


def test_power_after_full_and_long_charge() -> None:
    full = [
        m
        for m in of(run_offline("power_after_full"), "c001-cs1-p05", "charging_port")
        if m.data["port_state"] == "full"
    ]
    assert full
    assert min(m.data["power_w"] for m in full) >= 100
    long = of(run_offline("long_charge"), "c001-cs1-p02", "charging_port")
    charging = [m.t_s for m in long if m.data["port_state"] == "charging"]
    assert max(charging) - min(charging) > 8 * 3600


def test_doors_propped_and_forced() -> None:
    door = of(run_offline("propped_fire_door"), "c001-b1-f4-fd1", "door")
    events = [(m.t_s, m.data["event"]) for m in door if m.t_s >= 300]
    assert events[:3] == [(300.0, "opened"), (330.0, "held_open"), (900.0, "closed")]
    forced = run_offline("forced_door")
    assert (
        _first(of(forced, "c001-b2-exit1", "door"), lambda m: m.data["event"] == "forced").t_s
        == 240
    )
    assert of(forced, "c001-b2-exit1", "device_alarm")[0].data["alarm_type"] == "door_forced"


def test_gateway_outage_will_then_backlog_burst() -> None:
    msgs = run_offline("gateway_outage")
    gw1 = [m for m in msgs if m.data["gateway_id"] == "c001-gw1"]
    assert not [m for m in gw1 if 300 < m.t_s < 900]
    will = _first(gw1, lambda m: m.data.get("is_last_will") is True)
    assert will.t_s == 300
    assert will.emission.retain
    burst = [m for m in gw1 if m.t_s == 900]
    assert len(burst) > 300  # ten minutes of 27 devices, delivered at once
    assert burst[0].data["state"] == "online"
    assert min(m.data["observed_at"] for m in burst[1:]) < "2026-03-01T04:06"


def test_device_faults_stuck_low_battery_tamper_skew() -> None:
    stuck = [
        m for m in of(run_offline("stuck_sensor"), "c001-b2-f2-cor-smk", "smoke") if m.t_s >= 600
    ]
    assert len({(m.data["obscuration_db_per_m"], m.data["temperature_c"]) for m in stuck}) == 1
    hb = [
        m for m in of(run_offline("low_battery"), "c001-b1-f6-u1-smk", "heartbeat") if m.t_s >= 300
    ]
    assert hb
    assert all(m.data["battery_pct"] == 7 for m in hb)
    tamper = run_offline("tamper")
    assert [m.data["alarm_type"] for m in of(tamper, "c001-b2-f1-u2-smk", "device_alarm")] == [
        "tamper",
        "tamper",
    ]
    skewed = [m for m in of(run_offline("clock_skew"), "c001-b1-f1-cor-smk") if m.t_s >= 300]
    assert all(m.data["observed_at"] >= "2026-03-01T00:20" for m in skewed)


def test_redelivery_and_reordering() -> None:
    dup = of(run_offline("qos1_redelivery"), "c001-b1-f3-u1-smk")
    seqs = [m.data["seq"] for m in dup]
    assert any(a == b for a, b in itertools.pairwise(seqs))
    assert any(m.emission.is_redelivery for m in dup)
    ooo = [m.data["seq"] for m in of(run_offline("out_of_order"), "c001-b1-exit1")]
    assert any(b < a for a, b in itertools.pairwise(ooo))
    assert sorted(ooo) == list(range(len(ooo)))  # nothing lost
