"""Incidents, not alert storms: findings in, alert revisions out (pure, no Faust).

One record per incident key (events.alerts.incident_key) in the caller's store (the device's or
the compound's table state). A new revision goes out only when something a duty member must
know changed: raised, higher severity, a new stage, new linkage, another device. More readings of
the same condition are folded in silently. P1 incidents latch: only a person clears them, by
resolving the incident in dispatch (apply_reset). The key stays the same across occurrences and
the revision keeps counting: a recurrence after a reset is a RAISED revision above every one
dispatch has seen, which dispatch opens as a new incident KEY~2 (alerts/service/dispatcher.py).
"""

from __future__ import annotations

from typing import Any

from events.alerts import (
    DEFAULT_SEVERITY,
    Alert,
    AlertKind,
    AlertStatus,
    Severity,
    incident_key,
)
from events.incidents import IncidentTransition
from streams.detectors.model import Finding, Place, to_datetime

_RANK = {Severity.P1: 1, Severity.P2: 2, Severity.P3: 3}
_MAX_EVIDENCE_IDS = 8
_MAX_RESETS = 8  # dispatch keys (KEY, KEY~2, ...) of resolutions already applied
_RESOLVED = "resolved"  # alerts.lifecycle.State.RESOLVED (streams may not import alerts)


def apply_finding(store: dict[str, dict[str, Any]], f: Finding, now_s: float) -> Alert | None:
    """Fold one finding into its incident; the alert revision to publish, or None."""
    p = f.place
    key = incident_key(p.compound_id, p.building_id, f.kind, f.subject)
    rec = store.get(key)
    if not f.is_active:
        if rec is None or rec["status"] == AlertStatus.CLEARED or rec["latched"]:
            return None  # nothing open, or a latched P1 that only a person may clear
        rec["rev"] += 1
        rec["status"] = AlertStatus.CLEARED.value
        return _alert(key, rec, f)
    severity = f.severity or DEFAULT_SEVERITY[f.kind]
    if rec is None or rec["status"] == AlertStatus.CLEARED:
        rec = {
            "rev": (rec["rev"] if rec else 0) + 1,
            "status": AlertStatus.RAISED.value,
            "sev": severity.value,
            "latched": severity is Severity.P1,
            "stage": f.stage,
            "onset": f.at_s,
            "ev": [e.event_id for e in f.evidence][-_MAX_EVIDENCE_IDS:],
            "link": sorted({_link_id(lr) for lr in f.linkage}),
            "devices": sorted({e.device_id for e in f.evidence}),
            # Where, for the CLEARED revision a reset publishes without a finding at hand.
            "where": [p.gateway_id, p.floor, p.area_id, p.device_id],
            "resets": rec.get("resets", []) if rec else [],
        }
        store[key] = rec
        return _alert(key, rec, f)
    return _update(key, rec, f, severity, now_s)


def is_resolution(t: IncidentTransition) -> bool:
    """A person resolved the incident (not a note recorded on one already resolved)."""
    return t.to_state == _RESOLVED and t.from_state != _RESOLVED


def apply_reset(
    store: dict[str, dict[str, Any]], alert_key: str, resolution_id: str, at_s: float
) -> Alert | None:
    """A person resolved the incident `alert_key` (dispatch's key `resolution_id`): unlatch and
    clear it so a recurrence raises afresh. The CLEARED revision to publish, or None when there
    is nothing open or this resolution was applied already (a replay)."""
    rec = store.get(alert_key)
    if rec is None or resolution_id in rec.get("resets", []):
        return None
    rec["resets"] = ([*rec.get("resets", []), resolution_id])[-_MAX_RESETS:]
    if rec["status"] == AlertStatus.CLEARED:
        return None  # the condition ended on its own: remember the resolution, page nobody
    rec["rev"] += 1
    rec["status"] = AlertStatus.CLEARED.value
    rec["latched"] = False
    compound_id, building_id, kind, subject = alert_key.split("/", 3)
    gateway_id, floor, area_id, device_id = rec.get("where") or [None, None, None, None]
    place = Place(
        compound_id,
        gateway_id=gateway_id,
        building_id=None if building_id == "-" else building_id,
        floor=floor,
        area_id=area_id,
        device_id=device_id,
    )
    f = Finding(
        AlertKind(kind),
        subject,
        place,
        at_s,
        is_active=False,
        summary=f"{kind} resolved by a person",
    )
    return _alert(alert_key, rec, f)


def _link_id(lr: Any) -> str:
    return f"{lr.action.value}:{lr.device_id}"


def _update(
    key: str, rec: dict[str, Any], f: Finding, severity: Severity, now_s: float
) -> Alert | None:
    seen_ids = set(rec["ev"])
    new_ids = [e.event_id for e in f.evidence if e.event_id not in seen_ids]
    if f.evidence and not new_ids:
        return None  # a replay of evidence already folded in: never a second page
    rec["ev"] = (rec["ev"] + new_ids)[-_MAX_EVIDENCE_IDS:]
    is_worse = _RANK[severity] < _RANK[Severity(rec["sev"])]
    links = {_link_id(lr) for lr in f.linkage} - set(rec["link"])
    devices = {e.device_id for e in f.evidence} - set(rec["devices"])
    is_new_stage = bool(f.stage) and f.stage != rec["stage"]
    if not (is_worse or links or devices or is_new_stage):
        return None
    if is_worse:
        rec["sev"] = severity.value
        rec["latched"] = rec["latched"] or severity is Severity.P1
    rec["link"] = sorted(set(rec["link"]) | links)
    rec["devices"] = sorted(set(rec["devices"]) | devices)
    rec["stage"] = f.stage or rec["stage"]
    rec["rev"] += 1
    rec["status"] = AlertStatus.UPDATED.value
    return _alert(key, rec, f)


def _alert(key: str, rec: dict[str, Any], f: Finding) -> Alert:
    p = f.place
    return Alert(
        incident_key=key,
        revision=rec["rev"],
        kind=f.kind,
        severity=Severity(rec["sev"]),
        status=AlertStatus(rec["status"]),
        compound_id=p.compound_id,
        building_id=p.building_id,
        floor=p.floor,
        area_id=p.area_id,
        device_id=p.device_id,
        gateway_id=p.gateway_id,
        onset_at=to_datetime(rec["onset"]),
        # The time of the evidence that made this revision (device clock for readings, worker
        # clock for deadlines): a replay at any speed scores the same (simulators.evaluation).
        raised_at=to_datetime(f.at_s),
        is_latched=rec["latched"],
        summary=f.summary or f.kind.value,
        evidence=f.evidence,
        linkage=f.linkage,
    )


def subject_of(alert_key: str) -> str:
    """The subject of an incident key compound/building/kind/subject: a device id, or
    "area:<id>" for an area incident."""
    return alert_key.split("/", 3)[-1]
