"""One dispatcher step's ledger writes as rows: a snapshot taken on the event loop, written in
one transaction by the ledger in a worker thread (alerts.ledger.store)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from alerts.ledger.rows import (
    Row,
    command_row,
    condition_rows,
    incident_row,
    task_rows,
    work_order_row,
)
from alerts.lifecycle import Incident, Transition
from alerts.linkage import PendingCommand
from alerts.maintenance import WorkOrder


@dataclass(frozen=True, slots=True)
class PageRecord:
    incident_key: str
    step_id: str
    recipient: str
    channel: str
    at: datetime
    is_ok: bool
    detail: str


@dataclass(slots=True)
class LedgerBatch:
    """Rows to write in one transaction: a snapshot taken on the event loop."""

    incidents: list[tuple[Row, list[Row], list[Row]]] = field(default_factory=list)
    transitions: list[Transition] = field(default_factory=list)
    commands: list[Row] = field(default_factory=list)
    work_orders: list[Row] = field(default_factory=list)
    pages: list[PageRecord] = field(default_factory=list)

    @classmethod
    def of(
        cls,
        incidents: Iterable[Incident] = (),
        transitions: Iterable[Transition] = (),
        commands: Iterable[PendingCommand] = (),
        work_orders: Iterable[WorkOrder] = (),
    ) -> LedgerBatch:
        return cls(
            incidents=[(incident_row(i), condition_rows(i), task_rows(i)) for i in incidents],
            transitions=list(transitions),
            commands=[command_row(p) for p in commands],
            work_orders=[work_order_row(w) for w in work_orders],
        )

    @property
    def is_empty(self) -> bool:
        return not (
            self.incidents or self.transitions or self.commands or self.work_orders or self.pages
        )
