"""Hazards <-> ledger rows (pure): the hazards table's columns (migration 0006) and the
mapping both ways, shared by the store's writes and the plain reads."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from alerts.hazards.model import Hazard
from events.hazards import EscalationLevel, HazardOwner, HazardSeverity, HazardState
from events.reports import HazardCategory, ReporterContact

COLUMNS = (
    "hazard_id",
    "seq",
    "state",
    "category",
    "severity",
    "compound_id",
    "street_id",
    "building_id",
    "floor",
    "unit",
    "title",
    "description",
    "owner_kind",
    "owner_name",
    "owner_department",
    "assignee",
    "deadline_at",
    "escalation",
    "whistled_department",
    "found_at",
    "rectified_at",
    "closed_at",
    "reporter_contact",
    "report_ids",
    "photo_ids",
    "next_due_at",
)
SELECT = f"SELECT {', '.join(COLUMNS)}, rectified_by FROM hazards"  # noqa: S608 - fixed list


def ts(at: datetime | None) -> float | None:
    return at.timestamp() if at is not None else None


def dt(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None


def utc(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def hazard_values(h: Hazard) -> tuple[Any, ...]:
    owner = h.owner
    contact = h.reporter_contact.model_dump_json() if h.reporter_contact else None
    return (
        h.hazard_id,
        h.seq,
        h.state.value,
        h.category.value,
        h.severity.value if h.severity else None,
        h.compound_id,
        h.street_id,
        h.building_id,
        h.floor,
        h.unit,
        h.title,
        h.description,
        owner.kind.value if owner else None,
        owner.name if owner else None,
        owner.department_id if owner else None,
        h.assignee,
        ts(h.deadline_at),
        h.escalation.value,
        h.whistled_department,
        h.found_at.timestamp(),
        ts(h.rectified_at),
        ts(h.closed_at),
        contact,
        json.dumps(h.report_ids),
        json.dumps(h.photo_ids),
        ts(h.next_due_at),
    )


def hazard_from(r: tuple[Any, ...]) -> Hazard:
    row = dict(zip((*COLUMNS, "rectified_by"), r, strict=True))
    owner = None
    if row["owner_kind"]:
        owner = HazardOwner.model_validate(
            {
                "kind": row["owner_kind"],
                "name": row["owner_name"],
                "department_id": row["owner_department"],
            }
        )
    contact = row["reporter_contact"]
    return Hazard(
        hazard_id=row["hazard_id"],
        seq=int(row["seq"]),
        state=HazardState(row["state"]),
        category=HazardCategory(row["category"]),
        severity=HazardSeverity(row["severity"]) if row["severity"] else None,
        compound_id=row["compound_id"],
        street_id=row["street_id"],
        building_id=row["building_id"],
        floor=int(row["floor"]) if row["floor"] is not None else None,
        unit=row["unit"],
        title=row["title"],
        description=row["description"],
        owner=owner,
        assignee=row["assignee"],
        deadline_at=dt(row["deadline_at"]),
        escalation=EscalationLevel(row["escalation"]),
        whistled_department=row["whistled_department"],
        found_at=utc(row["found_at"]),
        rectified_at=dt(row["rectified_at"]),
        rectified_by=row["rectified_by"],
        closed_at=dt(row["closed_at"]),
        reporter_contact=ReporterContact.model_validate_json(contact) if contact else None,
        report_ids=json.loads(row["report_ids"]),
        photo_ids=json.loads(row["photo_ids"]),
        next_due_at=dt(row["next_due_at"]),
    )
