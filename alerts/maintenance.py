"""Maintenance is not duty (pure): device-health conditions become work orders (维保).

DOMAIN.md §2: "P3, faults and offline devices: work order within 24 h". A work order is kept
in the ledger and in `firewatch report`, never on the duty list and never paged. One order per
condition occurrence: more revisions of the same condition update it; the condition clearing
(the device reports it fixed) closes it; a condition that returns within the hold-off reopens
the same order (a flapping gateway is one job, not fifty).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from events.alerts import Alert, AlertKind, AlertStatus


class WorkOrderAction(StrEnum):
    """What a person does to a work order from the console."""

    ACKNOWLEDGE = "acknowledge"  # taken: someone is on it
    CLOSE = "close"  # done by hand (the device's own clear closes it too)


class WorkOrderState(StrEnum):
    OPEN = "open"
    DONE = "done"  # the condition cleared: the device reports it fixed


@dataclass(slots=True)
class WorkOrder:
    order_id: str
    condition_key: str
    kind: AlertKind
    compound_id: str
    summary: str
    opened_at: datetime  # dispatch clock
    raised_at: datetime  # device time of the condition's raise
    due_at: datetime
    revision: int
    building_id: str | None = None
    device_id: str | None = None
    gateway_id: str | None = None
    state: WorkOrderState = WorkOrderState.OPEN
    done_at: datetime | None = None
    occurrences: int = 1
    # A person on the console took the job (acknowledged) or closed it (done_by); None for
    # the device's own clear.
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    done_by: str | None = None

    @property
    def is_open(self) -> bool:
        return self.state is WorkOrderState.OPEN


def apply_person(order: WorkOrder, action: WorkOrderAction, actor: str, now: datetime) -> None:
    """A person's step on an open order: acknowledge once (a second one keeps the first, so
    the 台账 shows who took it first), or close it."""
    if action is WorkOrderAction.ACKNOWLEDGE:
        if order.acknowledged_at is None:
            order.acknowledged_at, order.acknowledged_by = now, actor
        return
    order.state, order.done_at, order.done_by = WorkOrderState.DONE, now, actor
    if order.acknowledged_at is None:
        order.acknowledged_at, order.acknowledged_by = now, actor


def order_id(alert: Alert) -> str:
    stamp = alert.raised_at.strftime("%Y%m%dT%H%M%S")
    return f"{alert.condition_key}@{stamp}Z"


def fold(
    current: WorkOrder | None, alert: Alert, now: datetime, *, due_s: float, holdoff_s: float
) -> WorkOrder | None:
    """The work order after this alert (new, updated, reopened or done); None when nothing
    changed (a replay, or a clear with nothing open)."""
    if current is not None and alert.revision <= current.revision:
        return None  # a replay of a revision already folded in
    if alert.status is AlertStatus.CLEARED:
        if current is None or not current.is_open:
            return None
        current.revision, current.state, current.done_at = alert.revision, WorkOrderState.DONE, now
        return current
    if current is not None and current.is_open:
        current.revision, current.summary = alert.revision, alert.summary
        return current
    if current is not None and current.done_at and now - current.done_at <= _s(holdoff_s):
        current.revision, current.state, current.done_at = alert.revision, WorkOrderState.OPEN, None
        current.occurrences += 1
        # Back again: nobody has taken this occurrence yet (the ledger keeps who closed it).
        current.acknowledged_at = current.acknowledged_by = current.done_by = None
        return current
    return WorkOrder(
        order_id=order_id(alert),
        condition_key=alert.condition_key,
        kind=alert.kind,
        compound_id=alert.compound_id,
        summary=alert.summary,
        opened_at=now,
        raised_at=alert.raised_at,
        due_at=now + _s(due_s),
        revision=alert.revision,
        building_id=alert.building_id,
        device_id=alert.device_id,
        gateway_id=alert.gateway_id,
    )


def _s(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)
