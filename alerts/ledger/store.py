"""The ledger (台账): incidents with their conditions and tasks, transitions, pages, commands
and maintenance work orders. Every write of a batch is one transaction, and every row it
writes is passed to the signed audit chain inside that transaction (alerts/ledger/audit.py).

Called from a worker thread by the dispatch shell (never on the event loop). One call at a
time, under the ledger's own lock: the audit chain reads its head inside the writing
transaction, so two threads on the one connection would interleave two transactions (and a
checkpoint could sign a head that is then rolled back).
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from alerts.ledger import queries
from alerts.ledger.audit import AuditLog, RowRef
from alerts.ledger.audit_checkpoints import Checkpoint
from alerts.ledger.audit_keys import Keyring
from alerts.ledger.batch import LedgerBatch, PageRecord
from alerts.ledger.db import Database
from alerts.ledger.rows import (
    COMMAND_COLUMNS,
    CONDITION_COLUMNS,
    INCIDENT_COLUMNS,
    TASK_COLUMNS,
    WORK_ORDER_COLUMNS,
    Row,
)
from alerts.ledger.sharing import StepClaim, claim_step, migration_lock, serialize_writers
from alerts.lifecycle import Incident, State, Transition
from alerts.linkage import PendingCommand
from alerts.maintenance import WorkOrder, WorkOrderState

P = ParamSpec("P")
R = TypeVar("R")


def _upsert(table: str, columns: Sequence[str], keys: Sequence[str]) -> str:
    """INSERT ... ON CONFLICT DO UPDATE (SQLite >= 3.24 and PostgreSQL alike), built once
    from the fixed column lists of alerts.ledger.rows, never from input."""
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in keys)
    marks = ", ".join("?" * len(columns))
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608 - fixed columns
        f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
    )


_SAVE_INCIDENT = _upsert("incidents", INCIDENT_COLUMNS, ("incident_key",))
_SAVE_CONDITION = _upsert("incident_conditions", CONDITION_COLUMNS, CONDITION_COLUMNS[:2])
_SAVE_TASK = _upsert("incident_tasks", TASK_COLUMNS, TASK_COLUMNS[:2])
_SAVE_COMMAND = _upsert("commands", COMMAND_COLUMNS, ("command_id",))
_SAVE_WORK_ORDER = _upsert("work_orders", WORK_ORDER_COLUMNS, ("order_id",))
# Records of an incident, deleted with it by retention; `incidents` itself last, since the
# others find their rows through it. incidents_v1 holds the v1 copies (migration 0007).
_INCIDENT_RECORDS = (
    "transitions",
    "notifications",
    "commands",
    "incident_conditions",
    "incident_tasks",
    "incidents_v1",
    "incidents",
)


def _locked(method: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(method)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        ledger = args[0]
        assert isinstance(ledger, Ledger)
        with ledger.lock:
            return method(*args, **kwargs)

    return run


@dataclass(frozen=True, slots=True)
class Restored:
    incidents: list[Incident]
    work_orders: list[WorkOrder]
    commands: list[PendingCommand]


class Ledger:
    def __init__(
        self,
        db: Database,
        keyring: Keyring | None = None,
        checkpoint_file: Path | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        """`keyring` signs the audit chain; `checkpoint_file` receives its signed checkpoints
        (alerts/ledger/audit.py). Without a keyring the chain is checkable but not anchored."""
        self.db = db
        self.lock = threading.RLock()
        with migration_lock(db):  # two instances starting together migrate once
            applied = db.migrate()
            self.audit = AuditLog(db, keyring, checkpoint_file, adopt_migrations=applied, now=now)
        self._now = now
        self._transition_id = 0

    @_locked
    def write(self, batch: LedgerBatch) -> None:
        """Everything of one dispatcher step, in one transaction."""
        if batch.is_empty:
            return
        with self.db.transaction():
            serialize_writers(self.db)
            # Read under the writers' lock: another instance may have added transitions.
            rows = self.db.query("SELECT COALESCE(MAX(id), 0) FROM transitions")
            self._transition_id = int(rows[0][0])
            for row, condition_rows, task_rows in batch.incidents:
                self._incident(row, condition_rows, task_rows)
            for transition in batch.transitions:
                self._transition(transition)
            for row in batch.commands:
                self._command(row)
            for row in batch.work_orders:
                self._work_order(row)
            for page in batch.pages:
                self._page(page)

    @_locked
    def claim_step(self, pages: Sequence[PageRecord], owner: str, lease_s: float) -> StepClaim:
        """Claim one ladder step's pages for `owner` (alerts/ledger/sharing.py): ELSEWHERE
        when another dispatch instance fired that step, or is firing it now."""
        with self.db.transaction():
            serialize_writers(self.db)
            return claim_step(self.db, self.audit, pages, owner, lease_s, self._now())

    @_locked
    def checkpoint(self) -> Checkpoint | None:
        """Sign the committed head of the audit chain (outside any write: under the lock)."""
        return self.audit.checkpoint()

    @_locked
    def close(self) -> None:
        """After any write in flight (a cancelled step's worker thread still finishes it)."""
        self.db.close()

    @_locked
    def ping(self) -> None:
        """A round trip to the database (readiness): raises when it is unreachable."""
        self.db.ping()

    def _incident(self, row: Row, condition_rows: list[Row], task_rows: list[Row]) -> None:
        key = row[0]
        self.db.execute(_SAVE_INCIDENT, row)
        refs: list[RowRef] = [("incidents", (key,))]
        for condition in condition_rows:
            self.db.execute(_SAVE_CONDITION, condition)
            refs.append(("incident_conditions", condition[:2]))
        for task in task_rows:
            self.db.execute(_SAVE_TASK, task)
            refs.append(("incident_tasks", task[:2]))
        state, seq = row[INCIDENT_COLUMNS.index("state")], row[INCIDENT_COLUMNS.index("seq")]
        self.audit.append(
            self._now(), "dispatch", "incident_saved", key, {"state": state, "seq": seq}, refs
        )

    def _command(self, row: Row) -> None:
        self.db.execute(_SAVE_COMMAND, row)
        command_id, incident_key, issued_at, confirmed_at = row[0], row[1], row[6], row[8]
        self.audit.append(
            confirmed_at or issued_at,
            "dispatch",
            f"command_{row[-1]}",
            incident_key,
            {"command_id": command_id},
            rows=[("commands", (command_id,))],
        )

    def _work_order(self, row: Row) -> None:
        self.db.execute(_SAVE_WORK_ORDER, row)
        order_id = row[0]
        self.audit.append(
            row[8],
            "dispatch",
            f"work_order_{row[12]}",
            row[1],
            {"order_id": order_id, "revision": row[11]},
            rows=[("work_orders", (order_id,))],
        )

    def _transition(self, t: Transition) -> None:
        self._transition_id += 1
        self.db.execute(
            "INSERT INTO transitions (id, incident_key, action, from_state, to_state, actor,"
            " at, source, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                self._transition_id,
                t.incident_key,
                t.action.value,
                t.from_state.value,
                t.to_state.value,
                t.actor,
                t.at.timestamp(),
                t.source,
                t.detail,
            ),
        )
        self.audit.append(
            t.at.timestamp(),
            t.actor,
            t.action.value,
            t.incident_key,
            {
                "from": t.from_state.value,
                "to": t.to_state.value,
                "source": t.source,
                "detail": t.detail,
            },
            rows=[("transitions", (self._transition_id,))],
        )

    def _page(self, p: PageRecord) -> None:
        self.db.execute(
            "INSERT INTO notifications (incident_key, step_id, recipient, channel, at, is_ok,"
            " detail) VALUES (?, ?, ?, ?, ?, ?, ?)"
            # a step re-fired after a restart pages again (at least once): keep the last
            " ON CONFLICT (incident_key, step_id, recipient, channel) DO UPDATE SET"
            " at = excluded.at, is_ok = excluded.is_ok, detail = excluded.detail",
            (
                p.incident_key,
                p.step_id,
                p.recipient,
                p.channel,
                p.at.timestamp(),
                int(p.is_ok),
                p.detail,
            ),
        )
        self.audit.append(
            p.at.timestamp(),
            "dispatch",
            "page",
            p.incident_key,
            {
                "step": p.step_id,
                "to": p.recipient,
                "channel": p.channel,
                "ok": p.is_ok,
                "detail": p.detail,
            },
            rows=[("notifications", (p.incident_key, p.step_id, p.recipient, p.channel))],
        )

    # -- reads (alerts.ledger.queries) ------------------------------------------------------
    @_locked
    def restore(self, resolved_since: datetime) -> Restored:
        """What dispatch keeps in memory: open incidents, those resolved since
        `resolved_since` (hold-off, replays), open or recently done work orders, and
        commands awaiting their read-back."""
        return Restored(
            queries.incidents(self.db, queries.OPEN_OR_SINCE, queries.since(resolved_since)),
            queries.work_orders(self.db, open_or_done_since=resolved_since),
            queries.pending_commands(self.db),
        )

    @_locked
    def open_incidents(self) -> list[Incident]:
        return queries.incidents(self.db, "state <> ?", (State.RESOLVED.value,))

    @_locked
    def incident(self, incident_key: str) -> Incident | None:
        found = queries.incidents(self.db, "incident_key = ?", (incident_key,))
        return found[0] if found else None

    @_locked
    def work_orders(self) -> list[WorkOrder]:
        return queries.work_orders(self.db)

    @_locked
    def pending_commands(self) -> list[PendingCommand]:
        return queries.pending_commands(self.db)

    @_locked
    def transitions(self, incident_key: str) -> list[tuple[Any, ...]]:
        return queries.transitions(self.db, incident_key)

    @_locked
    def purge_before(self, cutoff: datetime) -> dict[str, int]:
        """Retention: drop resolved incidents (and their records) resolved before `cutoff`,
        and work orders done before it; the audit records what went (keys_where before the
        deletes) and keeps its chain checkable."""
        old = "SELECT incident_key FROM incidents WHERE state = ? AND resolved_at < ?"
        args: tuple[Any, ...] = (State.RESOLVED.value, cutoff.timestamp())
        deletes = [(table, f"incident_key IN ({old})", args) for table in _INCIDENT_RECORDS]
        done = (WorkOrderState.DONE.value, cutoff.timestamp())
        deletes.append(("work_orders", "state = ? AND done_at < ?", done))
        deleted: list[RowRef] = []
        counts: dict[str, int] = {}
        with self.db.transaction():
            serialize_writers(self.db)
            for table, where, params in deletes:
                deleted += [(table, k) for k in self.audit.keys_where(table, where, params)]
                sql = f"DELETE FROM {table} WHERE {where}"  # noqa: S608 - fixed tables and text
                counts[table] = self.db.execute(sql, params)
            counts["audit_log"] = self.audit.purge_before(cutoff.timestamp(), deleted, counts)
        return counts
