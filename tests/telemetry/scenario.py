"""A seeded compound's telemetry for the sink tests: every reading kind, realistic ranges.

Deterministic for a seed: the same seed gives the same readings, byte for byte.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from events.readings import (
    ChargingPortReading,
    DeviceAlarm,
    DeviceAlarmType,
    DoorEvent,
    DoorEventType,
    DoorType,
    GatewayState,
    GatewayStatus,
    Heartbeat,
    PortState,
    RelayState,
    SmokeReading,
)

START = datetime(2025, 11, 3, 8, 0, tzinfo=UTC)
AnyReading = (
    SmokeReading | ChargingPortReading | DoorEvent | GatewayStatus | Heartbeat | DeviceAlarm
)


def compound_telemetry(seed: int, seconds: int, compound_id: str = "c-0001") -> list[AnyReading]:
    """Readings of one compound, one round per 10 s of device time, in time order."""
    rng = random.Random(seed)
    readings: list[AnyReading] = []
    seq: dict[str, int] = {}

    def base(device_id: str, at: datetime, building: str) -> dict[str, object]:
        seq[device_id] = seq.get(device_id, 0) + 1
        return {
            "device_id": device_id,
            "compound_id": compound_id,
            "gateway_id": f"{compound_id}-gw1",
            "building_id": building,
            "seq": seq[device_id],
            "observed_at": at,
            "received_at": at + timedelta(milliseconds=rng.randint(5, 400)),
        }

    for step in range(seconds // 10):
        at = START + timedelta(seconds=10 * step, milliseconds=rng.randint(0, 999))
        for n in range(4):
            readings.append(
                SmokeReading(
                    **base(f"smoke-{n}", at, f"b{n % 2}"),
                    obscuration_db_per_m=round(rng.uniform(0.0, 0.04), 4),
                    temperature_c=round(rng.gauss(22.0, 1.5), 2),
                    co_ppm=round(rng.uniform(0, 9), 1) if n % 2 else None,
                    battery_pct=round(rng.uniform(60, 100), 1),
                )
            )
        for port in range(3):
            charging = rng.random() < 0.7
            readings.append(
                ChargingPortReading(
                    **base(f"port-{port}", at, "b0"),
                    station_id="st-1",
                    port_no=port,
                    voltage_v=round(rng.uniform(47.0, 54.6), 2),
                    current_a=round(rng.uniform(1.5, 4.0), 3) if charging else 0.0,
                    power_w=round(rng.uniform(80, 200), 1) if charging else 0.0,
                    energy_wh=round(step * 0.3 + port, 2),
                    socket_temp_c=round(rng.gauss(28.0, 2.0), 2),
                    leakage_ma=round(rng.uniform(0, 3), 2),
                    port_state=PortState.CHARGING if charging else PortState.IDLE,
                    relay_state=RelayState.ON if charging else RelayState.OFF,
                )
            )
        if step % 3 == 0:
            is_open = rng.random() < 0.5
            readings.append(
                DoorEvent(
                    **base("door-1", at, "b1"),
                    door_type=DoorType.FIRE_DOOR_NC,
                    event=DoorEventType.OPENED if is_open else DoorEventType.CLOSED,
                    is_open=is_open,
                )
            )
        if step % 6 == 0:
            readings.append(
                Heartbeat(
                    **base("smoke-0", at, "b0"),
                    interval_s=60.0,
                    battery_pct=90.0,
                    rssi_dbm=-70.0,
                )
            )
            readings.append(
                GatewayStatus(
                    **base(f"{compound_id}-gw1", at, "b0"),
                    state=GatewayState.ONLINE,
                    device_count=8,
                )
            )
        if step == 5:
            readings.append(
                DeviceAlarm(
                    **base("port-2", at, "b0"),
                    alarm_type=DeviceAlarmType.OVER_TEMPERATURE,
                    value=61.5,
                    detail='socket "2" over 55 C',
                )
            )
    return readings
