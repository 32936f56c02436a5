"""Doors during a confirmed fire (GB 55024-2022 §5.3.6; GB 50116 §4.10.3; GB 50016 §6.5.1)."""

from __future__ import annotations

from typing import Any

from events.alerts import AlertKind, LinkageAction, LinkageRequest
from events.readings import DoorType
from streams.detectors.model import Finding, Outcome, Place


def building_on_fire(cs: dict[str, Any], building: str | None) -> bool:
    if building is None:
        return False
    if any(d.get("b") == building and d.get("level") == "alarm" for d in cs["fire"].values()):
        return True
    return building in cs.get("fire_areas", {}).values()


def check_building_doors(
    cs: dict[str, Any], compound: str, building: str | None, t_s: float, *, out: Outcome
) -> None:
    if not building_on_fire(cs, building):
        return
    active: list[str] = cs["active"]
    for door in cs["doors"].values():
        if door.get("b") != building:
            continue
        place = Place(compound, door.get("g"), building, door.get("f"), door.get("a"), door["id"])
        if door["type"] == DoorType.FIRE_DOOR_NC and door["open"]:
            key = f"fire_door|{door['id']}"
            if key not in active:
                active.append(key)
                out.findings.append(
                    Finding(
                        AlertKind.FIRE_DOOR_OPEN_IN_FIRE,
                        door["id"],
                        place,
                        t_s,
                        stage="open in fire",
                        summary=f"fire door {door['id']} open during a fire",
                    )
                )
        elif door["type"] == DoorType.EVACUATION_EXIT and not door["locks"]:
            key = f"evac_locks|{door['id']}"
            if key not in active:
                active.append(key)
                link = (
                    LinkageRequest(
                        action=LinkageAction.RELEASE_LOCKS,
                        device_id=door["id"],
                        gateway_id=door.get("g") or "",
                        reason=f"fire confirmed in building {building}",
                    ),
                )
                out.findings.append(
                    Finding(
                        AlertKind.EVAC_LOCKS_NOT_RELEASED,
                        door["id"],
                        place,
                        t_s,
                        stage="locks engaged in fire",
                        linkage=link,
                        summary=f"evacuation exit {door['id']} still locked "
                        "during a fire: releasing",
                    )
                )
