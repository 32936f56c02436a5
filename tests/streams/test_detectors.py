"""Detectors with lists of readings and a fake clock: real fire tests, real cell curves."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from events.alerts import AlertKind, LinkageAction
from events.readings import DoorEventType, DoorType, PortState, Reading
from events.sequence import AnomalyType, SequenceAnomaly
from streams.detectors.engine import DeviceEngine
from streams.detectors.model import Finding
from streams.detectors.state import DeviceState
from tests.streams.fixtures import (
    T0,
    at,
    door,
    heartbeat,
    port,
    runaway_curve,
    samsung_temps,
    smoke,
    ulfsri_rooms,
)

ENGINE = DeviceEngine()
UL = "ulfsri-residential-gasburner-2016/Two_Story"


def feed(
    readings: Sequence[Reading], state: DeviceState | None = None
) -> tuple[DeviceState, list[Finding]]:
    state = state or DeviceState(device_id=readings[0].device_id)
    found: list[Finding] = []
    for r in readings:
        out = ENGINE.on_reading(state, r, r.observed_at.timestamp())
        if out:
            found.extend(out.findings)
    return state, found


def raised(found: list[Finding], kind: AlertKind) -> list[Finding]:
    return [f for f in found if f.kind is kind and f.is_active]


@pytest.mark.parametrize(
    "test_name",
    [
        "Gas_Burner_4",
        "Gas_Burner_5",
        "Gas_Burner_6",
        "Gas_Burner_4R2",
        "Gas_Burner_4R3",
        "Gas_Burner_4R4",
        "Gas_Burner_5R2",
        "Gas_Burner_6R2",
    ],
)
def test_ulfsri_every_reached_room_detected_and_background_silent(
    datasets: Path, test_name: str
) -> None:
    rooms = ulfsri_rooms(datasets / UL / f"{test_name}.csv")
    for room, series in rooms.items():
        background = [v for t, v in series if t < 0]
        rise_c = max(v for _, v in series) - sum(background) / len(background)
        readings = [smoke("dev", i, t, temp_c=v) for i, (t, v) in enumerate(series)]
        _, found = feed(readings)
        fires = raised(found, AlertKind.FIRE)
        assert all(f.at_s >= T0 for f in fires), f"{room}: fire before ignition"
        if rise_c >= 20.0:  # the fire reached the room's ceiling
            assert fires, f"{test_name} {room}: rose {rise_c:.0f} C, never detected"
            assert fires[0].at_s - T0 < 600
        if rise_c < 5.0:
            assert not fires, f"{room}: not reached but alarmed"


@pytest.mark.parametrize("n", [50, 70, 100, 120])
def test_thermal_runaway_curves_detected_with_cut_power(datasets: Path, n: int) -> None:
    curve = runaway_curve(datasets / "thermal-runaway-arc" / f"back_{n}.txt")
    t0 = curve[0][0]
    readings = [port("p1", 0, -60.0, temp_c=curve[0][1], voltage_v=54.0)]
    for i, (t, temp_c) in enumerate(curve, start=1):
        # The ARC rig logs no voltage: the pack collapses once the cell vents (> 450 K).
        volts = 54.0 if temp_c < 180 else 30.0
        readings.append(port("p1", i, t - t0, temp_c=temp_c, voltage_v=volts))
    _, found = feed(readings)
    runaway = raised(found, AlertKind.THERMAL_RUNAWAY)
    assert len(runaway) == 1
    assert runaway[0].linkage[0].action is LinkageAction.CUT_POWER


def test_fast_rise_without_collapse_or_max_temperature_is_not_runaway() -> None:
    readings = [port("p1", i, float(i), temp_c=30.0 + 1.5 * i) for i in range(20)]
    _, found = feed(readings)
    assert not raised(found, AlertKind.THERMAL_RUNAWAY)


@pytest.mark.parametrize("rate", ["1C", "2C"])
def test_normal_cell_shapes_do_not_alarm(datasets: Path, rate: str) -> None:
    rows = samsung_temps(datasets / "samsung30q-electrothermal" / f"Q30_S001_{rate}.csv")
    # Pack of 14 cells in series (~52 V e-bike pack); socket follows the cell temperature.
    readings = [
        port("p1", i, t, temp_c=temp_c, voltage_v=14 * v, current_a=2.0, power_w=14 * v * 2.0)
        for i, (t, v, temp_c) in enumerate(rows)
    ]
    _, found = feed(readings)
    assert [f.kind for f in found if f.is_active] == []


def test_charging_limits_each_raise_once_and_clear() -> None:
    readings = [
        port("p1", 0, 0.0),
        port("p1", 1, 1.0, current_a=6.0, power_w=1300.0),
        port("p1", 2, 2.0, current_a=6.0, power_w=1300.0),
        port("p1", 3, 3.0, leakage_ma=45.0),
        port("p1", 4, 4.0),
    ]
    _, found = feed(readings)
    kinds = [(f.kind, f.is_active) for f in found]
    assert kinds.count((AlertKind.CHARGING_OVERCURRENT, True)) == 1
    assert kinds.count((AlertKind.CHARGING_OVERPOWER, True)) == 1
    assert (AlertKind.CHARGING_OVERCURRENT, False) in kinds
    leak = raised(found, AlertKind.LEAKAGE_CURRENT)
    assert leak
    assert leak[0].linkage[0].action is LinkageAction.CUT_POWER


def test_socket_over_temperature_needs_its_delay() -> None:
    _, brief = feed([port("p1", 0, 0.0, temp_c=60.0), port("p1", 1, 1.0, temp_c=30.0)])
    assert not raised(brief, AlertKind.SOCKET_OVER_TEMPERATURE)
    _, held = feed([port("p1", i, float(i), temp_c=60.0) for i in range(4)])
    assert len(raised(held, AlertKind.SOCKET_OVER_TEMPERATURE)) == 1


def test_power_after_full_and_charge_too_long_request_cut_power() -> None:
    full = [port("p1", i, i * 60.0, state=PortState.FULL, power_w=80.0) for i in range(8)]
    _, found = feed(full)
    assert raised(found, AlertKind.POWER_AFTER_FULL)[0].linkage
    long_charge = [port("p1", i, i * 1800.0) for i in range(18)]
    _, found = feed(long_charge)
    too_long = raised(found, AlertKind.CHARGE_TOO_LONG)
    assert len(too_long) == 1
    assert too_long[0].at_s - T0 > 8 * 3600


def test_slow_climb_while_charging_is_a_precursor() -> None:
    readings = [port("p1", i, i * 30.0, temp_c=30.0 + i * 0.8) for i in range(25)]
    _, found = feed(readings)
    assert raised(found, AlertKind.CHARGING_TEMP_CLIMB)
    assert not raised(found, AlertKind.THERMAL_RUNAWAY)


def test_cooking_smoke_stays_pre_alarm_and_counts_as_false_alarm() -> None:
    readings = [smoke("s1", i, i * 5.0, obs=0.12 if 2 <= i < 30 else 0.0) for i in range(35)]
    _, found = feed(readings)
    assert len(raised(found, AlertKind.FIRE_PRE_ALARM)) == 1
    assert not raised(found, AlertKind.FIRE)
    assert any(f.kind is AlertKind.FIRE_PRE_ALARM and not f.is_active for f in found)


def test_smoke_with_co_confirms_at_once() -> None:
    _, found = feed([smoke("s1", 0, 0.0), smoke("s1", 1, 5.0, obs=0.1, co_ppm=80.0)])
    assert raised(found, AlertKind.FIRE)[0].summary.endswith("smoke with CO")


def test_dense_smoke_verified_within_window_confirms() -> None:
    readings = [smoke("s1", 0, 0.0, obs=0.1), smoke("s1", 1, 20.0, obs=0.8)]
    _, found = feed(readings)
    assert raised(found, AlertKind.FIRE_PRE_ALARM)
    assert raised(found, AlertKind.FIRE)


def test_more_than_five_false_alarms_a_day() -> None:
    readings, seq = [], 0
    for k in range(7):
        for obs in (0.1, 0.0):
            readings.append(smoke("s1", seq, k * 3600.0 + seq, obs=obs))
            seq += 1
    _, found = feed(readings)
    assert len(raised(found, AlertKind.FALSE_ALARM_EXCESS)) == 1


def test_duplicates_and_replays_are_dropped() -> None:
    state = DeviceState(device_id="s1")
    first = smoke("s1", 5, 0.0, obs=0.1, co_ppm=90.0)
    assert ENGINE.on_reading(state, first, T0) is not None
    assert ENGINE.on_reading(state, first, T0 + 1) is None
    assert ENGINE.on_reading(state, first, T0 + 3600) is None  # replayed an hour later


def test_fire_door_held_open_warning_then_fault_by_timer() -> None:
    state, _ = feed(
        [
            door(
                "d1",
                0,
                0.0,
                door_type=DoorType.FIRE_DOOR_NC,
                event=DoorEventType.OPENED,
                is_open=True,
            )
        ]
    )
    assert ENGINE.on_tick(state, T0 + 29).findings == []
    warn = ENGINE.on_tick(state, T0 + 31).findings
    fault = ENGINE.on_tick(state, T0 + 61).findings
    assert [f.stage for f in warn] == ["warning"]
    assert [f.stage for f in fault] == ["fault"]
    assert ENGINE.on_tick(state, T0 + 90).findings == []
    # A restart keeps the deadline: the state round-trips through its changelog form.
    again = DeviceState.from_dict(state.to_dict())
    assert again.door_open_since_s == state.door_open_since_s


def test_forced_door() -> None:
    _, found = feed(
        [
            door(
                "d1",
                0,
                0.0,
                door_type=DoorType.EVACUATION_EXIT,
                event=DoorEventType.FORCED,
                is_open=True,
            )
        ]
    )
    assert raised(found, AlertKind.DOOR_FORCED)


def test_silence_after_three_missed_heartbeats_is_a_signal() -> None:
    state, _ = feed([heartbeat("h1", 0, 0.0, interval_s=60.0)])
    assert ENGINE.on_tick(state, T0 + 179).signals == []
    silent = ENGINE.on_tick(state, T0 + 181).signals
    assert silent
    assert silent[0].flag
    assert ENGINE.on_tick(state, T0 + 300).signals == []  # once, not every tick


def test_health_faults() -> None:
    _, found = feed([smoke("s1", 0, 0.0, battery_pct=10.0, is_tampered=True)])
    assert raised(found, AlertKind.LOW_BATTERY)
    assert raised(found, AlertKind.TAMPER)
    stuck = [smoke("s1", i, i * 30.0, temp_c=21.5) for i in range(130)]
    _, found = feed(stuck)
    assert len(raised(found, AlertKind.STUCK_VALUE)) == 1
    skewed = smoke("s1", 0, 0.0).model_copy(
        update={"received_at": smoke("s1", 0, 600.0).observed_at}
    )
    _, found = feed([skewed])
    assert raised(found, AlertKind.CLOCK_SKEW)
    state, _ = feed([heartbeat("h1", 0, 0.0, is_test_mode=True)])
    assert ENGINE.on_tick(state, T0 + 3601).findings[0].kind is AlertKind.TEST_MODE_LEFT_ON


def test_late_out_of_order_reading_is_applied_once() -> None:
    state = DeviceState(device_id="s1")
    for seq in (1, 2, 5, 3, 4):
        assert ENGINE.on_reading(state, smoke("s1", seq, float(seq)), T0 + seq) is not None
    for seq in (1, 3, 4, 5):
        assert ENGINE.on_reading(state, smoke("s1", seq, float(seq)), T0 + 9) is None
    # A restarted counter (seq far back, newer clock) is not a replay.
    assert ENGINE.on_reading(state, smoke("s1", 200, 200.0), T0 + 200) is not None
    assert ENGINE.on_reading(state, smoke("s1", 0, 300.0), T0 + 300) is not None


def _anomaly(kind: AnomalyType, missing: int, t_s: float) -> SequenceAnomaly:
    return SequenceAnomaly(
        anomaly=kind,
        device_id="s1",
        compound_id="c1",
        gateway_id="gw1",
        expected_seq=10,
        received_seq=13,
        missing_count=missing,
        detected_at=at(t_s),
        bridge_id="b",
    )


def test_sequence_gap_waits_for_late_arrivals_before_alerting() -> None:
    healed = DeviceState(device_id="s1")
    ENGINE.on_sequence(healed, _anomaly(AnomalyType.GAP, 3, 0.0), T0)
    ENGINE.on_sequence(healed, _anomaly(AnomalyType.LATE, 0, 1.0), T0 + 1)
    assert ENGINE.on_tick(healed, T0 + 120).findings == []
    lost = DeviceState(device_id="s1")
    ENGINE.on_sequence(lost, _anomaly(AnomalyType.GAP, 3, 0.0), T0)
    ENGINE.on_sequence(lost, _anomaly(AnomalyType.LATE, 1, 1.0), T0 + 1)
    assert ENGINE.on_tick(lost, T0 + 30).findings == []
    gap = ENGINE.on_tick(lost, T0 + 61).findings
    assert [f.kind for f in gap] == [AlertKind.SEQUENCE_GAP]
