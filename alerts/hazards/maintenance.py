"""Maintenance items of the people side: a missed patrol round, an outbound feed that keeps
failing. Since migration 0008 they are work orders (维保) in the ledger's one maintenance queue
(table work_orders, beside the devices' orders: `firewatch report` and the console list them
together), written through the audit chain. Each has a stable id, so it is opened once however
often the timer looks, and closed when the cause is gone (a feed delivering again); one that
comes back reopens the same order with one more occurrence (as a flapping device's does).

In the table: kind names what it is, condition_key the round or feed it is about, and an item
of no one compound (a feed) has compound_id '*'.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from alerts.hazards.ledger_audit import DESK, join_audit
from alerts.ledger.audit import AuditLog
from alerts.ledger.db import Database

NO_COMPOUND = "*"
_OPEN, _DONE = "open", "done"  # alerts.maintenance.WorkOrderState's values


class ItemKind(StrEnum):
    MISSED_ROUND = "missed_round"
    FEED_FAILING = "feed_failing"


@dataclass(frozen=True, slots=True)
class MaintenanceItem:
    item_id: str
    kind: ItemKind
    subject: str
    compound_id: str | None
    opened_at: datetime
    due_at: datetime
    detail: str
    closed_at: datetime | None = None


_KINDS = tuple(k.value for k in ItemKind)
_SELECT = (
    "SELECT order_id, kind, condition_key, compound_id, opened_at, due_at, summary, done_at"
    " FROM work_orders"
)


class MaintenanceItems:
    def __init__(self, db: Database, audit: AuditLog | None = None, actor: str = DESK) -> None:
        self.db = db
        self.audit = audit or join_audit(db)
        self.actor = actor

    def open(self, item: MaintenanceItem) -> bool:
        """Open the item unless it is open already; True when it is new (or back again)."""
        rows = self.db.query("SELECT state FROM work_orders WHERE order_id = ?", (item.item_id,))
        if rows and rows[0][0] == _OPEN:
            return False
        with self.db.transaction():
            if rows:  # closed before and back again: reopen it
                self.db.execute(
                    "UPDATE work_orders SET state = ?, done_at = NULL, opened_at = ?, due_at = ?,"
                    " summary = ?, revision = revision + 1, occurrences = occurrences + 1"
                    " WHERE order_id = ?",
                    (_OPEN, _ts(item.opened_at), _ts(item.due_at), item.detail, item.item_id),
                )
            else:
                self.db.execute(
                    "INSERT INTO work_orders (order_id, condition_key, kind, compound_id,"
                    " summary, opened_at, raised_at, due_at, revision, state, occurrences)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, 1)",
                    _insert_values(item),
                )
            self._audit(item.opened_at, f"work_order_{_OPEN}", item.item_id, item.subject)
        return True

    def close(self, item_id: str, at: datetime) -> bool:
        with self.db.transaction():
            count = self.db.execute(
                "UPDATE work_orders SET state = ?, done_at = ?, revision = revision + 1"
                " WHERE order_id = ? AND state = ?",
                (_DONE, _ts(at), item_id, _OPEN),
            )
            if count:
                self._audit(at, f"work_order_{_DONE}", item_id, None)
        return count > 0

    def open_items(self, kind: ItemKind | None = None) -> list[MaintenanceItem]:
        kinds = (kind.value,) if kind is not None else _KINDS
        marks = ", ".join("?" * len(kinds))
        rows = self.db.query(
            f"{_SELECT} WHERE state = ? AND kind IN ({marks}) ORDER BY opened_at",
            (_OPEN, *kinds),
        )
        return [_item(r) for r in rows]

    def _audit(self, at: datetime, action: str, item_id: str, subject: str | None) -> None:
        payload = {"order_id": item_id, "about": subject}
        rows = [("work_orders", (item_id,))]
        self.audit.append(_ts(at), self.actor, action, item_id, payload, rows)


def _insert_values(item: MaintenanceItem) -> tuple[Any, ...]:
    return (
        item.item_id,
        item.subject,
        item.kind.value,
        item.compound_id or NO_COMPOUND,
        item.detail,
        _ts(item.opened_at),
        _ts(item.opened_at),
        _ts(item.due_at),
        _OPEN,
    )


def _item(r: tuple[Any, ...]) -> MaintenanceItem:
    compound = None if r[3] == NO_COMPOUND else r[3]
    closed = _at(r[7]) if r[7] is not None else None
    return MaintenanceItem(r[0], ItemKind(r[1]), r[2], compound, _at(r[4]), _at(r[5]), r[6], closed)


def _ts(at: datetime) -> float:
    return at.timestamp()


def _at(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)
