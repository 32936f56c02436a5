"""The registry as the one source of places: it agrees with the simulator's example fleet
device by device, words every place the way people say it, and draws plans and routes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from alerts.console.places import locate, words
from alerts.console.plans import building_plan, floor_route, site_plan
from alerts.errors import RegistryError
from alerts.registry import EXAMPLE_DIR, Registry, load_registry
from alerts.registry.places import PointKind
from events.alerts import AlertKind, condition_key
from events.readings import DoorType
from simulators.fleet import DeviceKind, load_fleet

_KIND = {
    (DeviceKind.SMOKE, None): PointKind.SMOKE,
    (DeviceKind.CHARGING_PORT, None): PointKind.CHARGING_PORT,
    (DeviceKind.DOOR, DoorType.FIRE_DOOR_NC): PointKind.FIRE_DOOR,
    (DeviceKind.DOOR, DoorType.EVACUATION_EXIT): PointKind.EVACUATION_EXIT,
    (DeviceKind.DOOR, DoorType.UNIT_ENTRANCE): PointKind.UNIT_ENTRANCE,
    (DeviceKind.DOOR, DoorType.GATE): PointKind.GATE,
}


@pytest.fixture(scope="module")
def registry() -> Registry:
    return load_registry(EXAMPLE_DIR)


def test_example_fleet_and_registry_agree_device_by_device(registry: Registry) -> None:
    """Issue 11.2: the registry is the one source; a thermal runaway in the shed once lit
    "Building 2" because the fleet put the shed's ports in b2 and the registry did not."""
    fleet = load_fleet("example")
    for spec in fleet.compounds:
        compound = registry.compound(spec.id)
        assert compound is not None, f"fleet compound {spec.id} is not in the registry"
        assert (compound.lat, compound.lon) == (spec.lat, spec.lon)
        assert set(compound.gateways) == set(spec.gateways)
        points = {p.device_id: p for p in registry.device_points(spec.id)}
        devices = {d.device_id: d for d in spec.devices()}
        assert sorted(points) == sorted(devices)
        for device_id, d in devices.items():
            p = points[device_id]
            fleet_place = (
                _KIND[d.kind, d.door_type],
                d.gateway_id,
                d.building_id,
                d.floor,
                d.area_id,
            )
            registry_place = (p.kind, p.gateway_id, p.building_id, p.floor, p.area_id)
            assert registry_place == fleet_place, device_id
    shed_port = registry.device_point("c001-cs1-p03")
    assert shed_port is not None
    assert (shed_port.building_id, shed_port.shed_id) == (None, "shed1")


def test_evacuation_doors_come_from_the_exits(registry: Registry) -> None:
    doors = registry.evacuation_doors("c001", "b1")
    assert [d.device_id for d in doors] == ["c001-b1-exit1", "c001-b1-exit2"]  # not ent1


@pytest.mark.parametrize(
    ("device", "building", "subject", "zh", "en"),
    [
        (
            "c001-b1-f3-u2-smk",
            "b1",
            None,
            "1号楼 3层 2单元 卧室 烟感",
            "Building 1, floor 3, unit 2, bedroom, smoke detector",
        ),
        (
            "c001-b2-f4-cor-smk",
            "b2",
            None,
            "2号楼 4层 走廊 烟感",
            "Building 2, floor 4, corridor, smoke detector",
        ),
        (
            "c001-b1-f2-fd1",
            "b1",
            None,
            "1号楼 2层 楼梯间 防火门",
            "Building 1, floor 2, stairwell, fire door",
        ),
        (
            "c001-b2-exit1",
            "b2",
            None,
            "2号楼 1层 西侧安全出口 门禁",
            "Building 2, floor 1, west exit, door lock",
        ),
        ("c001-cs1-p03", None, None, "1号充电棚 3号充电口", "Charging shed 1, port 3"),
        (None, None, "area:c001-shed1", "1号充电棚", "Charging shed 1"),
        (
            None,
            "b1",
            "area:c001-b1-f5-u1",
            "1号楼 5层 1单元 卧室 烟感",  # an area of one detector is that detector
            "Building 1, floor 5, unit 1, bedroom, smoke detector",
        ),
        ("sd-9", "b1", None, "1号楼 设备 sd-9", "Building 1, device sd-9"),
    ],
)
def test_places_read_in_words(  # noqa: PLR0917 - one row of the table above
    registry: Registry,
    device: str | None,
    building: str | None,
    subject: str | None,
    zh: str,
    en: str,
) -> None:
    key = condition_key("c001", building, AlertKind.FIRE, subject or device or "-")
    place = locate(registry, "c001", building, device, key)
    assert words(place["parts"], "zh-CN") == zh
    assert words(place["parts"], "en") == en
    assert place["compound"]["timezone"] == "Asia/Shanghai"


def test_thermal_runaway_in_the_shed_focuses_the_shed_not_a_building(registry: Registry) -> None:
    key = condition_key("c001", None, AlertKind.THERMAL_RUNAWAY, "c001-cs1-p03")
    focus = locate(registry, "c001", None, "c001-cs1-p03", key)["focus"]
    assert (focus["building_id"], focus["shed_id"]) == (None, "shed1")
    compound = registry.compound("c001")
    assert compound is not None
    plan = site_plan(compound, None, "shed1")
    assert [s["shed_id"] for s in plan["sheds"]] == ["shed1"]
    assert plan["route"][-1] == compound.charging_sheds[0].centre  # from the nearest gate
    assert plan["route"][0] in [(g.x_m, g.y_m) for g in compound.gates]


def test_floor_route_goes_stairs_corridor_device(registry: Registry) -> None:
    compound = registry.compound("c001")
    assert compound is not None
    b1 = compound.building("b1")
    assert b1 is not None
    plan = building_plan("c001", b1, 3, frozenset({"c001-b1-f3-u2-smk"}))
    assert {p["device_id"] for p in plan["points"]} >= {"c001-b1-f3-u2-smk", "c001-b1-f3-fd1"}
    assert not [p for p in plan["points"] if p["name"]]  # exits are on the ground floor only
    # stairs centre -> into the gallery -> along it -> to the bedroom's detector
    assert plan["route"] == [(20.0, 6.0), (20.0, 13.5), (35.0, 13.5), (35.0, 4.0)]
    ground = building_plan("c001", b1, 1, frozenset({"c001-b1-f1-u1-smk"}))
    assert ground["route"][0] == (0.0, 13.5)  # on the ground floor from the nearest exit
    point = registry.device_point("c001-b1-f1-u1-smk")
    assert point is not None
    assert floor_route(b1, 1, point, [])[0] == (20.0, 6.0)  # no exits known: the stairs


Mutation = Callable[[dict[str, Any]], object]


def _write(tmp_path: Path, mutate: Mutation) -> Path:
    for src in EXAMPLE_DIR.glob("*.yaml"):
        doc = yaml.safe_load(src.read_text(encoding="utf-8"))
        if "compounds" in doc:
            mutate(doc["compounds"][0])
        (tmp_path / src.name).write_text(yaml.safe_dump(doc, allow_unicode=True))
    return tmp_path


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda c: c.update(timezone="Mars/Olympus"), "unknown time zone 'Mars/Olympus'"),
        (lambda c: c["buildings"][1].update(building_id="b1"), "duplicate device id"),
        (lambda c: c.update(gateways=["c001-gw1"]), "names gateway 'c001-gw2'"),
        (lambda c: c["buildings"][0].pop("gateway_id"), "floor_plan points need a gateway_id"),
    ],
)
def test_registry_refuses_places_that_do_not_add_up(
    tmp_path: Path, mutate: Mutation, message: str
) -> None:
    with pytest.raises(RegistryError, match=message):
        load_registry(_write(tmp_path, mutate))
