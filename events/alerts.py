"""Alerts: what the detectors raise and the dispatch stage routes.

An alert is one revision of an incident. The incident key (compound, building, kind, device or
area) is stable: later evidence makes a new revision of the same incident, never a new one, so
a duplicated or replayed reading can never page twice.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class Severity(StrEnum):
    """DOMAIN.md §2: P1 fire / thermal runaway; P2 pre-alarm and supervisory; P3 fault."""

    P1 = "P1"
    P2 = "P2"
    P3 = "P3"


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
    FIRE_DOOR_OPEN_IN_FIRE = "fire_door_open_in_fire"
    EVAC_LOCKS_NOT_RELEASED = "evac_locks_not_released"
    EBIKE_IN_LIFT = "ebike_in_lift"
    # Device health (DOMAIN.md §6)
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
    # Raised by dispatch when a linkage command's read-back deadline passes.
    COMMAND_NOT_CONFIRMED = "command_not_confirmed"


DEFAULT_SEVERITY: dict[AlertKind, Severity] = {
    AlertKind.FIRE: Severity.P1,
    AlertKind.THERMAL_RUNAWAY: Severity.P1,
    AlertKind.SMOKE_NEAR_CHARGING: Severity.P1,
    AlertKind.FIRE_DOOR_OPEN_IN_FIRE: Severity.P1,
    AlertKind.EVAC_LOCKS_NOT_RELEASED: Severity.P1,
    AlertKind.COMMAND_NOT_CONFIRMED: Severity.P1,
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


class AlertStatus(StrEnum):
    RAISED = "raised"  # first revision of an incident
    UPDATED = "updated"  # new evidence, higher severity, more linkage
    CLEARED = "cleared"  # the condition ended (never sent for latched P1 alerts)


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


def incident_key(compound_id: str, building_id: str | None, kind: AlertKind, subject: str) -> str:
    """Stable identity of an incident: compound/building/kind/device-or-area."""
    return f"{compound_id}/{building_id or '-'}/{kind.value}/{subject}"


class Alert(BaseModel):
    """One revision of an incident, on the alerts topic keyed by compound."""

    model_config = ConfigDict(frozen=True)

    incident_key: str
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
        return f"{self.incident_key}#{self.revision}"
