"""Maintenance work orders (维保) and hazards (隐患) as the console shows them (pure views and
one read): their own lists, never the alarm list (GLOSSARY: maintenance is not duty), and a
hazard in the building of a live incident on that incident's card (issue 18.3: a blocked
exit in a burning building is the fire's business)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from alerts.console.i18n import text
from alerts.console.places import locate
from alerts.console.scope import Scope
from alerts.hazards.model import OPEN_STATES, Hazard
from alerts.hazards.store import HazardStore
from alerts.hazards.views import hazard_view
from alerts.ledger.db import Database
from alerts.lifecycle import Incident
from alerts.maintenance import WorkOrder
from alerts.registry.registry import Registry
from events.hazards import HazardState
from runtime.clock import Clock

# Hazards change by the hour, incidents by the second: a stream of card updates reads the
# hazards table at most this often.
_HAZARDS_TTL_S = 5.0


def work_order_view(w: WorkOrder, registry: Registry, now: datetime) -> dict[str, Any]:
    place = locate(registry, w.compound_id, w.building_id, w.device_id, w.condition_key)
    return {
        "order_id": w.order_id,
        "kind": w.kind.value,
        "state": w.state.value,
        "is_open": w.is_open,
        # DOMAIN.md §2: a work order within 24 h; past its due time it is overdue.
        "is_overdue": w.is_open and now >= w.due_at,
        "place": place,
        "device_id": w.device_id or w.gateway_id,
        "summary": w.summary,
        "opened_at": w.opened_at.isoformat(),
        "due_at": w.due_at.isoformat(),
        "done_at": w.done_at.isoformat() if w.done_at else None,
        "occurrences": w.occurrences,
        "acknowledged_by": w.acknowledged_by,
        "acknowledged_at": w.acknowledged_at.isoformat() if w.acknowledged_at else None,
        "done_by": w.done_by,
    }


# The console's list: open hazards, and re-inspected ones until someone closes them (销号).
_LISTED = OPEN_STATES | {HazardState.REINSPECTED}


def open_hazards(db: Database, scope: Scope) -> list[Hazard]:
    return HazardStore(db).hazards(_LISTED, scope.compound_ids)


def hazard_rows(
    db: Database, registry: Registry, scope: Scope, now: datetime
) -> list[dict[str, Any]]:
    """Open hazards in the member's compounds, overdue first, then oldest first."""
    views = [console_hazard(h, registry, now) for h in open_hazards(db, scope)]
    return sorted(views, key=lambda v: (not v["is_overdue"], v["found_at"]))


def console_hazard(h: Hazard, registry: Registry, now: datetime) -> dict[str, Any]:
    """The desk's view plus what a person reads: the place and the assignee in words."""
    view = hazard_view(h, now)
    where = (h.compound_id, h.building_id, h.floor, h.unit)
    view["place_zh"] = hazard_place(registry, *where, "zh-CN")
    view["place_en"] = hazard_place(registry, *where, "en")
    member = registry.member(h.assignee) if h.assignee else None
    view["assignee_name"] = member.name if member else h.assignee
    return view


def hazards_near(
    inc: Incident, hazards: list[Hazard], registry: Registry, now: datetime
) -> list[dict[str, Any]]:
    """Open hazards in the incident's building (a building or area incident: the compound's
    hazards without a building are not "near" anything in particular)."""
    if inc.building_id is None:
        return []
    near = [h for h in hazards if h.compound_id == inc.compound_id]
    return [console_hazard(h, registry, now) for h in near if h.building_id == inc.building_id]


def hazard_place(  # noqa: PLR0917 - the hazard's place fields, as stored
    registry: Registry,
    compound_id: str,
    building_id: str | None,
    floor: int | None,
    unit: str | None,
    lang: str,
) -> str:
    compound = registry.compound(compound_id)
    building = compound.building(building_id) if compound and building_id else None
    out: list[Any] = []
    if building is not None:
        out.append(building.name_en if lang == "en" else building.name)
    elif building_id:
        out.append(building_id)
    if floor is not None:
        out.append(text(lang, "place.floor", n=floor))
    if unit:
        out.append(text(lang, "place.unit", n=unit))
    return text(lang, "place.join").join(str(p) for p in out)


class HazardCache:
    """Open hazards for the incident cards, read at most every few seconds."""

    def __init__(self, db: Database, registry: Registry, clock: Clock) -> None:
        self._store = HazardStore(db)
        self._registry = registry
        self._clock = clock
        self._hazards: list[Hazard] = []
        self._read_at: datetime | None = None

    def near(self, inc: Incident) -> list[dict[str, Any]]:
        now = self._clock.now()
        if self._read_at is None or (now - self._read_at).total_seconds() >= _HAZARDS_TTL_S:
            self._hazards, self._read_at = self._store.hazards(OPEN_STATES), now
        return hazards_near(inc, self._hazards, self._registry, now)
