"""Load for `firewatch bench e2e`: a city slice of the fleet simulator plus P1s at known times.

The fleet: the two compounds the example registry covers (c001 -> st-east, c-north -> st-west),
each with as many buildings and charging sheds as the run needs P1 places, so every P1 is a
fire or a thermal runaway in a place of its own: one incident each (alerts.grouping puts fire
by building, a shed outside any building by its area). Every device kind reports (smoke
detectors, charging ports, doors, gateway heartbeats); their reporting periods are shortened by
one factor until the fleet sends the asked rate (the simulator's Intervals).

A P1 is what a real fleet device sends at that moment, with its next seqs (no gap for the
bridge to repair), as the simulator's device models send it: a smoke detector in alarm sends
its reading (0.3 dB/m, 80 C, 150 ppm CO: smoke with CO confirms a fire at once,
streams.detectors.smoke) and its own smoke and heat alarms on the alarm channel, which the
bridge carries on its priority lane (GB 26875.1: fire alarms pre-empt other traffic); a charging
port in thermal runaway sends its reading (VOC and CO past the venting levels with the socket
past the maker's maximum temperature: streams.detectors.runaway, DOMAIN.md section 4) and its
over-temperature alarm. The publish of the first message is the start of the P1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from events.codec import encode_model
from events.readings import (
    ChargingPortReading,
    DeviceAlarm,
    DeviceAlarmType,
    PortState,
    RelayState,
    SmokeAlarmState,
    SmokeReading,
)
from events.topics import Channel, MqttTopic
from simulators.devices.base import Intervals
from simulators.engine import Simulation
from simulators.fleet import (
    BuildingSpec,
    ChargingStationSpec,
    CompoundSpec,
    DeviceKind,
    DeviceSpec,
    Fleet,
)

# The example registry's compounds, each covered by its own station and terminal.
COMPOUNDS = (("c001", 31.2304, 121.4737), ("c-north", 31.2400, 121.4600))
BUILDINGS_PER_GATEWAY = 8
FIRE_SHARE = 0.75  # three fires for each thermal runaway


@dataclass(frozen=True)
class Trigger:
    """One P1 to fire: its device, the incident place it opens, and its kind."""

    device: DeviceSpec
    place_key: str  # events.incidents.IncidentPlace.key of the incident it opens
    kind: str  # "fire" or "thermal_runaway"


def _compound(cid: str, lat: float, lon: float, buildings: int, sheds: int) -> CompoundSpec:
    n_gw = max(1, math.ceil(buildings / BUILDINGS_PER_GATEWAY))
    gateways = tuple(f"{cid}-gw{k}" for k in range(1, n_gw + 2))  # the last: sheds and gates
    return CompoundSpec(
        id=cid,
        name=f"bench {cid}",
        lat=lat,
        lon=lon,
        gateways=gateways,
        buildings=tuple(
            BuildingSpec(id=f"eb{i}", gateway=gateways[(i - 1) // BUILDINGS_PER_GATEWAY], floors=6)
            for i in range(1, buildings + 1)
        ),
        charging_stations=tuple(
            ChargingStationSpec(id=f"ecs{i}", gateway=gateways[-1], shed=f"eshed{i}", ports=8)
            for i in range(1, sheds + 1)
        ),
        gates=2,
        gate_gateway=gateways[-1],
    )


def bench_fleet(p1s: int) -> Fleet:
    """Enough buildings and sheds in the two compounds for `p1s` places (plus the idle P1's)."""
    places = p1s + 1
    fires = math.ceil(places * FIRE_SHARE)
    runaways = places - fires
    per = [(math.ceil(fires / 2), math.ceil(runaways / 2))] * 2
    return Fleet(
        compounds=tuple(
            _compound(cid, lat, lon, b, s)
            for (cid, lat, lon), (b, s) in zip(COMPOUNDS, per, strict=True)
        )
    )


def triggers(fleet: Fleet) -> list[Trigger]:
    """One trigger per place, alternating the compounds, about three fires to a runaway."""
    fires: dict[str, Trigger] = {}
    runaways: dict[str, Trigger] = {}
    for d in fleet.devices:
        if d.kind is DeviceKind.SMOKE and d.building_id:
            key = f"{d.compound_id}/building:{d.building_id}"
            fires.setdefault(key, Trigger(d, key, "fire"))
        elif d.kind is DeviceKind.CHARGING_PORT and d.area_id:
            key = f"{d.compound_id}/area:{d.area_id}"
            runaways.setdefault(key, Trigger(d, key, "thermal_runaway"))
    fire_list, runaway_list = _alternate(list(fires.values())), _alternate(list(runaways.values()))
    out: list[Trigger] = []
    while fire_list or runaway_list:
        out += [fire_list.pop(0) for _ in range(3) if fire_list]
        out += [runaway_list.pop(0)] if runaway_list else []
    return out


def _alternate(items: list[Trigger]) -> list[Trigger]:
    """Interleave the compounds (c001, c-north, c001, ...): both stations work at once."""
    by_compound: dict[str, list[Trigger]] = {}
    for t in items:
        by_compound.setdefault(t.device.compound_id, []).append(t)
    columns = list(by_compound.values())
    return [
        col[i] for i in range(max(map(len, columns), default=0)) for col in columns if i < len(col)
    ]


def scaled_intervals(fleet: Fleet, rate: float, probe_s: float = 120.0) -> Intervals:
    """Reporting periods shortened by one factor so the fleet sends about `rate` msg/s
    (never lengthened: a device is not made slower than it reports in the field)."""
    sim = Simulation(fleet, seed=1, start_at=datetime.now(UTC))
    sim.start()
    natural = sum(1 for _ in sim.run_until(probe_s)) / probe_s
    factor = min(1.0, natural / rate)
    base = Intervals()
    return replace(
        base,
        smoke_s=base.smoke_s * factor,
        port_charging_s=base.port_charging_s * factor,
        port_idle_s=base.port_idle_s * factor,
        heartbeat_s=base.heartbeat_s * factor,
    )


def p1_messages(sim: Simulation, trigger: Trigger, t_s: float) -> list[tuple[str, bytes]]:
    """What the trigger's device sends at `t_s`, as the simulator's device models do: the
    reading on its telemetry channel, then its own alarm edges on the alarm channel (the bridge's
    priority lane). Topics and payloads, each with the device's next seq."""
    d = trigger.device
    reading: SmokeReading | ChargingPortReading
    alarms: list[tuple[DeviceAlarmType, float]]
    if trigger.kind == "fire":
        reading = SmokeReading(**_envelope(sim, d, t_s), **_FIRE)
        # simulators.devices.smoke: smoke >= 0.2 dB/m and heat >= 57 C are alarm edges
        alarms = [(DeviceAlarmType.SMOKE, 0.3), (DeviceAlarmType.HEAT, 80.0)]
    else:
        extra = {"station_id": d.station_id or "", "port_no": d.port_no or 1}
        reading = ChargingPortReading(**_envelope(sim, d, t_s), **extra, **_RUNAWAY)
        # simulators.devices.charging: a socket past 70 C is the port's over-temperature edge
        alarms = [(DeviceAlarmType.OVER_TEMPERATURE, 135.0)]
    out = [(_topic(d, Channel.TELEMETRY), encode_model(reading))]
    for kind, value in alarms:
        alarm = DeviceAlarm(**_envelope(sim, d, t_s), alarm_type=kind, is_active=True, value=value)
        out.append((_topic(d, Channel.ALARM), encode_model(alarm)))
    return out


_FIRE: dict[str, Any] = {
    "obscuration_db_per_m": 0.3,
    "temperature_c": 80.0,
    "co_ppm": 150.0,
    "battery_pct": 90.0,
    "alarm_state": SmokeAlarmState.ALARM,
}
_RUNAWAY: dict[str, Any] = {
    "voltage_v": 48.0,
    "current_a": 2.0,
    "power_w": 96.0,
    "energy_wh": 500.0,
    "socket_temp_c": 135.0,
    "leakage_ma": 1.0,
    "port_state": PortState.CHARGING,
    "relay_state": RelayState.ON,
    "voc_ppm": 900.0,
    "co_ppm": 1500.0,
    "h2_ppm": 2500.0,
}


def _envelope(sim: Simulation, d: DeviceSpec, t_s: float) -> dict[str, Any]:
    """The engine's envelope with the device's next seq (the simulator's own next reading of
    this device follows on from it: no gap, no repeat)."""
    seq = sim.seq.get(d.device_id, -1) + 1
    sim.seq[d.device_id] = seq
    return {
        "device_id": d.device_id,
        "compound_id": d.compound_id,
        "gateway_id": d.gateway_id,
        "seq": seq,
        "observed_at": sim.start_at + timedelta(seconds=round(t_s, 3)),
        "building_id": d.building_id,
        "floor": d.floor,
        "area_id": d.area_id,
    }


def _topic(d: DeviceSpec, channel: Channel) -> str:
    return MqttTopic.device(d.compound_id, d.gateway_id, d.device_id, channel)
