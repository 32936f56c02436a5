"""The public side's own small database (SQLite): follow tokens and what each reporter may
see of their report's status, kept current from `fw.hazards.v1`.

Only the SHA-256 of a follow token is stored, so a copy of this file opens no follow link.
Statuses only move forward: an update older than the one kept (by hazard seq) is ignored, so a
replayed topic converges to the same page.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from events.hazards import HazardAction, HazardUpdate
from events.reports import HazardReport

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS follow_tokens (token_sha256 TEXT PRIMARY KEY,"
    " report_id TEXT NOT NULL, created_at REAL NOT NULL)",
    "CREATE TABLE IF NOT EXISTS reports (report_id TEXT PRIMARY KEY, category TEXT NOT NULL,"
    " compound_id TEXT NOT NULL, building_id TEXT, floor INTEGER, unit TEXT,"
    " reported_at REAL NOT NULL, state TEXT NOT NULL, hazard_id TEXT, seq INTEGER NOT NULL,"
    " updated_at REAL NOT NULL, deadline_at REAL, escalation TEXT NOT NULL, reason TEXT)",
)


@dataclass(frozen=True, slots=True)
class FollowView:
    report_id: str
    category: str
    compound_id: str
    building_id: str | None
    floor: int | None
    unit: str | None
    reported_at: datetime
    state: str  # "submitted" until dispatch registered it, then a HazardState value
    updated_at: datetime
    deadline_at: datetime | None
    escalation: str
    reason: str | None  # why it was dismissed, when it was


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class FollowStore:
    def __init__(self, path: Path) -> None:
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(path), check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        with self._conn:
            for statement in _SCHEMA:
                self._conn.execute(statement)

    def add(self, report: HazardReport, token: str) -> None:
        place, at = report.place, report.reported_at.timestamp()
        with self._conn:
            self._conn.execute(
                "INSERT INTO reports (report_id, category, compound_id, building_id, floor, unit,"
                " reported_at, state, seq, updated_at, escalation)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, 'submitted', 0, ?, 'none')",
                (
                    report.report_id,
                    report.category.value,
                    place.compound_id,
                    place.building_id,
                    place.floor,
                    place.unit,
                    at,
                    at,
                ),
            )
            self._conn.execute(
                "INSERT INTO follow_tokens (token_sha256, report_id, created_at) VALUES (?, ?, ?)",
                (token_digest(token), report.report_id, at),
            )

    def view(self, token: str) -> FollowView | None:
        row = self._conn.execute(
            "SELECT r.report_id, category, compound_id, building_id, floor, unit, reported_at,"
            " state, updated_at, deadline_at, escalation, reason FROM follow_tokens t"
            " JOIN reports r ON r.report_id = t.report_id WHERE t.token_sha256 = ?",
            (token_digest(token),),
        ).fetchone()
        if row is None:
            return None
        return FollowView(
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            row[5],
            _at(row[6]),
            row[7],
            _at(row[8]),
            _at(row[9]) if row[9] is not None else None,
            row[10],
            row[11],
        )

    def apply(self, update: HazardUpdate) -> int:
        """Bring the reports behind this hazard up to date; how many changed."""
        reason = update.detail if update.action is HazardAction.DISMISS else None
        deadline = update.deadline_at.timestamp() if update.deadline_at else None
        changed = 0
        with self._conn:
            for report_id in update.report_ids:
                cur = self._conn.execute(
                    "UPDATE reports SET state = ?, hazard_id = ?, seq = ?, updated_at = ?,"
                    " deadline_at = ?, escalation = ?, reason = COALESCE(?, reason)"
                    " WHERE report_id = ? AND (hazard_id IS NULL OR seq < ?)",
                    (
                        update.state.value,
                        update.hazard_id,
                        update.seq,
                        update.at.timestamp(),
                        deadline,
                        update.escalation.value,
                        reason,
                        report_id,
                        update.seq,
                    ),
                )
                changed += cur.rowcount
        return changed

    def close(self) -> None:
        self._conn.close()


def _at(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)
