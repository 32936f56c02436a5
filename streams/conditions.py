"""Conditions, not alert storms: findings in, alert revisions out (pure, no Faust).

One `ConditionRecord` per condition key (events.alerts.condition_key) in the caller's store
(the device's or the compound's state). A new revision goes out only when something a duty
member must know changed: raised, higher severity, a new stage, new linkage, another device.
More readings of the same condition are folded in silently. Fire-family P1s latch: only a
person clears them, by resolving the incident that owns them in dispatch (apply_reset). The
key stays the same across occurrences and the revision keeps counting, so dispatch tells a
replay (revision already seen) from a recurrence (a higher RAISED revision).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from events.alerts import (
    DEFAULT_SEVERITY,
    Alert,
    AlertKind,
    AlertStatus,
    ConditionFamily,
    LinkageRequest,
    Severity,
    condition_key,
    family_of,
)
from streams.detectors.model import Finding, Place, to_datetime

_MAX_EVIDENCE_IDS = 8
_MAX_RESETS = 8  # resolutions already applied (their ids), so a replayed one is a no-op


@dataclass(slots=True)
class ConditionRecord:
    """What the worker remembers of one condition between findings (mirrored to the table)."""

    revision: int
    status: AlertStatus
    severity: Severity
    is_latched: bool
    stage: str
    onset_s: float
    place: Place  # where, for the CLEARED revision a reset publishes without a finding
    evidence_ids: list[str] = field(default_factory=list)
    linkage_ids: list[str] = field(default_factory=list)
    devices: list[str] = field(default_factory=list)
    resets: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "revision": self.revision,
            "status": self.status.value,
            "severity": self.severity.value,
            "is_latched": self.is_latched,
            "stage": self.stage,
            "onset_s": self.onset_s,
            "place": list(self.place),
            "evidence_ids": self.evidence_ids,
            "linkage_ids": self.linkage_ids,
            "devices": self.devices,
            "resets": self.resets,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ConditionRecord:
        return cls(
            revision=int(data["revision"]),
            status=AlertStatus(data["status"]),
            severity=Severity(data["severity"]),
            is_latched=bool(data["is_latched"]),
            stage=str(data["stage"]),
            onset_s=float(data["onset_s"]),
            place=Place(*data["place"]),
            evidence_ids=list(data["evidence_ids"]),
            linkage_ids=list(data["linkage_ids"]),
            devices=list(data["devices"]),
            resets=list(data["resets"]),
        )


Conditions = dict[str, ConditionRecord]


def conditions_from(raw: dict[str, Any]) -> Conditions:
    return {key: ConditionRecord.from_dict(value) for key, value in raw.items()}


def conditions_to(records: Conditions) -> dict[str, Any]:
    return {key: rec.to_dict() for key, rec in records.items()}


def is_latching(kind: AlertKind, severity: Severity) -> bool:
    """A fire-family P1 stays raised until a person resolves it (a fire panel latches its
    alarm until reset, GB 4717); read-back and supervisory conditions follow the device."""
    return severity is Severity.P1 and family_of(kind) is ConditionFamily.FIRE


def apply_finding(store: Conditions, f: Finding, now_s: float) -> Alert | None:
    """Fold one finding into its condition; the alert revision to publish, or None."""
    p = f.place
    key = condition_key(p.compound_id, p.building_id, f.kind, f.subject)
    rec = store.get(key)
    if not f.is_active:
        if rec is None or rec.status is AlertStatus.CLEARED or rec.is_latched:
            return None  # nothing open, or a latched P1 that only a person may clear
        rec.revision += 1
        rec.status = AlertStatus.CLEARED
        return _alert(key, rec, f)
    severity = f.severity or DEFAULT_SEVERITY[f.kind]
    if rec is None or rec.status is AlertStatus.CLEARED:
        store[key] = rec = ConditionRecord(
            revision=(rec.revision if rec else 0) + 1,
            status=AlertStatus.RAISED,
            severity=severity,
            is_latched=is_latching(f.kind, severity),
            stage=f.stage,
            onset_s=f.at_s,
            place=p,
            evidence_ids=[e.event_id for e in f.evidence][-_MAX_EVIDENCE_IDS:],
            linkage_ids=sorted({_link_id(lr) for lr in f.linkage}),
            devices=sorted({e.device_id for e in f.evidence}),
            resets=rec.resets if rec else [],
        )
        return _alert(key, rec, f)
    return _update(key, rec, f, severity)


def apply_reset(store: Conditions, key: str, resolution_id: str, at_s: float) -> Alert | None:
    """A person resolved the incident that owns condition `key` (resolution `resolution_id`):
    unlatch and clear it so a recurrence raises afresh. The CLEARED revision to publish, or
    None when nothing is open or this resolution was applied already (a replay)."""
    rec = store.get(key)
    if rec is None or resolution_id in rec.resets:
        return None
    rec.resets = [*rec.resets, resolution_id][-_MAX_RESETS:]
    if rec.status is AlertStatus.CLEARED:
        return None  # the condition ended on its own: remember the resolution, page nobody
    rec.revision += 1
    rec.status = AlertStatus.CLEARED
    rec.is_latched = False
    _compound, _building, kind, subject = key.split("/", 3)
    f = Finding(
        AlertKind(kind),
        subject,
        rec.place,
        at_s,
        is_active=False,
        summary=f"{kind} resolved by a person",
    )
    return _alert(key, rec, f)


def _link_id(lr: LinkageRequest) -> str:
    return f"{lr.action.value}:{lr.device_id}"


def _update(key: str, rec: ConditionRecord, f: Finding, severity: Severity) -> Alert | None:
    seen_ids = set(rec.evidence_ids)
    new_ids = [e.event_id for e in f.evidence if e.event_id not in seen_ids]
    if f.evidence and not new_ids:
        return None  # a replay of evidence already folded in: never a second page
    rec.evidence_ids = (rec.evidence_ids + new_ids)[-_MAX_EVIDENCE_IDS:]
    is_worse = severity.is_above(rec.severity)
    links = {_link_id(lr) for lr in f.linkage} - set(rec.linkage_ids)
    devices = {e.device_id for e in f.evidence} - set(rec.devices)
    is_new_stage = bool(f.stage) and f.stage != rec.stage
    if not (is_worse or links or devices or is_new_stage):
        return None
    if is_worse:
        rec.severity = severity
        rec.is_latched = rec.is_latched or is_latching(f.kind, severity)
    rec.linkage_ids = sorted(set(rec.linkage_ids) | links)
    rec.devices = sorted(set(rec.devices) | devices)
    rec.stage = f.stage or rec.stage
    rec.revision += 1
    rec.status = AlertStatus.UPDATED
    return _alert(key, rec, f)


def _alert(key: str, rec: ConditionRecord, f: Finding) -> Alert:
    p = f.place
    return Alert(
        condition_key=key,
        revision=rec.revision,
        kind=f.kind,
        severity=rec.severity,
        status=rec.status,
        compound_id=p.compound_id,
        building_id=p.building_id,
        floor=p.floor,
        area_id=p.area_id,
        device_id=p.device_id,
        gateway_id=p.gateway_id,
        onset_at=to_datetime(rec.onset_s),
        # The time of the evidence that made this revision (device clock for readings, worker
        # clock for deadlines): a replay at any speed scores the same (simulators.evaluation).
        raised_at=to_datetime(f.at_s),
        is_latched=rec.is_latched,
        summary=f.summary or f.kind.value,
        evidence=f.evidence,
        linkage=f.linkage,
    )
