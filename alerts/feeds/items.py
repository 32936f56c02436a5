"""From topic records to feed items, a recipient's filter, a recipient's field set (pure).

Incidents come from the incidents topic in the shape dispatch publishes on main
(`incident_transition`, schema 1); the incidents rework publishes `incident_update` (schema 2,
`fw.incidents.v2`), read here by its documented field names until the topics move over.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from alerts.feeds.config import FeedConfig, FeedFilter
from events.feeds import FEED_SCHEMA, REQUIRED_FIELDS, FeedItem, ItemKind
from events.hazards import HazardUpdate
from events.incidents import IncidentTransition


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


def from_incident(payload: bytes) -> FeedItem | None:
    """An incidents-topic record as a feed item; None for a kind this version does not know."""
    data: dict[str, Any] = json.loads(payload)
    if data.get("kind") == "incident_transition":
        t = IncidentTransition.model_validate(data)
        return FeedItem(
            feed_id="",
            event_id=t.event_id,
            item_kind=ItemKind.INCIDENT,
            subject_id=t.incident_key,
            at=t.at,
            kind=t.incident_kind.value,
            severity=t.severity.value,
            state=t.to_state,
            action=t.action,
            actor=t.actor,
            detail=t.detail or None,
            compound_id=t.compound_id,
            station_id=t.station_id,
        )
    if data.get("kind") == "incident_update":
        return _from_update(data)
    return None


def _from_update(d: dict[str, Any]) -> FeedItem:
    place = d.get("place") or {}
    conditions = d.get("conditions") or [{}]
    dispatch = d.get("dispatch") or {}
    return FeedItem(
        feed_id="",
        event_id=f"{d['incident_key']}#{d['seq']}",
        item_kind=ItemKind.INCIDENT,
        subject_id=d["incident_key"],
        at=datetime.fromisoformat(d["at"]),
        kind=conditions[0].get("kind"),
        severity=d.get("severity"),
        state=d.get("state"),
        action=d.get("action"),
        actor=d.get("actor"),
        title=d.get("title"),
        detail=d.get("detail") or None,
        compound_id=place.get("compound_id"),
        building_id=place.get("building_id"),
        station_id=dispatch.get("station_id"),
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
