"""What people see of hazards (pure): the view model the hazard API serves and the duty
console will show in its own list (phase 2), and who may see and do what.

Scope follows the ladder (DOMAIN.md §2): a compound's control room and grid worker see their
compound, a station its compounds, the street office every compound of the street.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from alerts.hazards.model import Hazard, HazardChange
from alerts.registry.models import Role
from alerts.registry.registry import Registry
from events.hazards import HazardAction
from events.reports import CATEGORY_LABELS

A = HazardAction
# Who may take which step. Rectify is recorded by whoever saw it done on behalf of the owner;
# the core refuses a re-inspection by the rectifier.
_DESK = frozenset({Role.STREET_OFFICER, Role.CONTROL_ROOM, Role.GRID_WORKER, Role.CHIEF})
_FIELD = _DESK | {Role.MEMBER}
_ALLOWED: dict[HazardAction, frozenset[Role]] = {
    A.TRIAGE: _DESK,
    A.DISMISS: _DESK,
    A.ASSIGN: _DESK,
    A.CLOSE: _DESK,
    A.REOPEN: _DESK,
    A.RECTIFY: _FIELD,
    A.REINSPECT: _FIELD,
    A.REJECT: _FIELD,
}


@dataclass(frozen=True, slots=True)
class Viewer:
    member_id: str
    role: Role
    compound_ids: frozenset[str]

    def sees(self, h: Hazard) -> bool:
        return h.compound_id in self.compound_ids

    def may(self, action: HazardAction) -> bool:
        return self.role in _ALLOWED.get(action, frozenset())


def viewer_of(registry: Registry, member_id: str) -> Viewer | None:
    member = registry.member(member_id)
    home = registry.home_of(member_id)
    if member is None or home is None:
        return None
    kind, ident = home
    if kind == "compound":
        compounds = frozenset({ident})
    elif kind == "station":
        compounds = frozenset(registry.station(ident).compounds)
    else:
        compounds = frozenset(c.compound_id for c in registry.compounds if c.street_id == ident)
    return Viewer(member_id, member.role, compounds)


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def hazard_view(h: Hazard, now: datetime) -> dict[str, Any]:
    zh, en = CATEGORY_LABELS[h.category]
    is_overdue = h.deadline_at is not None and h.is_open and h.rectified_at is None
    return {
        "hazard_id": h.hazard_id,
        "state": h.state.value,
        "category": h.category.value,
        "category_zh": zh,
        "category_en": en,
        "severity": h.severity.value if h.severity else None,
        "title": h.title,
        "description": h.description,
        "compound_id": h.compound_id,
        "street_id": h.street_id,
        "building_id": h.building_id,
        "floor": h.floor,
        "unit": h.unit,
        "owner": h.owner.model_dump(mode="json") if h.owner else None,
        "assignee": h.assignee,
        "deadline_at": _iso(h.deadline_at),
        "is_overdue": bool(is_overdue and h.deadline_at is not None and h.deadline_at <= now),
        "escalation": h.escalation.value,
        "whistled_department": h.whistled_department,
        "found_at": h.found_at.isoformat(),
        "rectified_at": _iso(h.rectified_at),
        "closed_at": _iso(h.closed_at),
        "report_ids": list(h.report_ids),
        "photo_ids": list(h.photo_ids),
        "has_contact": h.reporter_contact is not None,
    }


def change_view(c: HazardChange) -> dict[str, Any]:
    return {
        "seq": c.seq,
        "action": c.action.value,
        "from_state": c.from_state.value if c.from_state else None,
        "to_state": c.to_state.value,
        "actor": c.actor,
        "at": c.at.isoformat(),
        "source": c.source,
        "detail": c.detail,
    }
