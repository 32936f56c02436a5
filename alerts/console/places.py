"""Where an incident is, in words and as a plan focus (pure): "1号楼 3层 2单元 卧室 烟感".

The place is structured (a list of parts) so the page words it in the member's language from
the same catalogue the server uses (`words`). Resolution order: the device's registry point,
then the subject of the incident's lead condition (a device, or `area:` an area's points),
then the building alone.
"""

from __future__ import annotations

from typing import Any

from alerts.console.i18n import text
from alerts.registry.points import DevicePoint
from alerts.registry.registry import Registry

Part = dict[str, Any]


def locate(
    registry: Registry,
    compound_id: str,
    building_id: str | None,
    device_id: str | None,
    condition_key: str,
) -> dict[str, Any]:
    """`condition_key`: the incident's lead condition (compound/building/kind/subject)."""
    compound = registry.compound(compound_id)
    points = _points_of(registry, device_id, condition_key)
    focus: dict[str, Any] = {
        "compound_id": compound_id,
        "building_id": building_id,
        "floor": None,
        "shed_id": None,
        "alarm_ids": [device_id] if device_id else [],
    }
    if points:
        first = points[0]
        floors = {p.floor for p in points}
        focus.update(
            building_id=first.building_id,
            shed_id=first.shed_id,
            floor=first.floor if len(floors) == 1 else None,
            alarm_ids=[p.device_id for p in points],
        )
    parts = _parts(registry, compound_id, building_id, device_id, points)
    return {
        "compound": {
            "id": compound_id,
            "name": compound.name if compound else compound_id,
            "name_en": compound.name_en if compound else compound_id,
            "timezone": compound.timezone if compound else "Asia/Shanghai",
        },
        "parts": parts,
        "focus": focus,
    }


def _points_of(registry: Registry, device_id: str | None, condition_key: str) -> list[DevicePoint]:
    point = registry.device_point(device_id)
    if point is not None:
        return [point]
    subject = condition_key.split("/", 3)[-1]
    if subject.startswith("area:"):
        return registry.area_points(subject.removeprefix("area:"))
    point = registry.device_point(subject)
    return [point] if point is not None else []


def _parts(
    registry: Registry,
    compound_id: str,
    building_id: str | None,
    device_id: str | None,
    points: list[DevicePoint],
) -> list[Part]:
    compound = registry.compound(compound_id)
    if not points:
        building = compound.building(building_id) if compound else None
        parts: list[Part] = []
        if building is not None:
            parts.append({"t": "building", "name": building.name, "name_en": building.name_en})
        elif building_id:
            parts.append({"t": "building", "name": building_id, "name_en": building_id})
        if device_id:
            parts.append({"t": "device", "id": device_id})
        return parts
    first = points[0]
    parts = []
    building = compound.building(first.building_id) if compound else None
    shed = compound.shed(first.shed_id) if compound else None
    if building is not None:
        parts.append({"t": "building", "name": building.name, "name_en": building.name_en})
    if shed is not None:
        parts.append({"t": "shed", "name": shed.name, "name_en": shed.name_en})
    # An area holds several devices: its place ends where they stop agreeing.
    for key, part in (("floor", "floor"), ("unit", "unit")):
        values = {getattr(p, key) for p in points}
        if len(values) == 1 and None not in values:
            parts.append({"t": part, "n": values.pop()})
    if len(points) == 1:
        parts += _point_parts(first)
    elif len({p.room for p in points}) == 1 and first.room is not None:
        parts.append({"t": "room", "room": first.room.value})
    return parts


def _point_parts(point: DevicePoint) -> list[Part]:
    parts: list[Part] = []
    if point.name:
        parts.append({"t": "named", "name": point.name, "name_en": point.name_en or point.name})
    elif point.room is not None:
        parts.append({"t": "room", "room": point.room.value})
    if point.port_no is not None:
        parts.append({"t": "port", "n": point.port_no})
    else:
        parts.append({"t": "point", "kind": point.kind.value})
    return parts


def words(parts: list[Part], lang: str) -> str:
    """The place in words, the way the page writes it (static/i18n.js placeWords)."""
    out = []
    for part in parts:
        kind = part["t"]
        if kind in ("building", "shed", "named"):
            word = part["name_en"] if lang == "en" and part.get("name_en") else part["name"]
        elif kind in ("floor", "unit", "port"):
            word = text(lang, f"place.{kind}", n=part["n"])
        elif kind == "room":
            word = text(lang, f"room.{part['room']}")
        elif kind == "point":
            word = text(lang, f"point.{part['kind']}")
        else:
            word = text(lang, "place.device", id=part["id"])
        if word:
            out.append(str(word))
    return text(lang, "place.join").join(out)
