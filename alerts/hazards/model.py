"""A hazard (隐患) and one change of it, as the pure core keeps them; and the wire form.

A hazard is opened by the first report of a place and category; later reports of the same
open hazard join it (one hazard with many reports, never a storm of duplicates). Every change
is a `HazardChange`: who, what, when, from where, numbered per hazard.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from events.hazards import (
    EscalationLevel,
    HazardAction,
    HazardOwner,
    HazardSeverity,
    HazardState,
    HazardUpdate,
)
from events.reports import HazardCategory, ReporterContact

OPEN_STATES = frozenset(
    {HazardState.FOUND, HazardState.TRIAGED, HazardState.ASSIGNED, HazardState.RECTIFIED}
)
DONE_STATES = frozenset({HazardState.CLOSED, HazardState.DISMISSED})


@dataclass(frozen=True, slots=True)
class HazardChange:
    hazard_id: str
    seq: int
    action: HazardAction
    from_state: HazardState | None
    to_state: HazardState
    actor: str
    at: datetime
    source: str
    detail: str = ""


@dataclass
class Hazard:
    hazard_id: str
    category: HazardCategory
    compound_id: str
    found_at: datetime
    title: str
    description: str = ""
    street_id: str | None = None
    building_id: str | None = None
    floor: int | None = None
    unit: str | None = None
    state: HazardState = HazardState.FOUND
    severity: HazardSeverity | None = None
    owner: HazardOwner | None = None
    assignee: str | None = None
    deadline_at: datetime | None = None
    escalation: EscalationLevel = EscalationLevel.NONE
    whistled_department: str | None = None
    rectified_at: datetime | None = None
    rectified_by: str | None = None
    closed_at: datetime | None = None
    reporter_contact: ReporterContact | None = None
    report_ids: list[str] = field(default_factory=list)
    photo_ids: list[str] = field(default_factory=list)
    seq: int = 0
    next_due_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def same_place(self, building_id: str | None, floor: int | None) -> bool:
        return self.building_id == building_id and self.floor == floor


def to_update(h: Hazard, change: HazardChange) -> HazardUpdate:
    """The wire form of one change (fw.hazards.v1)."""
    return HazardUpdate(
        hazard_id=h.hazard_id,
        seq=change.seq,
        state=h.state,
        category=h.category,
        severity=h.severity,
        compound_id=h.compound_id,
        street_id=h.street_id,
        building_id=h.building_id,
        floor=h.floor,
        unit=h.unit,
        title=h.title,
        report_ids=tuple(h.report_ids),
        photo_ids=tuple(h.photo_ids),
        owner=h.owner,
        assignee=h.assignee,
        deadline_at=h.deadline_at,
        escalation=h.escalation,
        whistled_department=h.whistled_department,
        found_at=h.found_at,
        closed_at=h.closed_at,
        reporter_contact=h.reporter_contact,
        action=change.action,
        from_state=change.from_state,
        actor=change.actor,
        at=change.at,
        source=change.source[:200],
        detail=change.detail[:500],
    )
