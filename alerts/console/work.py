"""Maintenance work orders (维保) and hazards (隐患) as the console shows them (pure views and
one read): their own lists, never the alarm list (GLOSSARY: maintenance is not duty), and a
hazard in the building of a live incident on that incident's card (issue 18.3: a blocked
exit in a burning building is the fire's business)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from alerts.console.places import locate
from alerts.console.scope import Scope
from alerts.hazards.model import OPEN_STATES, Hazard
from alerts.hazards.store import HazardStore
from alerts.hazards.views import hazard_view
from alerts.ledger.db import Database
from alerts.lifecycle import Incident
from alerts.maintenance import WorkOrder
from alerts.registry.registry import Registry
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


def open_hazards(db: Database, scope: Scope) -> list[Hazard]:
    return HazardStore(db).hazards(OPEN_STATES, scope.compound_ids)


def hazard_rows(db: Database, scope: Scope, now: datetime) -> list[dict[str, Any]]:
    """Open hazards in the member's compounds, overdue first, then oldest first."""
    views = [hazard_view(h, now) for h in open_hazards(db, scope)]
    return sorted(views, key=lambda v: (not v["is_overdue"], v["found_at"]))


def hazards_near(inc: Incident, hazards: list[Hazard], now: datetime) -> list[dict[str, Any]]:
    """Open hazards in the incident's building (a building or area incident: the compound's
    hazards without a building are not "near" anything in particular)."""
    if inc.building_id is None:
        return []
    near = [h for h in hazards if h.compound_id == inc.compound_id]
    return [hazard_view(h, now) for h in near if h.building_id == inc.building_id]


class HazardCache:
    """Open hazards for the incident cards, read at most every few seconds."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._store = HazardStore(db)
        self._clock = clock
        self._hazards: list[Hazard] = []
        self._read_at: datetime | None = None

    def near(self, inc: Incident) -> list[dict[str, Any]]:
        now = self._clock.now()
        if self._read_at is None or (now - self._read_at).total_seconds() >= _HAZARDS_TTL_S:
            self._hazards, self._read_at = self._store.hazards(OPEN_STATES), now
        return hazards_near(inc, self._hazards, now)
