"""Maintenance items of the people side (migration 0006): a missed patrol round, an outbound
feed that keeps failing. Each has a stable id, so it is opened once however often the timer
looks, and closed when the cause is gone (a feed delivering again).

Phase 2 seam: the incidents work (issue 10) keeps device-health work orders (维保); these can
join that list in the console and in `firewatch report` through `open_items`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from alerts.ledger.db import Database


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


class MaintenanceItems:
    def __init__(self, db: Database) -> None:
        self.db = db
        db.migrate()

    def open(self, item: MaintenanceItem) -> bool:
        """Open the item unless it is open already; True when it is new."""
        rows = self.db.query(
            "SELECT closed_at FROM maintenance_items WHERE item_id = ?", (item.item_id,)
        )
        with self.db.transaction():
            if rows and rows[0][0] is None:
                return False
            if rows:  # closed before and back again: reopen it
                self.db.execute(
                    "UPDATE maintenance_items SET closed_at = NULL, opened_at = ?, due_at = ?,"
                    " detail = ? WHERE item_id = ?",
                    (
                        item.opened_at.timestamp(),
                        item.due_at.timestamp(),
                        item.detail,
                        item.item_id,
                    ),
                )
                return True
            self.db.execute(
                "INSERT INTO maintenance_items (item_id, kind, subject, compound_id, opened_at,"
                " due_at, closed_at, detail) VALUES (?, ?, ?, ?, ?, ?, NULL, ?)",
                (
                    item.item_id,
                    item.kind.value,
                    item.subject,
                    item.compound_id,
                    item.opened_at.timestamp(),
                    item.due_at.timestamp(),
                    item.detail,
                ),
            )
        return True

    def close(self, item_id: str, at: datetime) -> bool:
        with self.db.transaction():
            count = self.db.execute(
                "UPDATE maintenance_items SET closed_at = ?"
                " WHERE item_id = ? AND closed_at IS NULL",
                (at.timestamp(), item_id),
            )
        return count > 0

    def open_items(self, kind: ItemKind | None = None) -> list[MaintenanceItem]:
        rows = self.db.query(
            "SELECT item_id, kind, subject, compound_id, opened_at, due_at, detail"
            " FROM maintenance_items WHERE closed_at IS NULL ORDER BY opened_at"
        )
        items = [
            MaintenanceItem(r[0], ItemKind(r[1]), r[2], r[3], _at(r[4]), _at(r[5]), r[6])
            for r in rows
        ]
        return [i for i in items if kind is None or i.kind is kind]


def _at(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)
