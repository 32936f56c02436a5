"""Device points: every device of a compound expanded from the registry, with its place.

A device point answers "where is this device" for the console ("1号楼 3层 2单元 卧室 烟感") and
for the floor plan (its position). Positions are local: a building's floor plan for points in
a building, the shed for charging points, the compound for gates.
"""

from __future__ import annotations

from dataclasses import dataclass

from alerts.registry.models import Building, Compound
from alerts.registry.places import ChargingShed, PointKind, Room

PORT_PITCH_M = 1.5  # one e-bike bay per port (vendor layouts: 1.2-1.8 m)


@dataclass(frozen=True, slots=True)
class DevicePoint:
    device_id: str
    kind: PointKind
    compound_id: str
    gateway_id: str
    area_id: str
    x_m: float
    y_m: float
    building_id: str | None = None
    floor: int | None = None
    unit: int | None = None
    room: Room | None = None
    shed_id: str | None = None
    port_no: int | None = None
    name: str = ""  # a named door or gate (东门), else ""
    name_en: str = ""


def compound_points(compound: Compound) -> list[DevicePoint]:
    out: list[DevicePoint] = []
    for building in compound.buildings:
        out += building_points(compound.compound_id, building)
    for shed in compound.charging_sheds:
        out += shed_points(compound.compound_id, shed)
    for g in compound.gates:
        out.append(
            DevicePoint(
                g.device_id,
                PointKind.GATE,
                compound.compound_id,
                g.gateway_id,
                g.device_id,
                g.x_m,
                g.y_m,
                room=Room.OUTDOOR,
                name=g.name,
                name_en=g.name_en,
            )
        )
    return out


def building_points(compound_id: str, b: Building) -> list[DevicePoint]:
    prefix = f"{compound_id}-{b.building_id}"
    out: list[DevicePoint] = []
    plan = b.floor_plan
    if plan is not None and b.gateway_id is not None:
        for floor in range(1, b.floors + 1):
            for p in plan.points:
                device_id = f"{prefix}-f{floor}-{p.suffix}"
                area = f"{prefix}-f{floor}-{p.area}" if p.area else device_id
                out.append(
                    DevicePoint(
                        device_id,
                        p.kind,
                        compound_id,
                        b.gateway_id,
                        area,
                        p.x_m,
                        p.y_m,
                        building_id=b.building_id,
                        floor=floor,
                        unit=p.unit,
                        room=p.room,
                    )
                )
    for e in b.exits:
        out.append(
            DevicePoint(
                e.device_id,
                e.kind,
                compound_id,
                e.gateway_id,
                e.device_id,
                e.x_m,
                e.y_m,
                building_id=b.building_id,
                floor=1,
                room=Room.LOBBY,
                name=e.name,
                name_en=e.name_en,
            )
        )
    return out


def shed_points(compound_id: str, shed: ChargingShed) -> list[DevicePoint]:
    area = f"{compound_id}-{shed.shed_id}"
    out: list[DevicePoint] = []
    if shed.has_smoke:
        out.append(
            DevicePoint(
                f"{area}-smk",
                PointKind.SMOKE,
                compound_id,
                shed.gateway_id,
                area,
                shed.width_m / 2,
                shed.depth_m / 2,
                room=Room.SHED,
                shed_id=shed.shed_id,
            )
        )
    for charger in shed.chargers:
        # Ports in rows from the charger's corner, PORT_PITCH_M apart, wrapping at the shed wall.
        per_row = max(1, int((shed.width_m - charger.x_m) // PORT_PITCH_M))
        for port in range(1, charger.ports + 1):
            row, col = divmod(port - 1, per_row)
            out.append(
                DevicePoint(
                    f"{compound_id}-{charger.charger_id}-p{port:02d}",
                    PointKind.CHARGING_PORT,
                    compound_id,
                    shed.gateway_id,
                    area,
                    charger.x_m + col * PORT_PITCH_M,
                    charger.y_m + row * PORT_PITCH_M,
                    room=Room.SHED,
                    shed_id=shed.shed_id,
                    port_no=port,
                )
            )
    return out
