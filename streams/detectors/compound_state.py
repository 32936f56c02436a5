"""The compound stage's state: per-device facts from signals, the edges raised, the conditions.

Typed and slotted (it used to be a dict with one-letter keys); serialised to plain JSON for the
changelog table. Low traffic: signals come only when a device's fact changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from streams.conditions import Conditions, conditions_from, conditions_to
from streams.detectors.model import Place, Signal


@dataclass(slots=True)
class DeviceFact:
    """The last fact a device signalled to the compound stage."""

    device_id: str
    place: Place
    at_s: float  # device time of the signal
    event_id: str = ""
    level: str = ""  # detectors: FireLevel (pre_alarm | alarm)
    is_open: bool = False  # doors
    door_type: str = ""  # doors: events.readings.DoorType
    are_locks_released: bool = False  # evacuation exits
    due_s: float | None = None  # silent devices: offline at this time unless explained
    faults: list[str] = field(default_factory=list)  # sensor faults: why detection is degraded
    # Heat rises: [start, end or None] in device time, the last few (streams.detectors.neighbours
    # judges a rise against a fire by their times, whatever order their signals came in).
    spans: list[list[float | None]] = field(default_factory=list)

    @classmethod
    def of(cls, s: Signal) -> DeviceFact:
        return cls(s.device_id, s.place, s.at_s, s.event_id)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "device_id": self.device_id,
            "place": list(self.place),
            "at_s": self.at_s,
            "event_id": self.event_id,
        }
        for name in (
            "level",
            "is_open",
            "door_type",
            "are_locks_released",
            "due_s",
            "faults",
            "spans",
        ):
            value = getattr(self, name)
            if value:
                out[name] = value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DeviceFact:
        return cls(
            device_id=data["device_id"],
            place=Place(*data["place"]),
            at_s=float(data["at_s"]),
            event_id=data.get("event_id", ""),
            level=data.get("level", ""),
            is_open=bool(data.get("is_open", False)),
            door_type=data.get("door_type", ""),
            are_locks_released=bool(data.get("are_locks_released", False)),
            due_s=data.get("due_s"),
            faults=list(data.get("faults", [])),
            spans=[list(span) for span in data.get("spans", [])],
        )


Facts = dict[str, DeviceFact]


@dataclass(slots=True)
class FireArea:
    """An area whose fire two detectors confirmed (GB 50116 §4.1.6), until a person's reset."""

    building_id: str | None
    since_s: float

    def to_dict(self) -> dict[str, Any]:
        return {"building_id": self.building_id, "since_s": self.since_s}


@dataclass(slots=True)
class CompoundState:
    alarmed: Facts = field(default_factory=dict)  # detectors at pre-alarm or alarm
    charging: Facts = field(default_factory=dict)  # ports charging now
    doors: Facts = field(default_factory=dict)  # every door that reported
    silent: Facts = field(default_factory=dict)  # silent devices in the gateway grace
    # Zone logic (streams.detectors.neighbours): heat detectors rising over their baseline,
    # and detectors whose sensor failed (their reasons in DeviceFact.faults).
    heat_rising: Facts = field(default_factory=dict)
    faulty: Facts = field(default_factory=dict)
    gateways_offline: dict[str, float] = field(default_factory=dict)  # id -> since (s)
    # Conditions raised by the compound rules, for edge detection ("fire|area:a1", ...).
    edges: set[str] = field(default_factory=set)
    # "area:<id>" -> its confirmed fire, until a person's reset.
    fire_areas: dict[str, FireArea] = field(default_factory=dict)
    conditions: Conditions = field(default_factory=dict)

    def edge(self, key: str, is_now: bool) -> bool:
        """Record whether the condition `key` holds; True when that changed."""
        was = key in self.edges
        if is_now:
            self.edges.add(key)
        else:
            self.edges.discard(key)
        return was != is_now

    def to_dict(self) -> dict[str, Any]:
        return {
            "alarmed": _facts_to(self.alarmed),
            "charging": _facts_to(self.charging),
            "doors": _facts_to(self.doors),
            "silent": _facts_to(self.silent),
            "heat_rising": _facts_to(self.heat_rising),
            "faulty": _facts_to(self.faulty),
            "gateways_offline": self.gateways_offline,
            "edges": sorted(self.edges),
            "fire_areas": {k: v.to_dict() for k, v in self.fire_areas.items()},
            "conditions": conditions_to(self.conditions),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CompoundState:
        if "alarmed" not in data:
            return cls()  # a v1 record (one-letter keys): start afresh (docs/UPGRADING.md)
        return cls(
            alarmed=_facts_from(data["alarmed"]),
            charging=_facts_from(data["charging"]),
            doors=_facts_from(data["doors"]),
            silent=_facts_from(data["silent"]),
            heat_rising=_facts_from(data.get("heat_rising", {})),
            faulty=_facts_from(data.get("faulty", {})),
            gateways_offline=dict(data["gateways_offline"]),
            edges=set(data["edges"]),
            fire_areas={k: FireArea(**v) for k, v in data["fire_areas"].items()},
            conditions=conditions_from(data["conditions"]),
        )


def _facts_to(facts: Facts) -> dict[str, Any]:
    return {device_id: fact.to_dict() for device_id, fact in facts.items()}


def _facts_from(raw: dict[str, Any]) -> Facts:
    return {device_id: DeviceFact.from_dict(value) for device_id, value in raw.items()}
