"""The fleet model: compounds, buildings, floors, units, gateways and the devices placed in them.

A fleet file (YAML) describes each compound compactly (floors, units per floor, ports per
station ...); `Fleet.devices` expands it into one `DeviceSpec` per device with stable ids and
placement (building, floor, area). Charging ports share the area id of their shed with the
shed's smoke detector, so "smoke near charging" can be matched by area.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cached_property
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from events.readings import DoorType, Identifier

FLEETS_DIR = Path(__file__).parent / "fleets"


class DeviceKind(StrEnum):
    SMOKE = "smoke"
    CHARGING_PORT = "charging_port"
    DOOR = "door"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DeviceSpec(_Frozen):
    device_id: Identifier
    kind: DeviceKind
    compound_id: Identifier
    gateway_id: Identifier
    building_id: Identifier | None = None
    floor: int | None = None
    area_id: Identifier | None = None
    door_type: DoorType | None = None
    station_id: Identifier | None = None
    port_no: int | None = None
    faults: frozenset[str] = frozenset()


class BuildingSpec(_Frozen):
    id: Identifier
    gateway: Identifier
    floors: int = Field(ge=1, le=100)
    units_per_floor: int = Field(default=2, ge=1, le=20)
    corridor_smoke: bool = True
    fire_doors_per_floor: int = Field(default=1, ge=0, le=10)
    evacuation_exits: int = Field(default=2, ge=0, le=10)
    unit_entrances: int = Field(default=1, ge=0, le=10)


class ChargingStationSpec(_Frozen):
    id: Identifier
    gateway: Identifier
    shed: Identifier  # the charging shed: one area shared by its ports and its smoke detector
    ports: int = Field(ge=1, le=64)
    building: Identifier | None = None


class CompoundSpec(_Frozen):
    id: Identifier
    name: str = ""
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    gateways: tuple[Identifier, ...]
    buildings: tuple[BuildingSpec, ...] = ()
    charging_stations: tuple[ChargingStationSpec, ...] = ()
    gates: int = Field(default=1, ge=0, le=10)
    gate_gateway: Identifier | None = None
    # Per-device fault options, e.g. {"c1-cs1-p01": ["stuck_relay"]}.
    device_faults: dict[str, tuple[str, ...]] = Field(default_factory=dict)

    def devices(self) -> list[DeviceSpec]:
        out: list[DeviceSpec] = []
        for b in self.buildings:
            out += _building_devices(self.id, b)
        for s in self.charging_stations:
            out += _station_devices(self.id, s)
        gate_gw = self.gate_gateway or self.gateways[0]
        for k in range(1, self.gates + 1):
            out.append(
                _door(
                    self.id, gate_gw, f"{self.id}-gate{k}", DoorType.GATE, building=None, floor=None
                )
            )
        return [
            d.model_copy(update={"faults": frozenset(self.device_faults[d.device_id])})
            if d.device_id in self.device_faults
            else d
            for d in out
        ]


def _smoke(
    c: str, gw: str, dev: str, *, building: str | None, floor: int | None, area: str
) -> DeviceSpec:
    return DeviceSpec(
        device_id=dev,
        kind=DeviceKind.SMOKE,
        compound_id=c,
        gateway_id=gw,
        building_id=building,
        floor=floor,
        area_id=area,
    )


def _door(
    c: str, gw: str, dev: str, t: DoorType, *, building: str | None, floor: int | None
) -> DeviceSpec:
    return DeviceSpec(
        device_id=dev,
        kind=DeviceKind.DOOR,
        compound_id=c,
        gateway_id=gw,
        building_id=building,
        floor=floor,
        area_id=dev,
        door_type=t,
    )


def _building_devices(c: str, b: BuildingSpec) -> list[DeviceSpec]:
    prefix, gw, bid = f"{c}-{b.id}", b.gateway, b.id
    out: list[DeviceSpec] = []
    for f in range(1, b.floors + 1):
        for u in range(1, b.units_per_floor + 1):
            area = f"{prefix}-f{f}-u{u}"
            out.append(_smoke(c, gw, f"{area}-smk", building=bid, floor=f, area=area))
        if b.corridor_smoke:
            area = f"{prefix}-f{f}-cor"
            out.append(_smoke(c, gw, f"{area}-smk", building=bid, floor=f, area=area))
        for k in range(1, b.fire_doors_per_floor + 1):
            out.append(
                _door(c, gw, f"{prefix}-f{f}-fd{k}", DoorType.FIRE_DOOR_NC, building=bid, floor=f)
            )
    for k in range(1, b.evacuation_exits + 1):
        out.append(
            _door(c, gw, f"{prefix}-exit{k}", DoorType.EVACUATION_EXIT, building=bid, floor=1)
        )
    for k in range(1, b.unit_entrances + 1):
        out.append(_door(c, gw, f"{prefix}-ent{k}", DoorType.UNIT_ENTRANCE, building=bid, floor=1))
    return out


def _station_devices(c: str, s: ChargingStationSpec) -> list[DeviceSpec]:
    area = f"{c}-{s.shed}"
    out = [_smoke(c, s.gateway, f"{area}-smk", building=s.building, floor=None, area=area)]
    for p in range(1, s.ports + 1):
        out.append(
            DeviceSpec(
                device_id=f"{c}-{s.id}-p{p:02d}",
                kind=DeviceKind.CHARGING_PORT,
                compound_id=c,
                gateway_id=s.gateway,
                building_id=s.building,
                area_id=area,
                station_id=f"{c}-{s.id}",
                port_no=p,
            )
        )
    return out


class Fleet(_Frozen):
    compounds: tuple[CompoundSpec, ...]

    @cached_property
    def devices(self) -> tuple[DeviceSpec, ...]:
        return tuple(d for c in self.compounds for d in c.devices())

    @cached_property
    def by_id(self) -> dict[str, DeviceSpec]:
        return {d.device_id: d for d in self.devices}

    @property
    def gateways(self) -> list[tuple[str, str]]:
        """(compound_id, gateway_id) of every gateway, in file order."""
        return [(c.id, g) for c in self.compounds for g in c.gateways]

    def device(self, device_id: str) -> DeviceSpec:
        try:
            return self.by_id[device_id]
        except KeyError:
            raise KeyError(f"no device {device_id!r} in the fleet") from None

    def with_faults(self, faults: dict[str, tuple[str, ...]]) -> Fleet:
        """A copy where the named devices carry extra fault options (e.g. stuck_relay)."""
        compounds = []
        for c in self.compounds:
            mine = {k: v for k, v in faults.items() if k.startswith(f"{c.id}-")}
            merged = {**c.device_faults, **mine}
            compounds.append(c.model_copy(update={"device_faults": merged}))
        return Fleet(compounds=tuple(compounds))


def load_fleet(path: Path | str) -> Fleet:
    """Load a fleet file; the name `example` means the shipped example compound."""
    if str(path) == "example":
        path = FLEETS_DIR / "example.yaml"
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return Fleet.model_validate(data)
