"""From topic records to feed items, a recipient's filter, a recipient's field set (pure).

Incidents come from `fw.incidents.v2` as dispatch publishes them (events.incidents.
IncidentUpdate, schema 2): one item per change of an incident.
"""

from __future__ import annotations

import json
from typing import Any

from alerts.feeds.config import FeedConfig, FeedFilter
from events.feeds import FEED_SCHEMA, REQUIRED_FIELDS, FeedItem, ItemKind
from events.hazards import HazardUpdate
from events.incidents import IncidentUpdate


def from_hazard(u: HazardUpdate) -> FeedItem:
    contact = u.reporter_contact
    return FeedItem(
        feed_id="",
        event_id=u.event_id,
        item_kind=ItemKind.HAZARD,
        subject_id=u.hazard_id,
        at=u.at,
        kind=u.category.value,
        severity=u.severity.value if u.severity else None,
        state=u.state.value,
        action=u.action.value,
        actor=u.actor,
        title=u.title,
        detail=u.detail or None,
        compound_id=u.compound_id,
        street_id=u.street_id,
        building_id=u.building_id,
        floor=u.floor,
        unit=u.unit,
        owner_kind=u.owner.kind.value if u.owner else None,
        owner_name=u.owner.name if u.owner else None,
        deadline_at=u.deadline_at,
        escalation=u.escalation.value,
        whistled_department=u.whistled_department,
        photo_ids=u.photo_ids,
        reporter_name=contact.name or None if contact else None,
        reporter_phone=contact.phone if contact else None,
    )


def from_incident(u: IncidentUpdate) -> FeedItem:
    """One change of an incident (fw.incidents.v2) as a feed item: the incident as it stands
    (place, severity, state, station) and the change (action, who, when)."""
    lead = u.lead_kind
    return FeedItem(
        feed_id="",
        event_id=u.event_id,
        item_kind=ItemKind.INCIDENT,
        subject_id=u.incident_key,
        at=u.at,
        kind=lead.value if lead else None,
        severity=u.severity.value,
        state=u.state.value,
        action=u.action.value,
        actor=u.actor,
        title=u.title,
        detail=u.detail or None,
        compound_id=u.place.compound_id,
        building_id=u.place.building_id,
        station_id=u.station_id,
    )


def matches(item: FeedItem, f: FeedFilter) -> bool:
    def allowed(chosen: frozenset[str], value: str | None) -> bool:
        return not chosen or value in chosen

    return (
        item.item_kind in f.item_kinds
        and allowed(f.kinds, item.kind)
        and allowed(f.severities, item.severity)
        and allowed(f.compounds, item.compound_id)
        and allowed(f.actions, item.action)
        and (f.whistled_to is None or item.whistled_department == f.whistled_to)
    )


def project(item: FeedItem, feed: FeedConfig) -> dict[str, Any]:
    """Only the recipient's fields (and the required ones), without empty values."""
    data = item.model_copy(update={"feed_id": feed.feed_id}).model_dump(mode="json", by_alias=True)
    wanted = set(REQUIRED_FIELDS) | set(feed.fields)
    out = {k: v for k, v in data.items() if k in wanted and v is not None}
    out["schema"] = FEED_SCHEMA
    return out


def body_of(projected: dict[str, Any]) -> bytes:
    """The exact bytes sent and signed: compact, keys sorted, UTF-8."""
    return json.dumps(projected, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
