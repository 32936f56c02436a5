"""The 台账's sheets beside the incidents (issue 11.8, issue 18.4): maintenance work orders
(维保), hazards (隐患) and patrol check-ins (巡查), each scoped to the member's compounds and
the export's dates. Read over the console's own connection from the one ledger."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from alerts.console.export import Sheet, local
from alerts.console.i18n import text
from alerts.console.records import (
    INCIDENT_HEADERS,
    MAX_EXPORT,
    Filters,
    closed_incidents,
    incident_row,
    transitions_of,
)
from alerts.console.scope import Scope
from alerts.console.work import hazard_place
from alerts.hazards.store import HazardStore
from alerts.ledger import queries
from alerts.ledger.db import Database
from alerts.registry.registry import Registry
from events.reports import CATEGORY_LABELS

WORK_ORDER_HEADERS = (
    "export.col.opened",
    "export.col.compound",
    "export.col.device",
    "export.col.kind",
    "export.col.due",
    "export.col.state",
    "export.col.acknowledged_by",
    "export.col.done",
    "export.col.done_by",
    "export.col.summary",
)
HAZARD_HEADERS = (
    "export.col.found",
    "export.col.compound",
    "export.col.place",
    "export.col.category",
    "export.col.title",
    "export.col.state",
    "export.col.assignee",
    "export.col.deadline",
    "export.col.rectified",
    "export.col.closed",
)
PATROL_HEADERS = (
    "export.col.checked_at",
    "export.col.compound",
    "export.col.round",
    "export.col.checkpoint",
    "export.col.member",
    "export.col.result",
    "export.col.note",
)


class Window:
    """The export's dates as UTC instants, in the zone of the member's first compound."""

    def __init__(self, registry: Registry, filters: Filters, compound_ids: frozenset[str]):
        zone = next(
            (c.timezone for c in registry.compounds if c.compound_id in compound_ids),
            "Asia/Shanghai",
        )
        self.zone = zone
        tz = ZoneInfo(zone)
        self.start = datetime.combine(filters.since, time(), tz) if filters.since else None
        until = filters.until
        self.end = datetime.combine(until + timedelta(days=1), time(), tz) if until else None

    def holds(self, at: datetime) -> bool:
        return (self.start is None or at >= self.start) and (self.end is None or at < self.end)


def all_sheets(
    db: Database, registry: Registry, scope: Scope, filters: Filters, lang: str
) -> list[Sheet]:
    return [
        incidents_sheet(db, registry, scope, filters, lang),
        work_orders_sheet(db, registry, scope, filters, lang),
        hazards_sheet(db, registry, scope, filters, lang),
        patrols_sheet(db, registry, scope, filters, lang),
    ]


def incidents_sheet(
    db: Database, registry: Registry, scope: Scope, filters: Filters, lang: str
) -> Sheet:
    found = closed_incidents(db, registry, scope, filters)[:MAX_EXPORT]
    story = transitions_of(db, [i.incident_key for i in found])
    rows = [incident_row(i, story[i.incident_key], registry, lang) for i in found]
    return Sheet("incidents", INCIDENT_HEADERS, rows)


def work_orders_sheet(
    db: Database, registry: Registry, scope: Scope, filters: Filters, lang: str
) -> Sheet:
    window = Window(registry, filters, scope.compound_ids)
    rows = []
    for w in queries.work_orders(db):
        if w.compound_id not in scope.compound_ids or not window.holds(w.opened_at):
            continue
        rows.append(
            [
                local(w.opened_at, window.zone),
                _compound(registry, w.compound_id, lang),
                w.device_id or w.gateway_id or "",
                text(lang, f"kind.{w.kind.value}"),
                local(w.due_at, window.zone),
                text(lang, f"work_order.state.{w.state.value}"),
                w.acknowledged_by or "",
                local(w.done_at, window.zone),
                w.done_by or "",
                w.summary,
            ]
        )
    return Sheet("work_orders", WORK_ORDER_HEADERS, rows)


def hazards_sheet(
    db: Database, registry: Registry, scope: Scope, filters: Filters, lang: str
) -> Sheet:
    window = Window(registry, filters, scope.compound_ids)
    rows = []
    for h in HazardStore(db).hazards(None, scope.compound_ids):
        if not window.holds(h.found_at):
            continue
        zh, en = CATEGORY_LABELS[h.category]
        rows.append(
            [
                local(h.found_at, window.zone),
                _compound(registry, h.compound_id, lang),
                hazard_place(registry, h.compound_id, h.building_id, h.floor, h.unit, lang),
                en if lang == "en" else zh,
                h.title,
                text(lang, f"hazard.state.{h.state.value}"),
                h.assignee or "",
                local(h.deadline_at, window.zone),
                local(h.rectified_at, window.zone),
                local(h.closed_at, window.zone),
            ]
        )
    return Sheet("hazards", HAZARD_HEADERS, rows)


def patrols_sheet(
    db: Database, registry: Registry, scope: Scope, filters: Filters, lang: str
) -> Sheet:
    window = Window(registry, filters, scope.compound_ids)
    found = db.query(
        "SELECT at, compound_id, round_id, checkpoint_id, member_id, is_ok, note"
        " FROM patrol_checkins ORDER BY at"
    )
    rows = []
    for at_s, compound_id, round_id, checkpoint_id, member_id, is_ok, note in found:
        at = datetime.fromtimestamp(at_s, UTC)
        if compound_id not in scope.compound_ids or not window.holds(at):
            continue
        result = text(lang, "patrol.ok" if is_ok else "patrol.finding")
        rows.append(
            [
                local(at, window.zone),
                _compound(registry, compound_id, lang),
                round_id,
                checkpoint_id,
                member_id,
                result,
                note,
            ]
        )
    return Sheet("patrols", PATROL_HEADERS, rows)


def _compound(registry: Registry, compound_id: str, lang: str) -> str:
    compound = registry.compound(compound_id)
    if compound is None:
        return compound_id
    return compound.name_en if lang == "en" else compound.name
