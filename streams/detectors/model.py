"""What detectors say: findings (alert decisions) and signals (facts for the compound stage).

A Finding is an incident-level decision: "this condition holds (or ended) for this subject".
The incident manager turns findings into alert revisions. Signals carry per-device facts that
need other devices to mean something (two detectors in one area, a fire and a door), to the
stage keyed by compound. Both are plain dataclasses: cheap to build on the hot path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, NamedTuple

from events.alerts import AlertKind, Evidence, LinkageRequest, Severity


def to_datetime(epoch_s: float) -> datetime:
    return datetime.fromtimestamp(epoch_s, tz=UTC)


class Place(NamedTuple):
    """Where a device or an area is: what an alert shows the duty member. A NamedTuple: one
    is built for every reading, at a third of a frozen dataclass's cost."""

    compound_id: str
    gateway_id: str | None = None
    building_id: str | None = None
    floor: int | None = None
    area_id: str | None = None
    device_id: str | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """A condition that holds (`is_active`) or ended for one subject (device or area).

    `stage` names the step within the kind ("pre_alarm", "fault", "confirmed by CO"): a new
    stage is news for the incident; the same stage with more readings is not.
    """

    kind: AlertKind
    subject: str
    place: Place
    at_s: float
    is_active: bool = True
    severity: Severity | None = None  # None = DEFAULT_SEVERITY of the kind
    stage: str = ""
    summary: str = ""
    evidence: tuple[Evidence, ...] = ()
    linkage: tuple[LinkageRequest, ...] = ()


def evidence(
    event_id: str, device_id: str, observed_s: float, **summary: Any
) -> tuple[Evidence, ...]:
    return (
        Evidence(
            event_id=event_id,
            device_id=device_id,
            observed_at=to_datetime(observed_s),
            summary=summary,
        ),
    )


class SignalKind(StrEnum):
    FIRE_LEVEL = "fire_level"  # level: none | pre_alarm | alarm
    PORT = "port"  # flag: charging
    DOOR = "door"  # flag: open; level: door type; extra: locks released
    SILENCE = "silence"  # flag: silent
    GATEWAY = "gateway"  # flag: offline
    HEAT_RISE = "heat_rise"  # flag: rising over its baseline (confirms next to a fire)
    FAULT = "fault"  # flag: detection degraded; level: the reason (stuck, jump, out_of_range)


class FireLevel(StrEnum):
    NONE = "none"
    PRE_ALARM = "pre_alarm"
    ALARM = "alarm"


@dataclass(frozen=True, slots=True)
class Signal:
    """A per-device fact for the compound stage, emitted only when it changes."""

    kind: SignalKind
    device_id: str
    place: Place
    at_s: float
    event_id: str = ""
    flag: bool = False
    level: str = ""
    is_locks_released: bool = False
    is_gateway: bool = False

    def to_dict(self) -> dict[str, Any]:
        place = self.place
        return {
            "kind": self.kind.value,
            "device_id": self.device_id,
            "compound_id": place.compound_id,
            "gateway_id": place.gateway_id,
            "building_id": place.building_id,
            "floor": place.floor,
            "area_id": place.area_id,
            "at_s": self.at_s,
            "event_id": self.event_id,
            "flag": self.flag,
            "level": self.level,
            "locks": self.is_locks_released,
            "is_gateway": self.is_gateway,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Signal:
        get = data.get
        device_id = data["device_id"]
        place = Place(
            data["compound_id"],
            get("gateway_id"),
            get("building_id"),
            get("floor"),
            get("area_id"),
            device_id,
        )
        kind = data["kind"]
        # A dict lookup, not the enum's call (about 1 us, for every signal); an unknown kind
        # still raises the enum's ValueError.
        return cls(
            _SIGNAL_KINDS.get(kind) or SignalKind(kind),
            device_id,
            place,
            float(data["at_s"]),
            get("event_id", ""),
            bool(get("flag", False)),
            get("level", ""),
            bool(get("locks", False)),
            bool(get("is_gateway", False)),
        )


_SIGNAL_KINDS: dict[Any, SignalKind] = {kind.value: kind for kind in SignalKind}


@dataclass(slots=True)
class Outcome:
    """What one reading or one tick produced."""

    findings: list[Finding] = field(default_factory=list)
    signals: list[Signal] = field(default_factory=list)
    # True when the state changed in a way a restart must not forget (alarm stages,
    # deadlines started): the adapter mirrors the state to the changelog at once.
    is_significant: bool = False
