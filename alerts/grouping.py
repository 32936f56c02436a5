"""Zone logic (pure): which place an alert's condition belongs to, and which incident it joins.

What a fire panel does by zone and an on-call tool by grouping key: an incident is one physical
event in one place. Fire and its charging precursors group by building (a charging area outside
any building is a place of its own); supervisory door matters by device; a fire in a building
absorbs the device matters of that building while it burns (a propped fire door there is part
of the fire, not a second call-out). Linkage read-backs and device health never make incidents
(alerts.tasks, alerts.maintenance).
"""

from __future__ import annotations

from alerts.lifecycle import Condition, Incident
from events.alerts import Alert, ConditionFamily, Severity, subject_of
from events.incidents import IncidentPlace, PlaceScope


def place_of(alert: Alert) -> IncidentPlace:
    """The place of the incident this alert's condition belongs to."""
    compound = alert.compound_id
    if alert.family is ConditionFamily.FIRE:
        if alert.building_id:
            return IncidentPlace(
                compound_id=compound,
                scope=PlaceScope.BUILDING,
                place_id=alert.building_id,
                building_id=alert.building_id,
            )
        if alert.area_id:
            area = alert.area_id
            return IncidentPlace(compound_id=compound, scope=PlaceScope.AREA, place_id=area)
    device = alert.device_id or alert.gateway_id or subject_of(alert.condition_key)
    return IncidentPlace(
        compound_id=compound,
        scope=PlaceScope.DEVICE,
        place_id=device,
        building_id=alert.building_id,
    )


def absorbs(fire: Incident, alert: Alert) -> bool:
    """Does the live fire incident `fire` take in this device matter of its building?"""
    return (
        fire.is_open
        and fire.place.scope is PlaceScope.BUILDING
        and alert.family is ConditionFamily.DEVICE
        and alert.building_id == fire.place.building_id
        and any(c.severity.rank == 1 for c in fire.conditions.values())
    )


def title_of(inc: Incident) -> str:
    """A short English title; the console renders its own from the fields (zh-CN)."""
    place = inc.place
    where = {
        PlaceScope.BUILDING: f"building {place.place_id}",
        PlaceScope.AREA: f"area {place.place_id}",
        PlaceScope.DEVICE: place.place_id,
    }[place.scope]
    kind = inc.kind.value.replace("_", " ")
    others = len({c.kind for c in inc.conditions.values()}) - 1
    more = f" (+{others} more)" if others > 0 else ""
    return f"{kind} at {where}, {place.compound_id}{more}"


def sources_of(alert: Alert) -> list[str]:
    """Alarm devices behind a fire alert: they count toward the second independent source
    (GB 50116-2013 §4.1.6). Precursors (P2) and area rules name no source of their own."""
    if alert.severity is not Severity.P1:
        return []
    found = [e.device_id for e in alert.evidence]
    return [*found, alert.device_id] if alert.device_id else found


def condition_of(alert: Alert) -> Condition:
    return Condition(
        condition_key=alert.condition_key,
        kind=alert.kind,
        severity=alert.severity,
        status=alert.status,
        revision=alert.revision,
        raised_at=alert.raised_at,
        summary=alert.summary,
        device_id=alert.device_id,
        area_id=alert.area_id,
        gateway_id=alert.gateway_id,
        sources=tuple(sorted(set(sources_of(alert)))),
    )
