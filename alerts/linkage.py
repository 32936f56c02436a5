"""Linkage commands with read-back (pure): build the command, decide what confirms it.

GB 50166-2019 §4.1.3: linkage within 3 s of the trigger. The device must then report the new
state (a relay `off`, locks released) before the read-back deadline, or the incident's task
fails and the ladder's next step fires early ("power cut not confirmed", DOMAIN.md §4).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from events.alerts import LinkageAction
from events.commands import Command
from events.readings import ChargingPortReading, DoorEvent, RelayState


class CommandState(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    NOT_CONFIRMED = "not_confirmed"


@dataclass
class PendingCommand:
    command: Command
    deadline_at: datetime
    state: CommandState = CommandState.PENDING
    confirmed_at: datetime | None = None


def make_command(  # noqa: PLR0917 - the fields of one command
    incident_key: str,
    compound_id: str,
    action: LinkageAction,
    device_id: str,
    gateway_id: str,
    at: datetime,
    deadline_s: float,
) -> PendingCommand:
    # Deterministic id: a replayed alert revision never issues the same command twice.
    command = Command(
        command_id=f"{incident_key}#{action.value}#{device_id}",
        incident_key=incident_key,
        action=action,
        compound_id=compound_id,
        gateway_id=gateway_id,
        device_id=device_id,
        issued_at=at,
        readback_deadline_s=deadline_s,
    )
    return PendingCommand(command, at + timedelta(seconds=deadline_s))


def is_confirmed_by(command: Command, reading: object) -> bool:
    """Does this reading report the state the command asked for?"""
    if getattr(reading, "device_id", None) != command.device_id:
        return False
    action = command.action
    if isinstance(reading, ChargingPortReading):
        if action is LinkageAction.CUT_POWER:
            return reading.relay_state is RelayState.OFF
        if action is LinkageAction.RESTORE_POWER:
            return reading.relay_state is RelayState.ON
    if isinstance(reading, DoorEvent):
        if action is LinkageAction.RELEASE_LOCKS:
            return reading.are_locks_released
        if action is LinkageAction.ENGAGE_LOCKS:
            return not reading.are_locks_released
    return False


def describe_miss(command: Command) -> str:
    what = {
        LinkageAction.CUT_POWER: "power cut",
        LinkageAction.RESTORE_POWER: "power restore",
        LinkageAction.RELEASE_LOCKS: "lock release",
        LinkageAction.ENGAGE_LOCKS: "lock engage",
    }[command.action]
    return f"{what} not confirmed by {command.device_id} within {command.readback_deadline_s:g} s"
