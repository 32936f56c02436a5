"""What one call of the dispatcher core asks the shell to do (applied once, in this order):
ledger writes (off the event loop), commands to devices, pages, incident updates on Kafka,
console events. The core never performs I/O; the shell never decides anything."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from alerts.escalation import Step
from alerts.lifecycle import Incident, Transition
from alerts.linkage import PendingCommand
from alerts.maintenance import WorkOrder
from alerts.recipients import Recipients
from events.incidents import IncidentUpdate


@dataclass(frozen=True, slots=True)
class PageOrder:
    """Page the recipients of one ladder step of one incident."""

    incident: Incident
    step: Step
    recipients: Recipients
    at: datetime


@dataclass(slots=True)
class Effects:
    transitions: list[Transition] = field(default_factory=list)  # ledger, audited
    updates: list[IncidentUpdate] = field(default_factory=list)  # Kafka, one per transition
    changed: dict[str, Incident] = field(default_factory=dict)  # ledger row + console, once
    commands: list[PendingCommand] = field(default_factory=list)  # new: devices + ledger
    command_states: list[PendingCommand] = field(default_factory=list)  # ledger
    pages: list[PageOrder] = field(default_factory=list)
    work_orders: list[WorkOrder] = field(default_factory=list)  # ledger only: never paged

    def touch(self, inc: Incident) -> None:
        self.changed[inc.incident_key] = inc

    def merge(self, other: Effects) -> None:
        self.transitions += other.transitions
        self.updates += other.updates
        self.changed.update(other.changed)
        self.commands += other.commands
        self.command_states += other.command_states
        self.pages += other.pages
        self.work_orders += other.work_orders

    @property
    def is_empty(self) -> bool:
        return not (
            self.transitions
            or self.changed
            or self.commands
            or self.command_states
            or self.pages
            or self.work_orders
        )
