"""Doors: fire door held open (warning, then fault), forced open; facts for the fire rules.

Sources (DOMAIN.md §5): GB 50016-2014 §6.5.1 (normally-closed fire doors stay closed), vendor
defaults 10-30 s to alarm and about 1 min = fault, GB 51348-2019 §14.4 (forced open in real time).
"""

from __future__ import annotations

from events.alerts import AlertKind, Evidence
from events.readings import DoorEvent, DoorEventType, DoorType
from streams.detectors.config import DoorSettings
from streams.detectors.model import Finding, Outcome, Place, Signal, SignalKind, evidence
from streams.detectors.state import DeviceState

_OPEN_EVENTS = frozenset({DoorEventType.OPENED, DoorEventType.FORCED, DoorEventType.HELD_OPEN})
_RULE_DOORS = frozenset({DoorType.FIRE_DOOR_NC, DoorType.EVACUATION_EXIT})

# Enum members read for every reading, held as module constants: on Python 3.11 a class
# attribute of an Enum goes through EnumType.__getattr__'s slot hook (~150 ns a lookup, a
# global ~20 ns; docs/PERFORMANCE.md, "Worker", third pass).
_FORCED_EVENT, _FORCED = DoorEventType.FORCED, AlertKind.DOOR_FORCED
_FIRE_DOOR, _HELD_OPEN = DoorType.FIRE_DOOR_NC, AlertKind.DOOR_HELD_OPEN


def detect_door(
    state: DeviceState, r: DoorEvent, place: Place, obs_s: float, now_s: float, *, out: Outcome
) -> None:
    """`now_s` is the worker clock: the held-open deadline runs on it (a timer checks it)."""
    is_open = r.is_open or r.event in _OPEN_EVENTS

    def ev() -> tuple[Evidence, ...]:  # built only for a finding: this runs for every event
        return evidence(r.event_id, r.device_id, obs_s, event=r.event.value, is_open=is_open)

    if r.event is _FORCED_EVENT and state.set_active(_FORCED, True):
        out.findings.append(
            Finding(
                AlertKind.DOOR_FORCED,
                r.device_id,
                place,
                obs_s,
                stage="forced",
                summary=f"door {r.device_id} forced open",
                evidence=ev(),
            )
        )
    if not is_open and state.set_active(_FORCED, False):
        out.findings.append(
            Finding(
                AlertKind.DOOR_FORCED,
                r.device_id,
                place,
                obs_s,
                is_active=False,
                stage="closed",
                summary="door closed",
                evidence=ev(),
            )
        )
    was_open = state.door_open_since_s is not None
    is_first = state.door_type == ""
    state.door_type = r.door_type.value
    if r.door_type is _FIRE_DOOR:
        if is_open and not was_open:
            state.door_open_since_s = now_s
        elif not is_open and was_open:
            state.door_open_since_s = None
            state.door_stage = ""
            if state.set_active(_HELD_OPEN, False):
                out.findings.append(
                    Finding(
                        AlertKind.DOOR_HELD_OPEN,
                        r.device_id,
                        place,
                        obs_s,
                        is_active=False,
                        stage="closed",
                        summary="fire door closed",
                        evidence=ev(),
                    )
                )
    elif is_open != was_open:
        state.door_open_since_s = now_s if is_open else None
    locks = r.are_locks_released
    if r.door_type not in _RULE_DOORS:
        return  # the compound's fire rules look at fire doors and evacuation exits only
    if is_first or is_open != was_open or locks != state.are_locks_released:
        state.are_locks_released = locks
        out.signals.append(
            Signal(
                SignalKind.DOOR,
                r.device_id,
                place,
                obs_s,
                r.event_id,
                flag=is_open,
                level=r.door_type.value,
                is_locks_released=locks,
            )
        )
        out.is_significant = True


def check_held_open(
    state: DeviceState, cfg: DoorSettings, place: Place, now_s: float, *, out: Outcome
) -> None:
    """Timer side: a fire door open past the warning, then the fault deadline."""
    since = state.door_open_since_s
    if since is None or state.door_type != DoorType.FIRE_DOOR_NC:
        return
    open_s = now_s - since
    if open_s >= cfg.held_open_fault_s and state.door_stage != "fault":
        stage, summary = "fault", f"fire door open {open_s:.0f} s: fault"
    elif open_s >= cfg.held_open_warning_s and state.door_stage == "":
        stage, summary = "warning", f"fire door open {open_s:.0f} s"
    else:
        return
    state.door_stage = stage
    state.set_active(AlertKind.DOOR_HELD_OPEN, True)
    out.findings.append(
        Finding(
            AlertKind.DOOR_HELD_OPEN, state.device_id, place, now_s, stage=stage, summary=summary
        )
    )
    out.is_significant = True
