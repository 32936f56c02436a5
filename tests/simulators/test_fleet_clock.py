"""Fleet expansion, the synthetic generator and the clocks."""

from __future__ import annotations

import asyncio

from runtime.clock import ManualClock
from simulators.clock import PacedClock, VirtualClock
from simulators.fleet import DeviceKind, load_fleet
from simulators.generator import synthetic_fleet


def test_example_fleet_places_every_device() -> None:
    fleet = load_fleet("example")
    kinds = {k: sum(1 for d in fleet.devices if d.kind is k) for k in DeviceKind}
    assert kinds == {DeviceKind.SMOKE: 37, DeviceKind.CHARGING_PORT: 8, DeviceKind.DOOR: 20}
    ports = [d for d in fleet.devices if d.kind is DeviceKind.CHARGING_PORT]
    shed = fleet.device("c001-shed1-smk")
    assert {p.area_id for p in ports} == {shed.area_id}  # "smoke near charging" matches by area
    flat = fleet.device("c001-b1-f3-u2-smk")
    assert (flat.building_id, flat.floor, flat.area_id) == ("b1", 3, "c001-b1-f3-u2")


def test_synthetic_fleet_is_seeded_and_ids_are_unique() -> None:
    a, b = synthetic_fleet(50, seed=2), synthetic_fleet(50, seed=2)
    assert a == b
    ids = [d.device_id for d in a.devices]
    assert len(ids) == len(set(ids))
    assert len(a.compounds) == 50
    assert synthetic_fleet(50, seed=3) != a


async def test_paced_clock_runs_speed_times_faster_than_its_time_source() -> None:
    source = ManualClock()
    clock = PacedClock(10.0, clock=source)
    source.advance(2.5)
    assert clock.now_s() == 25.0
    virtual = VirtualClock()
    await virtual.sleep_until(3600.0)
    assert virtual.now_s() == 3600.0
    await asyncio.wait_for(PacedClock(1000.0).sleep_until(1.0), 1.0)  # 1 ms of real time
