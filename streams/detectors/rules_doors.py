"""Doors during a fire: the read-back of the fire linkage, door by door.

While a building is on fire, every normally-closed fire door must be shut (GB 50016-2014
§6.5.1; its state is fed back, GB 50116 §4.6.1) and every evacuation exit released (GB
55024-2022 §5.3.6, GB 50116 §4.10.3). A door in the unsafe state raises its condition; the
condition clears when the door reports the safe state or the fire is over. Dispatch turns these
into task states on the building's fire incident (close the fire door, release the exit).
"""

from __future__ import annotations

from events.alerts import AlertKind, LinkageAction, LinkageRequest
from events.readings import DoorType
from streams.detectors.compound_state import CompoundState, DeviceFact
from streams.detectors.model import Finding, FireLevel, Outcome


def fire_since_s(cs: CompoundState, building: str | None) -> float | None:
    """Since when the building is on fire (a detector at alarm level or an area fire
    confirmed by two detectors); None when it is not."""
    if building is None:
        return None
    times = [
        d.at_s
        for d in cs.alarmed.values()
        if d.place.building_id == building and d.level == FireLevel.ALARM.value
    ]
    times += [a.since_s for a in cs.fire_areas.values() if a.building_id == building]
    return min(times, default=None)


_EDGES = ("fire_door|", "evac_locks|")


def check_building_doors(
    cs: CompoundState,
    compound: str,
    building: str | None,
    *,
    out: Outcome,
    at_s: float | None = None,
    only: DeviceFact | None = None,
) -> None:
    """Raise or clear the door conditions of the building: every door's, or `only` this
    door's (it alone changed). `at_s` dates the clears of a fire that is over (else each
    door's own last report). Cheap when nothing burns: door toggles are the compound stage's
    busiest traffic, and a building without fire and without raised door conditions is done
    before looking at any door."""
    if building is None:
        return
    if not (cs.alarmed or cs.fire_areas or any(e.startswith(_EDGES) for e in cs.edges)):
        return  # the usual case: no smoke anywhere in the compound, no door raised
    since_s = fire_since_s(cs, building)
    if since_s is None and not any(e.startswith(_EDGES) for e in cs.edges):
        return
    doors = (only,) if only is not None else cs.doors.values()
    for door in doors:
        if door.place.building_id != building or door.place.compound_id != compound:
            continue
        if door.door_type == DoorType.FIRE_DOOR_NC.value:
            _fire_door(cs, door, since_s, at_s, out=out)
        elif door.door_type == DoorType.EVACUATION_EXIT.value:
            _exit(cs, door, since_s, at_s, out=out)


def _when(door: DeviceFact, since_s: float | None, at_s: float | None) -> float:
    # Unsafe in a fire holds from the later of the fire and the door's own report; a clear is
    # dated by the door's report (or by `at_s` when the fire ended, not the door).
    if since_s is None:
        return at_s if at_s is not None else door.at_s
    return max(door.at_s, since_s)


def _fire_door(
    cs: CompoundState, door: DeviceFact, since_s: float | None, at_s: float | None, *, out: Outcome
) -> None:
    is_unsafe = since_s is not None and door.is_open
    if not cs.edge(f"fire_door|{door.device_id}", is_unsafe):
        return
    out.findings.append(
        Finding(
            AlertKind.FIRE_DOOR_OPEN_IN_FIRE,
            door.device_id,
            door.place,
            _when(door, since_s, at_s),
            is_active=is_unsafe,
            stage="open in fire" if is_unsafe else "closed",
            summary=f"fire door {door.device_id} "
            + ("open during a fire" if is_unsafe else "closed"),
        )
    )


def _exit(
    cs: CompoundState, door: DeviceFact, since_s: float | None, at_s: float | None, *, out: Outcome
) -> None:
    is_unsafe = since_s is not None and not door.are_locks_released
    if not cs.edge(f"evac_locks|{door.device_id}", is_unsafe):
        return
    building = door.place.building_id
    link = (
        LinkageRequest(
            action=LinkageAction.RELEASE_LOCKS,
            device_id=door.device_id,
            gateway_id=door.place.gateway_id or "",
            reason=f"fire in building {building}",
        ),
    )
    out.findings.append(
        Finding(
            AlertKind.EVAC_LOCKS_NOT_RELEASED,
            door.device_id,
            door.place,
            _when(door, since_s, at_s),
            is_active=is_unsafe,
            stage="locks engaged in fire" if is_unsafe else "released",
            linkage=link if is_unsafe else (),
            summary=f"evacuation exit {door.device_id} "
            + ("still locked during a fire: releasing" if is_unsafe else "released"),
        )
    )
