"""Alerts: revisions of a *condition* the detectors raise; dispatch groups them into incidents.

A condition is one kind of trouble on one subject (a device, or an area), keyed by
`condition_key` (compound/building/kind/subject). Later evidence makes a new revision of the
same condition, never a new one, so a duplicated or replayed reading can never page twice.
Which conditions make one incident (one physical event in one place) is dispatch's decision:
`family_of` says what each kind is to dispatch. Schema version 2 (topic `fw.alerts.v2`):
`incident_key` became `condition_key` (docs/UPGRADING.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

ALERT_SCHEMA_VERSION = "2"


class Severity(StrEnum):
    """DOMAIN.md §2: P1 fire / thermal runaway; P2 pre-alarm and supervisory; P3 fault."""

    P1 = "P1"
    P2 = "P2"
    P3 = "P3"

    @property
    def rank(self) -> int:
        """1 is the most severe: sort ascending to put fires first."""
        return _RANK[self]

    def is_above(self, other: Severity) -> bool:
        """More severe than `other` (P1 is above P2)."""
        return _RANK[self] < _RANK[other]


_RANK = {Severity.P1: 1, Severity.P2: 2, Severity.P3: 3}


def highest(severities: Iterable[Severity]) -> Severity:
    """The most severe of `severities` (P3 when there is none)."""
    return min(severities, key=lambda s: _RANK[s], default=Severity.P3)


class AlertKind(StrEnum):
    # Fire (DOMAIN.md §3)
    FIRE = "fire"
    FIRE_PRE_ALARM = "fire_pre_alarm"
    # Charging ports (DOMAIN.md §4)
    THERMAL_RUNAWAY = "thermal_runaway"
    SMOKE_NEAR_CHARGING = "smoke_near_charging"
    CHARGING_OVERCURRENT = "charging_overcurrent"
    CHARGING_OVERPOWER = "charging_overpower"
    SOCKET_OVER_TEMPERATURE = "socket_over_temperature"
    LEAKAGE_CURRENT = "leakage_current"
    POWER_AFTER_FULL = "power_after_full"
    CHARGE_TOO_LONG = "charge_too_long"
    CHARGING_TEMP_CLIMB = "charging_temp_climb"
    BATTERY_OFF_GAS = "battery_off_gas"
    # Doors (DOMAIN.md §5)
    DOOR_HELD_OPEN = "door_held_open"
    DOOR_FORCED = "door_forced"
    EBIKE_IN_LIFT = "ebike_in_lift"
    # Read-back of the fire linkage (GB 50116 §4.6.1, §4.10.3): dispatch makes these task
    # states on the building's fire incident, never incidents of their own.
    FIRE_DOOR_OPEN_IN_FIRE = "fire_door_open_in_fire"
    EVAC_LOCKS_NOT_RELEASED = "evac_locks_not_released"
    # Device health (DOMAIN.md §6): maintenance work orders, not duty.
    DEVICE_OFFLINE = "device_offline"
    GATEWAY_OFFLINE = "gateway_offline"
    TAMPER = "tamper"
    LOW_BATTERY = "low_battery"
    STUCK_VALUE = "stuck_value"
    CLOCK_SKEW = "clock_skew"
    SEQUENCE_GAP = "sequence_gap"
    FALSE_ALARM_EXCESS = "false_alarm_excess"
    TEST_MODE_LEFT_ON = "test_mode_left_on"
    SENSOR_FAULT = "sensor_fault"  # out of range, a jump no fire makes: maintenance (P3)


DEFAULT_SEVERITY: dict[AlertKind, Severity] = {
    AlertKind.FIRE: Severity.P1,
    AlertKind.THERMAL_RUNAWAY: Severity.P1,
    AlertKind.SMOKE_NEAR_CHARGING: Severity.P1,
    AlertKind.FIRE_DOOR_OPEN_IN_FIRE: Severity.P1,
    AlertKind.EVAC_LOCKS_NOT_RELEASED: Severity.P1,
    AlertKind.FIRE_PRE_ALARM: Severity.P2,
    AlertKind.CHARGING_OVERCURRENT: Severity.P2,
    AlertKind.CHARGING_OVERPOWER: Severity.P2,
    AlertKind.SOCKET_OVER_TEMPERATURE: Severity.P2,
    AlertKind.LEAKAGE_CURRENT: Severity.P2,
    AlertKind.POWER_AFTER_FULL: Severity.P2,
    AlertKind.CHARGE_TOO_LONG: Severity.P2,
    AlertKind.CHARGING_TEMP_CLIMB: Severity.P2,
    AlertKind.BATTERY_OFF_GAS: Severity.P2,
    AlertKind.DOOR_HELD_OPEN: Severity.P2,
    AlertKind.DOOR_FORCED: Severity.P2,
    AlertKind.EBIKE_IN_LIFT: Severity.P2,
    AlertKind.DEVICE_OFFLINE: Severity.P3,
    AlertKind.GATEWAY_OFFLINE: Severity.P3,
    AlertKind.TAMPER: Severity.P3,
    AlertKind.LOW_BATTERY: Severity.P3,
    AlertKind.STUCK_VALUE: Severity.P3,
    AlertKind.CLOCK_SKEW: Severity.P3,
    AlertKind.SEQUENCE_GAP: Severity.P3,
    AlertKind.FALSE_ALARM_EXCESS: Severity.P3,
    AlertKind.TEST_MODE_LEFT_ON: Severity.P3,
    AlertKind.SENSOR_FAULT: Severity.P3,
}


class ConditionFamily(StrEnum):
    """What a condition is to dispatch (docs/GLOSSARY.md)."""

    # Fire and its precursors at charging ports: one incident per building (or charging
    # area), severity only rises; a second detector there is a confirmation.
    FIRE = "fire"
    # Supervisory matters of one device (a door held open or forced): an incident of that
    # device, unless a fire incident in its building absorbs it.
    DEVICE = "device"
    # Read-back of a linkage task: a task state on the building's fire incident.
    LINKAGE = "linkage"
    # Device health: a maintenance work order (维保), never on the duty list.
    MAINTENANCE = "maintenance"


_FAMILY: dict[AlertKind, ConditionFamily] = {
    AlertKind.FIRE: ConditionFamily.FIRE,
    AlertKind.FIRE_PRE_ALARM: ConditionFamily.FIRE,
    AlertKind.THERMAL_RUNAWAY: ConditionFamily.FIRE,
    AlertKind.SMOKE_NEAR_CHARGING: ConditionFamily.FIRE,
    AlertKind.CHARGING_OVERCURRENT: ConditionFamily.FIRE,
    AlertKind.CHARGING_OVERPOWER: ConditionFamily.FIRE,
    AlertKind.SOCKET_OVER_TEMPERATURE: ConditionFamily.FIRE,
    AlertKind.LEAKAGE_CURRENT: ConditionFamily.FIRE,
    AlertKind.POWER_AFTER_FULL: ConditionFamily.FIRE,
    AlertKind.CHARGE_TOO_LONG: ConditionFamily.FIRE,
    AlertKind.CHARGING_TEMP_CLIMB: ConditionFamily.FIRE,
    # Off-gas from a pack is the first sign of runaway (GB 38031 venting): a fire precursor.
    AlertKind.BATTERY_OFF_GAS: ConditionFamily.FIRE,
    AlertKind.DOOR_HELD_OPEN: ConditionFamily.DEVICE,
    AlertKind.DOOR_FORCED: ConditionFamily.DEVICE,
    AlertKind.EBIKE_IN_LIFT: ConditionFamily.DEVICE,
    AlertKind.FIRE_DOOR_OPEN_IN_FIRE: ConditionFamily.LINKAGE,
    AlertKind.EVAC_LOCKS_NOT_RELEASED: ConditionFamily.LINKAGE,
}


def family_of(kind: AlertKind) -> ConditionFamily:
    """A kind without an entry (a fault kind added later) goes by its default severity:
    P3 is maintenance (DOMAIN.md §2: "faults and offline devices: work order within 24 h")."""
    family = _FAMILY.get(kind)
    if family is not None:
        return family
    if DEFAULT_SEVERITY.get(kind, Severity.P3) is Severity.P3:
        return ConditionFamily.MAINTENANCE
    return ConditionFamily.DEVICE


class AlertStatus(StrEnum):
    RAISED = "raised"  # first revision of a condition (or the first after it cleared)
    UPDATED = "updated"  # new evidence, higher severity, more linkage
    CLEARED = "cleared"  # the condition ended (latched P1s: only after a person's reset)


class LinkageAction(StrEnum):
    CUT_POWER = "cut_power"
    RESTORE_POWER = "restore_power"
    RELEASE_LOCKS = "release_locks"
    ENGAGE_LOCKS = "engage_locks"


class LinkageRequest(BaseModel):
    """A command the alert asks dispatch to issue (GB 50166-2019 §4.1.3: within 3 s)."""

    model_config = ConfigDict(frozen=True)

    action: LinkageAction
    device_id: str
    gateway_id: str
    reason: str


class Evidence(BaseModel):
    """A reading that supports the alert: enough to audit it without re-reading Kafka."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    device_id: str
    observed_at: AwareDatetime
    summary: dict[str, Any] = Field(default_factory=dict)


def condition_key(compound_id: str, building_id: str | None, kind: AlertKind, subject: str) -> str:
    """Stable identity of a condition: compound/building/kind/device-or-area."""
    return f"{compound_id}/{building_id or '-'}/{kind.value}/{subject}"


def subject_of(key: str) -> str:
    """The subject of a condition key: a device id, or "area:<id>" for an area condition."""
    return key.split("/", 3)[-1]


def compound_of(key: str) -> str:
    """The compound of a condition key."""
    return key.split("/", 1)[0]


class Alert(BaseModel):
    """One revision of a condition, on the alerts topic keyed by compound."""

    model_config = ConfigDict(frozen=True)

    condition_key: str
    revision: int = Field(ge=1)
    kind: AlertKind
    severity: Severity
    status: AlertStatus
    compound_id: str
    building_id: str | None = None
    floor: int | None = None
    area_id: str | None = None
    device_id: str | None = None
    gateway_id: str | None = None
    onset_at: AwareDatetime
    raised_at: AwareDatetime
    is_latched: bool = False
    summary: str
    evidence: tuple[Evidence, ...] = ()
    linkage: tuple[LinkageRequest, ...] = ()

    @property
    def alert_id(self) -> str:
        """Unique per revision: consumers deduplicate by it."""
        return f"{self.condition_key}#{self.revision}"

    @property
    def family(self) -> ConditionFamily:
        return family_of(self.kind)
