"""Site plan and floor plans as drawing data (pure), straight from the registry.

The page draws them as SVG (static/plan.js); the server only says what is where, in metres
(x east, y north). The route is the way a responder takes to the alarm: on the site plan from
the nearest gate to the building's nearest exit (or the shed), on a floor from the stairs (the
ground floor: from the nearest exit) along the corridor to the device point.
"""

from __future__ import annotations

import math
from typing import Any

from alerts.registry.models import Building, Compound
from alerts.registry.places import ChargingShed, Rect
from alerts.registry.points import DevicePoint, building_points, shed_points

Point = tuple[float, float]


def site_plan(compound: Compound, building_id: str | None, shed_id: str | None) -> dict[str, Any]:
    return {
        "compound_id": compound.compound_id,
        "name": compound.name,
        "name_en": compound.name_en,
        "width_m": compound.width_m,
        "depth_m": compound.depth_m,
        "buildings": [
            {
                **_rect(b),
                "building_id": b.building_id,
                "name": b.name,
                "name_en": b.name_en,
                "floors": b.floors,
            }
            for b in compound.buildings
        ],
        "sheds": [
            {**_rect(s), "shed_id": s.shed_id, "name": s.name, "name_en": s.name_en}
            for s in compound.charging_sheds
        ],
        "gates": [
            {
                "device_id": g.device_id,
                "name": g.name,
                "name_en": g.name_en,
                "x_m": g.x_m,
                "y_m": g.y_m,
            }
            for g in compound.gates
        ],
        "route": site_route(compound, building_id, shed_id),
    }


def site_route(compound: Compound, building_id: str | None, shed_id: str | None) -> list[Point]:
    target: Point | None = None
    building, shed = compound.building(building_id), compound.shed(shed_id)
    if building is not None:
        doors = [(building.x_m + e.x_m, building.y_m + e.y_m) for e in building.exits]
        target = _nearest(doors, _centre(building)) if doors else _centre(building)
    elif shed is not None:
        target = shed.centre
    gates = [(g.x_m, g.y_m) for g in compound.gates]
    if target is None or not gates:
        return []
    return [_nearest(gates, target), target]


def building_plan(
    compound_id: str, building: Building, floor: int, alarm_ids: frozenset[str]
) -> dict[str, Any]:
    plan = building.floor_plan
    points = [p for p in building_points(compound_id, building) if p.floor == floor]
    target = next((p for p in points if p.device_id in alarm_ids), None)
    exits = [p for p in points if p.room is not None and p.name]
    return {
        "kind": "building",
        "id": building.building_id,
        "name": building.name,
        "name_en": building.name_en,
        "floor": floor,
        "floors": building.floors,
        "width_m": building.width_m,
        "depth_m": building.depth_m,
        "units": [{**_rect(u), "unit": u.unit} for u in plan.units] if plan else [],
        "corridor": _rect(plan.corridor) if plan and plan.corridor else None,
        "stairs": [_rect(s) for s in plan.stairs] if plan else [],
        "points": [_point(p) for p in points],
        "route": floor_route(building, floor, target, exits) if target else [],
        "has_svg": bool(plan and plan.svg),
    }


def shed_plan(compound_id: str, shed: ChargingShed) -> dict[str, Any]:
    points = shed_points(compound_id, shed)
    return {
        "kind": "shed",
        "id": shed.shed_id,
        "name": shed.name,
        "name_en": shed.name_en,
        "floor": None,
        "floors": 1,
        "width_m": shed.width_m,
        "depth_m": shed.depth_m,
        "units": [],
        "corridor": None,
        "stairs": [],
        "points": [_point(p) for p in points],
        "route": [],
        "has_svg": False,
    }


def floor_route(
    building: Building, floor: int, target: DevicePoint, exits: list[DevicePoint]
) -> list[Point]:
    plan = building.floor_plan
    goal = (target.x_m, target.y_m)
    starts = [(e.x_m, e.y_m) for e in exits] if floor == 1 and exits else []
    starts = starts or [s.centre for s in (plan.stairs if plan else ())]
    if not starts:
        return []
    start = _nearest(starts, goal)
    corridor = plan.corridor if plan else None
    if corridor is None:
        return [start, goal]
    return [start, *_along(corridor, start, goal), goal]


def _along(corridor: Rect, start: Point, goal: Point) -> list[Point]:
    """Enter the corridor at the start, walk its centre line, leave it facing the goal."""
    x0, y0 = corridor.x_m, corridor.y_m
    x1, y1 = x0 + corridor.width_m, y0 + corridor.depth_m
    if corridor.width_m >= corridor.depth_m:
        mid = (y0 + y1) / 2
        return [(_clamp(start[0], x0, x1), mid), (_clamp(goal[0], x0, x1), mid)]
    mid = (x0 + x1) / 2
    return [(mid, _clamp(start[1], y0, y1)), (mid, _clamp(goal[1], y0, y1))]


def _point(p: DevicePoint) -> dict[str, Any]:
    return {
        "device_id": p.device_id,
        "kind": p.kind.value,
        "x_m": p.x_m,
        "y_m": p.y_m,
        "unit": p.unit,
        "room": p.room.value if p.room else None,
        "name": p.name,
        "name_en": p.name_en,
        "port_no": p.port_no,
    }


def _rect(r: Rect | Building) -> dict[str, float]:
    return {"x_m": r.x_m, "y_m": r.y_m, "width_m": r.width_m, "depth_m": r.depth_m}


def _centre(b: Building) -> Point:
    return (b.x_m + b.width_m / 2, b.y_m + b.depth_m / 2)


def _nearest(points: list[Point], to: Point) -> Point:
    return min(points, key=lambda p: math.dist(p, to))


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))
