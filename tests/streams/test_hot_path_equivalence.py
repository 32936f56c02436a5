"""The device stage's hot path, rewritten for speed, says exactly what the plain one said.

`DeviceProcessor.on_reading` reuses one Outcome for every reading and fills it through
`DeviceEngine.apply_reading` (docs/PERFORMANCE.md, "Worker"). The reference here is the plain
path: a fresh Outcome per reading from `DeviceEngine.on_reading`. Seeded streams of every kind
of reading, with fires, faults, door toggles, duplicates, replays, late readings and counter
restarts, must give the same alerts, signals, state writes and states, reading by reading.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import patch

import pytest

from events.alerts import AlertKind
from events.readings import (
    ChargingPortReading,
    DeviceAlarm,
    DeviceAlarmType,
    DoorEvent,
    DoorEventType,
    DoorType,
    Heartbeat,
    PortState,
    Reading,
    RelayState,
    SmokeAlarmState,
    SmokeReading,
)
from runtime.clock import ManualClock
from streams.detectors import smoke
from streams.detectors.config import DetectorSettings, plain_view
from streams.detectors.engine import DeviceEngine
from streams.detectors.model import Finding, Outcome, Place
from streams.detectors.state import DeviceState
from streams.processor import DeviceProcessor, DictStore, Emitted
from tests.streams.fixtures import smoke as quiet_smoke

T0 = datetime(2026, 6, 1, tzinfo=UTC)
SEEDS = range(4)


def plain_engine() -> DeviceEngine:
    """The detectors reading the settings models themselves, not plain views of them."""
    engine = DeviceEngine()
    cfg = engine.cfg
    engine.smoke_cfg, engine.health_cfg = cfg.smoke, cfg.health
    engine.charging_cfg, engine.doors_cfg = cfg.charging, cfg.doors
    return engine


class PlainProcessor(DeviceProcessor):
    """The reference: a fresh Outcome for every reading, as before the reuse, and the
    settings read from their models."""

    def on_reading(self, r: Reading, into: Emitted) -> None:
        st = self.cache.get(r.device_id) or self._state(r.device_id)
        now_s = self.clock.now_s()
        out = self.engine.on_reading(st, r, now_s)
        if out is None:
            self.duplicates += 1
        elif out.findings or out.signals or out.is_significant:
            self._after(st, out, into, now_s)
        else:
            self.dirty.add(st.device_id)


def _base(rng: random.Random, device: int, seq: int, t_s: float) -> dict[str, Any]:
    base: dict[str, Any] = {
        "device_id": f"d{device}",
        "compound_id": f"c{device % 2}",
        "gateway_id": f"gw{device % 3}",
        "seq": seq,
        "observed_at": T0 + timedelta(seconds=t_s),
    }
    if rng.random() < 0.8:  # placement is optional: the last one known stays
        base.update(building_id=f"b{device % 4}", floor=device % 7, area_id=f"a{device % 5}")
    if rng.random() < 0.3:
        base["received_at"] = T0 + timedelta(seconds=t_s + rng.choice([0.2, 1.0, 400.0]))
    return base


def _smoke(rng: random.Random, base: dict[str, Any], t_s: float) -> SmokeReading:
    hot = 20.0 + max(0.0, t_s - 600.0) * 0.4 if base["device_id"] == "d0" else 21.0
    return SmokeReading(
        **base,
        obscuration_db_per_m=rng.choice([0.0, 0.01, 0.02, 0.08, 0.2, 0.6]),
        temperature_c=min(1100.0, hot + rng.gauss(0.0, 0.3 if rng.random() < 0.9 else 8.0)),
        co_ppm=rng.choice([None, 5.0, 80.0]),
        battery_pct=rng.choice([90.0, 90.0, 90.0, 10.0]),
        is_tampered=rng.random() < 0.03,
        alarm_state=rng.choice([SmokeAlarmState.NORMAL] * 8 + [SmokeAlarmState.PRE_ALARM]),
        is_self_test=rng.random() < 0.02,
    )


def _port(rng: random.Random, base: dict[str, Any], t_s: float) -> ChargingPortReading:
    runaway = base["device_id"] == "d1" and t_s > 900.0
    return ChargingPortReading(
        **base,
        station_id="st1",
        port_no=int(base["device_id"][1:]) % 8,
        voltage_v=rng.uniform(52.0, 54.0),
        current_a=rng.choice([2.0, 2.0, 2.0, 12.0]),
        power_w=rng.choice([105.0, 0.0, 3000.0]),
        energy_wh=max(0.0, t_s / 10.0),
        socket_temp_c=30.0 + (t_s - 900.0) * 0.5 if runaway else rng.gauss(30.0, 0.5),
        leakage_ma=rng.choice([1.0, 1.0, 40.0]),
        port_state=rng.choice([PortState.CHARGING, PortState.CHARGING, PortState.FULL]),
        relay_state=RelayState.ON,
        pack_voltage_v=rng.choice([None, 48.0, 40.0]),
        h2_ppm=rng.choice([None, 0.0, 300.0]) if runaway else None,
    )


def _door(rng: random.Random, base: dict[str, Any]) -> DoorEvent:
    is_open = rng.random() < 0.5
    event = DoorEventType.OPENED if is_open else DoorEventType.CLOSED
    if rng.random() < 0.05:
        event = DoorEventType.FORCED
    return DoorEvent(
        **base,
        door_type=rng.choice([DoorType.FIRE_DOOR_NC, DoorType.EVACUATION_EXIT, DoorType.GATE]),
        event=event,
        is_open=is_open,
        are_locks_released=rng.random() < 0.1,
    )


def _reading(rng: random.Random, device: int, seq: int, t_s: float) -> Reading:
    base = _base(rng, device, seq, t_s)
    kind = device % 5
    if kind in (0, 4):
        return _smoke(rng, base, t_s)
    if kind == 1:
        return _port(rng, base, t_s)
    if kind == 2:
        return _door(rng, base)
    if rng.random() < 0.05:
        alarm = rng.choice(list(DeviceAlarmType))
        return DeviceAlarm(**base, alarm_type=alarm, is_active=rng.random() < 0.7)
    return Heartbeat(**base, interval_s=30.0, battery_pct=rng.choice([None, 80.0, 5.0]))


def stream(seed: int, n: int = 2000, devices: int = 15) -> Iterator[tuple[float, Reading]]:
    """(worker clock, reading): devices every ~5 s, with duplicates, replays, late readings
    and counter restarts as at-least-once delivery and rebooting devices make them."""
    rng = random.Random(seed)
    seqs = [0] * devices
    sent: list[Reading] = []
    for i in range(n):
        now_s = i * 5.0 / devices
        device = rng.randrange(devices)
        roll = rng.random()
        if sent and roll < 0.05:
            yield now_s, rng.choice(sent[-50:])  # a duplicate or a replay
            continue
        if roll < 0.07:
            seqs[device] = rng.choice([0, max(0, seqs[device] - rng.randrange(1, 80))])
        seq = seqs[device] = seqs[device] + rng.choice([1, 1, 1, 2])
        r = _reading(rng, device, seq, now_s + rng.uniform(-3.0, 0.5))
        sent.append(r)
        yield now_s, r


def _run(proc_type: type[DeviceProcessor], seed: int) -> tuple[list[Any], DeviceProcessor]:
    clock = ManualClock(T0)
    store = DictStore()
    engine = plain_engine() if proc_type is PlainProcessor else DeviceEngine()
    proc = proc_type(engine, clock, store, partitions=12)
    said = []
    for i, (now_s, r) in enumerate(stream(seed)):
        clock.set(T0 + timedelta(seconds=now_s))
        into = Emitted()
        proc.on_reading(r, into)
        said.append((i, into.alerts, into.signals, store.writes, sorted(proc.dirty)))
        if i % 400 == 399:
            proc.flush()
    return said, proc


@pytest.mark.parametrize("seed", SEEDS)
def test_the_reused_outcome_says_what_a_fresh_one_said(seed: int) -> None:
    fast, fast_proc = _run(DeviceProcessor, seed)
    plain, plain_proc = _run(PlainProcessor, seed)
    assert fast == plain
    assert fast_proc.duplicates == plain_proc.duplicates > 0
    assert {k: v.to_dict() for k, v in fast_proc.cache.items()} == {
        k: v.to_dict() for k, v in plain_proc.cache.items()
    }
    assert any(alerts for _, alerts, *_ in fast)  # the streams do raise conditions
    assert any(signals for _, _, signals, *_ in fast)


def test_a_plain_view_of_settings_holds_every_field_of_the_model() -> None:
    rng = random.Random(5)
    for model in (DetectorSettings().smoke, DetectorSettings().charging, DetectorSettings().health):
        changed = {
            name: value * rng.uniform(1.0, 2.0)
            for name, value in model.model_dump().items()
            if isinstance(value, float) and rng.random() < 0.5
        }
        for settings in (model, type(model).model_validate({**model.model_dump(), **changed})):
            view = plain_view(settings)
            assert type(view) is not type(settings)
            for name in type(settings).model_fields:
                assert getattr(view, name) == getattr(settings, name), name


def test_a_detector_failing_half_way_leaves_nothing_for_the_next_reading() -> None:
    clock = ManualClock(T0)
    proc = DeviceProcessor(DeviceEngine(), clock, DictStore(), partitions=12)
    first, second = quiet_smoke("d1", 1, 0.0), quiet_smoke("d2", 1, 0.0)

    def half_way(state: DeviceState, r: SmokeReading, *_: Any, out: Outcome) -> None:
        out.findings.append(Finding(AlertKind.FIRE, r.device_id, Place("c0"), 0.0))
        out.is_significant = True
        raise ZeroDivisionError("a detector bug")

    with patch.object(smoke, "detect_smoke", half_way), pytest.raises(ZeroDivisionError):
        proc.on_reading(first, Emitted())
    into = Emitted()
    proc.on_reading(second, into)
    assert into.alerts == []
    assert into.signals == []
    assert proc.dirty == {second.device_id}  # written by the flush, not at once
