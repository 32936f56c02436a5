"""Reading people's forms (pure): text fields in, a validated draft or every problem out.

The page shows all problems at once, each next to its field (WCAG 2.1 §3.3.1, §3.3.3): a
resident on a phone fixes everything in one go instead of discovering one error per submit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from community.errors import Problem
from community.places import CompoundPlace
from events.reports import HazardCategory, ReporterContact, ReportPlace

_PHONE = re.compile(r"^\+?[0-9][0-9 -]{5,19}$")
# field -> longest accepted text (the wire model's limits, events/reports.py)
MAX_LEN = {"unit": 16, "detail": 200, "description": 500, "name": 40, "note": 200}


@dataclass(frozen=True, slots=True)
class ReportDraft:
    category: HazardCategory
    place: ReportPlace
    description: str
    contact: ReporterContact | None


def text(fields: Mapping[str, str], name: str) -> str:
    return " ".join((fields.get(name) or "").split())


def _too_long(fields: Mapping[str, str]) -> list[Problem]:
    return [
        Problem(name, "text_too_long", {"field": name, "max": limit})
        for name, limit in MAX_LEN.items()
        if len(text(fields, name)) > limit
    ]


def read_category(fields: Mapping[str, str]) -> tuple[HazardCategory | None, list[Problem]]:
    try:
        return HazardCategory(fields.get("category", "")), []
    except ValueError:
        return None, [Problem("category", "category_required")]


def read_floor(raw: str, floors: int) -> tuple[int | None, list[Problem]]:
    if raw in ("", "unknown"):
        return None, []
    try:
        floor = int(raw)
    except ValueError:
        return None, [Problem("floor", "floor_invalid")]
    # Basements down to B5; above ground up to the registry's floor count.
    if floor == 0 or floor < -5 or floor > floors:
        return None, [Problem("floor", "floor_invalid")]
    return floor, []


def read_contact(
    fields: Mapping[str, str], now: datetime
) -> tuple[ReporterContact | None, list[Problem]]:
    phone = text(fields, "phone")
    if not phone:
        return None, []
    if not _PHONE.match(phone):
        return None, [Problem("phone", "phone_invalid")]
    if fields.get("consent") != "yes":
        return None, [Problem("consent", "consent_required")]
    name = text(fields, "name")[: MAX_LEN["name"]]
    return ReporterContact(name=name, phone=phone, consent_at=now), []


def read_report(
    fields: Mapping[str, str], compound: CompoundPlace, now: datetime
) -> tuple[ReportDraft | None, list[Problem]]:
    """The resident's report form; the draft only when there is no problem."""
    problems = _too_long(fields)
    category, found = read_category(fields)
    problems += found
    building = compound.building(fields.get("building"))
    floor = None
    if building is None:
        problems.append(Problem("building", "building_unknown"))
    else:
        floor, found = read_floor(fields.get("floor", ""), building.floors)
        problems += found
    contact, found = read_contact(fields, now)
    problems += found
    if problems or category is None or building is None:
        return None, problems
    place = ReportPlace(
        compound_id=compound.compound_id,
        building_id=building.building_id,
        floor=floor,
        unit=text(fields, "unit") or None,
        detail=text(fields, "detail"),
    )
    return ReportDraft(category, place, text(fields, "description"), contact), []
