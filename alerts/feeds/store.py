"""The delivery ledger (migration 0006, table feed_deliveries): one row per feed and item,
delivered or waiting for its next try with the exact body, so nothing is lost when a recipient
is down and nothing is sent twice when the feed restarts (at least once per item, by event id).
Every attempt's row goes to the ledger's audit chain in its transaction: which recipient got
what, when, is part of the record (issue 18 item 4).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from alerts.hazards.ledger_audit import FEEDS, join_audit
from alerts.ledger.audit import AuditLog
from alerts.ledger.db import Database

DELIVERED, RETRYING = "delivered", "retrying"


@dataclass(frozen=True, slots=True)
class Pending:
    feed_id: str
    event_id: str
    item_kind: str
    compound_id: str
    attempts: int
    body: bytes


class DeliveryLedger:
    def __init__(self, db: Database, audit: AuditLog | None = None) -> None:
        self.db = db
        self.audit = audit or join_audit(db)

    def state(self, feed_id: str, event_id: str) -> str | None:
        rows = self.db.query(
            "SELECT state FROM feed_deliveries WHERE feed_id = ? AND event_id = ?",
            (feed_id, event_id),
        )
        return str(rows[0][0]) if rows else None

    def record(
        self,
        item: Pending,
        *,
        is_ok: bool,
        attempts: int,
        at: datetime,
        next_at: datetime | None,
        detail: str,
    ) -> None:
        state = DELIVERED if is_ok else RETRYING
        with self.db.transaction():
            updated = self.db.execute(
                "UPDATE feed_deliveries SET state = ?, attempts = ?, last_at = ?, next_at = ?,"
                " detail = ? WHERE feed_id = ? AND event_id = ?",
                (
                    state,
                    attempts,
                    at.timestamp(),
                    _ts(next_at),
                    detail[:500],
                    item.feed_id,
                    item.event_id,
                ),
            )
            if updated == 0:
                self.db.execute(
                    "INSERT INTO feed_deliveries (feed_id, event_id, item_kind, compound_id,"
                    " state, attempts, first_at, last_at, next_at, detail, body)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        item.feed_id,
                        item.event_id,
                        item.item_kind,
                        item.compound_id,
                        state,
                        attempts,
                        at.timestamp(),
                        at.timestamp(),
                        _ts(next_at),
                        detail[:500],
                        item.body.decode(),
                    ),
                )
            self.audit.append(
                at.timestamp(),
                FEEDS,
                f"feed_{state}",
                item.feed_id,
                {"event_id": item.event_id, "attempts": attempts, "detail": detail[:200]},
                [("feed_deliveries", (item.feed_id, item.event_id))],
            )

    def due(self, now: datetime) -> list[Pending]:
        rows = self.db.query(
            "SELECT feed_id, event_id, item_kind, compound_id, attempts, body FROM feed_deliveries"
            " WHERE state = ? AND next_at <= ? ORDER BY first_at",
            (RETRYING, now.timestamp()),
        )
        return [Pending(r[0], r[1], r[2], r[3], int(r[4]), str(r[5]).encode()) for r in rows]

    def next_retry_at(self) -> datetime | None:
        rows = self.db.query(
            "SELECT MIN(next_at) FROM feed_deliveries WHERE state = ?", (RETRYING,)
        )
        value = rows[0][0] if rows else None
        return datetime.fromtimestamp(value, UTC) if value is not None else None

    def counts(self, feed_id: str) -> dict[str, int]:
        rows = self.db.query(
            "SELECT state, COUNT(*) FROM feed_deliveries WHERE feed_id = ? GROUP BY state",
            (feed_id,),
        )
        return {str(r[0]): int(r[1]) for r in rows}


def _ts(at: datetime | None) -> float | None:
    return at.timestamp() if at is not None else None
