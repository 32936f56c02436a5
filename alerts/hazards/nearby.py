"""Hazards near an active incident (pure): what the crew should know before they go in.

Issue #18 item 3: "a hazard near an active incident (a blocked exit in a burning building)
shows on that incident". Near means the same compound and the same building; an incident with
no building (a charging shed, a yard) is near the compound's hazards that have no building
either (a blocked fire lane, a missing hydrant in the yard). Only open hazards count: a closed
or dismissed one was checked and is gone; a rectified one not yet re-inspected still shows,
marked, because nobody has seen it gone yet.

Order: what bears on getting people out first (消防法 §28: 疏散通道、安全出口 must stay clear;
GB 50016 §5.5), then where people may be asleep among goods (仓住合一), then what firefighters
need (hydrants, extinguishers), then ignition sources; within a category, major before general,
oldest first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from alerts.hazards.model import Hazard
from events.hazards import HazardSeverity, HazardState
from events.reports import CATEGORY_LABELS, HazardCategory

_CATEGORY_RANK: dict[HazardCategory, int] = {
    HazardCategory.BLOCKED_ROUTE: 0,  # the way out
    HazardCategory.EBIKE_INDOORS: 1,  # stairwells: the way out, and a fuel load in it
    HazardCategory.MIXED_USE: 2,  # people sleeping where goods burn: search and rescue
    HazardCategory.FIRE_EQUIPMENT: 3,  # hydrant or extinguisher missing: bring your own
    HazardCategory.FLYING_WIRE: 4,  # ignition source, live wires for the crew
    HazardCategory.OTHER: 5,
}
# Categories the console flags as "exits and evacuation" (疏散).
EVACUATION = frozenset({HazardCategory.BLOCKED_ROUTE, HazardCategory.EBIKE_INDOORS})


class IncidentPlaceLike(Protocol):
    """What `hazards_near` reads of an incident: alerts.lifecycle.Incident, the console's
    view of one or events.incidents.IncidentPlace all have these."""

    @property
    def compound_id(self) -> str: ...

    @property
    def building_id(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class HazardView:
    """One hazard as an incident card shows it (labels in zh-CN and en; times UTC)."""

    hazard_id: str
    category: HazardCategory
    category_zh: str
    category_en: str
    is_evacuation: bool
    severity: HazardSeverity | None
    state: HazardState
    title: str
    compound_id: str
    building_id: str | None
    floor: int | None
    unit: str | None
    found_at: datetime
    deadline_at: datetime | None
    is_overdue: bool
    awaits_reinspection: bool  # rectified, nobody has seen it gone yet

    def as_dict(self) -> dict[str, Any]:
        return {
            "hazard_id": self.hazard_id,
            "category": self.category.value,
            "category_zh": self.category_zh,
            "category_en": self.category_en,
            "is_evacuation": self.is_evacuation,
            "severity": self.severity.value if self.severity else None,
            "state": self.state.value,
            "title": self.title,
            "compound_id": self.compound_id,
            "building_id": self.building_id,
            "floor": self.floor,
            "unit": self.unit,
            "found_at": self.found_at.isoformat(),
            "deadline_at": self.deadline_at.isoformat() if self.deadline_at else None,
            "is_overdue": self.is_overdue,
            "awaits_reinspection": self.awaits_reinspection,
        }


def hazards_near(
    incident: IncidentPlaceLike, hazards: Iterable[Hazard], now: datetime
) -> list[HazardView]:
    """The open hazards of `hazards` near `incident`, most urgent for the crew first."""
    near = [h for h in hazards if h.is_open and is_near(incident, h)]
    near.sort(key=_urgency)
    return [view_of(h, now) for h in near]


def is_near(incident: IncidentPlaceLike, h: Hazard) -> bool:
    return h.compound_id == incident.compound_id and h.building_id == incident.building_id


def view_of(h: Hazard, now: datetime) -> HazardView:
    zh, en = CATEGORY_LABELS[h.category]
    return HazardView(
        hazard_id=h.hazard_id,
        category=h.category,
        category_zh=zh,
        category_en=en,
        is_evacuation=h.category in EVACUATION,
        severity=h.severity,
        state=h.state,
        title=h.title,
        compound_id=h.compound_id,
        building_id=h.building_id,
        floor=h.floor,
        unit=h.unit,
        found_at=h.found_at,
        deadline_at=h.deadline_at,
        is_overdue=h.rectified_at is None and h.deadline_at is not None and h.deadline_at <= now,
        awaits_reinspection=h.state is HazardState.RECTIFIED,
    )


def _urgency(h: Hazard) -> tuple[int, int, datetime]:
    is_general = h.severity is not HazardSeverity.MAJOR
    return (_CATEGORY_RANK[h.category], int(is_general), h.found_at)


__all__ = ["EVACUATION", "HazardView", "hazards_near", "is_near", "view_of"]
