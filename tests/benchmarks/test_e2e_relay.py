"""The raw relay's recognition of a P1 (pure): the floor pages exactly the P1s the load fires,
on the message the stack raises them from, and nothing for a trigger device's ordinary
traffic (benchmarks/e2e_relay.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from benchmarks.e2e_load import Trigger as LoadTrigger
from benchmarks.e2e_load import bench_fleet, p1_messages, triggers
from benchmarks.e2e_relay import Trigger, recognise
from events.codec import encode_model
from events.readings import ChargingPortReading, PortState, RelayState
from simulators.engine import Simulation

PORT_READING = {
    "voltage_v": 48.0,
    "current_a": 2.0,
    "power_w": 96.0,
    "energy_wh": 500.0,
    "socket_temp_c": 38.0,
    "leakage_ma": 1.0,
    "port_state": PortState.CHARGING,
    "relay_state": RelayState.ON,
}


def _setup() -> tuple[Simulation, list[LoadTrigger], dict[str, Trigger]]:
    fleet = bench_fleet(4)
    chosen = triggers(fleet)[:4]
    sim = Simulation(fleet, seed=1, start_at=datetime.now(UTC))
    relay = {t.device.device_id: Trigger(t.kind, t.place_key, "page") for t in chosen}
    return sim, chosen, relay


def _channel(topic: str) -> str:
    return topic.rsplit("/", 1)[1]


def test_a_fire_is_its_alarm_and_a_runaway_its_reading() -> None:
    sim, chosen, relay = _setup()
    fire, runaway = chosen[0], chosen[3]
    assert (fire.kind, runaway.kind) == ("fire", "thermal_runaway")
    fire_msgs = p1_messages(sim, fire, 1.0)
    seen = [recognise(relay, fire.device.device_id, _channel(t), p) for t, p in fire_msgs]
    assert seen == ["", fire.place_key, fire.place_key]  # reading, smoke alarm, heat alarm
    runaway_msgs = p1_messages(sim, runaway, 1.0)
    seen = [recognise(relay, runaway.device.device_id, _channel(t), p) for t, p in runaway_msgs]
    assert seen == [runaway.place_key, ""]  # the venting reading; its alarm is not the trigger


def test_ordinary_traffic_and_other_devices_are_not_p1s() -> None:
    sim, chosen, relay = _setup()
    runaway = chosen[3]
    d = runaway.device
    ordinary = ChargingPortReading(
        device_id=d.device_id,
        compound_id=d.compound_id,
        gateway_id=d.gateway_id,
        seq=1,
        observed_at=sim.start_at,
        area_id=d.area_id,
        station_id=d.station_id or "",
        port_no=d.port_no or 1,
        **PORT_READING,
    )
    assert recognise(relay, d.device_id, "telemetry", encode_model(ordinary)) == ""
    _, payload = p1_messages(sim, chosen[0], 1.0)[1]
    assert recognise(relay, "someone-else", "alarm", payload) == ""
