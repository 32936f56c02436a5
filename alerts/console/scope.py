"""Who sees what on the console (pure): a station sees its own incidents, street level sees its
stations' and compounds', a compound control room sees its compound's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from alerts.escalation import EscalationPolicy, Until
from alerts.lifecycle import Incident
from alerts.registry.registry import Registry


@dataclass(frozen=True, slots=True)
class Scope:
    kind: str  # station | street | compound
    scope_id: str
    station_ids: frozenset[str]
    compound_ids: frozenset[str]

    def sees(self, inc: Incident) -> bool:
        if self.kind == "station":
            return inc.station_id in self.station_ids
        return inc.station_id in self.station_ids or inc.compound_id in self.compound_ids


def scope_of(registry: Registry, member_id: str) -> Scope | None:
    home = registry.home_of(member_id)
    if home is None:
        return None
    kind, ident = home
    if kind == "station":
        return Scope(kind, ident, frozenset({ident}), frozenset())
    if kind == "compound":
        return Scope(kind, ident, frozenset(), frozenset({ident}))
    stations = frozenset(s.station_id for s in registry.stations if s.street_id == ident)
    compounds = frozenset(c.compound_id for c in registry.compounds if c.street_id == ident)
    return Scope(kind, ident, stations, compounds)


def incident_view(inc: Incident, policy: EscalationPolicy) -> dict[str, Any]:
    """What the console shows, with the SLA deadlines it counts down (DOMAIN.md §2)."""

    def due(until: Until) -> str | None:
        seconds = policy.deadline_s(inc.severity, until)
        if seconds is None:
            return None
        return (inc.opened_at + timedelta(seconds=seconds)).isoformat()

    def iso(at: Any) -> str | None:
        return at.isoformat() if at is not None else None

    return {
        "incident_key": inc.incident_key,
        "kind": inc.kind.value,
        "severity": inc.severity.value,
        "state": inc.state.value,
        "compound_id": inc.compound_id,
        "building_id": inc.building_id,
        "device_id": inc.device_id,
        "station_id": inc.station_id,
        "summary": inc.summary,
        "dispatch_reason": inc.dispatch_reason,
        "opened_at": inc.opened_at.isoformat(),
        "acknowledged_at": iso(inc.acknowledged_at),
        "on_scene_at": iso(inc.on_scene_at),
        "resolved_at": iso(inc.resolved_at),
        "ack_due_at": due(Until.ACKNOWLEDGED),
        "scene_due_at": due(Until.ON_SCENE),
        "assessment": inc.assessment,
        "outcome": inc.outcome.value if inc.outcome else None,
        "is_muted": inc.is_muted,
        "is_open": inc.is_open,
    }
