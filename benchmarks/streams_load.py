"""Load for the stream benchmark: a realistic mix of normal readings, and the state probe."""

from __future__ import annotations

import random
import tracemalloc
from datetime import UTC, datetime, timedelta

from events.codec import encode_model
from events.readings import (
    ChargingPortReading,
    DoorEvent,
    DoorEventType,
    DoorType,
    Heartbeat,
    PortState,
    Reading,
    RelayState,
    SmokeReading,
)
from runtime.clock import ManualClock
from streams.detectors.engine import DeviceEngine
from streams.processor import DeviceProcessor, DictStore, Emitted

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def reading(rng: random.Random, device_no: int, seq: int, t_s: float) -> Reading:
    """Device n's reading number `seq`: smoke 60 %, charging ports 25 %, doors 10 % (half of
    them fire doors), else heartbeats; values in their normal ranges (no alarms)."""
    kind = device_no % 20
    base = {
        "device_id": f"dev-{device_no:06d}",
        "compound_id": f"c{device_no // 2000}",
        "gateway_id": f"gw{device_no // 200}",
        "seq": seq,
        "observed_at": EPOCH + timedelta(seconds=t_s),
        "building_id": f"b{device_no // 100}",
        "area_id": f"a{device_no // 10}",
        "floor": device_no % 30,
    }
    if kind < 12:
        return SmokeReading(
            **base,
            obscuration_db_per_m=round(rng.uniform(0, 0.02), 3),
            temperature_c=round(rng.gauss(22.0, 0.3), 2),
            battery_pct=88.0,
        )
    if kind < 17:
        return ChargingPortReading(
            **base,
            station_id=f"st{device_no // 10}",
            port_no=kind,
            voltage_v=round(rng.uniform(52, 54), 2),
            current_a=2.0,
            power_w=round(rng.uniform(100, 110), 1),
            energy_wh=seq * 1.0,
            socket_temp_c=round(rng.gauss(30.0, 0.3), 2),
            leakage_ma=1.0,
            port_state=PortState.CHARGING,
            relay_state=RelayState.ON,
        )
    if kind < 19:
        # Half of them stairwell fire doors: their toggles feed the compound stage too.
        is_open = seq % 2 == 1
        return DoorEvent(
            **base,
            door_type=DoorType.UNIT_ENTRANCE if kind == 17 else DoorType.FIRE_DOOR_NC,
            event=DoorEventType.OPENED if is_open else DoorEventType.CLOSED,
            is_open=is_open,
        )
    return Heartbeat(**base, interval_s=60.0, battery_pct=90.0)


def payloads(events: int, devices: int, seed: int = 7) -> list[tuple[bytes, bytes]]:
    """(key, value) pairs, round-robin over the devices, 10 s apart per device."""
    rng = random.Random(seed)
    out = []
    for i in range(events):
        device_no, seq = i % devices, i // devices
        r = reading(rng, device_no, seq, seq * 10.0)
        out.append((r.device_id.encode(), encode_model(r)))
    return out


def state_cost(devices: int, readings_per_device: int = 8, seed: int = 7) -> dict[str, float]:
    """Bytes per device: in memory (tracemalloc over the state dict) and serialised (what
    the changelog and the table hold)."""
    rng = random.Random(seed)
    batches = [
        [reading(rng, n, seq, seq * 10.0) for n in range(devices)]
        for seq in range(readings_per_device)
    ]
    clock = ManualClock(EPOCH)
    store = DictStore()
    proc = DeviceProcessor(DeviceEngine(), clock, store, partitions=12)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for batch in batches:
        clock.advance(10.0)
        for r in batch:
            proc.on_reading(r, Emitted())
    proc.flush()
    in_memory = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    serialised = sum(len(v) + len(k) for k, v in store.data.items())
    return {
        "devices": devices,
        "readings_per_device": readings_per_device,
        "in_memory_bytes_per_device": round(in_memory / devices, 1),
        "serialised_bytes_per_device": round(serialised / devices, 1),
    }
