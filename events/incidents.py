"""Incident lifecycle transitions published by dispatch on the incidents topic (keyed by
compound): who did what to an incident, when and from where."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict

from events.alerts import AlertKind, Severity


class IncidentTransition(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: str = "incident_transition"
    incident_key: str
    alert_key: str
    incident_kind: AlertKind
    severity: Severity
    compound_id: str
    station_id: str | None = None
    action: str
    from_state: str
    to_state: str
    actor: str
    at: AwareDatetime
    source: str
    detail: str = ""

    @property
    def event_id(self) -> str:
        return f"{self.incident_key}:{self.action}:{self.at.timestamp()}"
