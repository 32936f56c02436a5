"""The ledger (台账): incidents with their conditions and tasks, transitions, pages, commands
and maintenance work orders. Every write of a batch is one transaction, audited.

Called from a worker thread by the dispatch shell (never on the event loop); one call at a
time (the shell holds its lock), so the connection is never shared between two threads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from alerts.ledger.audit import AuditLog
from alerts.ledger.batch import LedgerBatch, PageRecord
from alerts.ledger.db import Database
from alerts.ledger.rows import (
    COMMAND_COLUMNS,
    CONDITION_COLUMNS,
    INCIDENT_COLUMNS,
    TASK_COLUMNS,
    WORK_ORDER_COLUMNS,
    Row,
    at,
    incident_from,
    work_order_from,
)
from alerts.lifecycle import Incident, State, Transition
from alerts.linkage import CommandState, PendingCommand
from alerts.maintenance import WorkOrder, WorkOrderState
from events.alerts import LinkageAction
from events.commands import Command


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
_OPEN_OR_SINCE = "state <> ? OR resolved_at >= ?"


@dataclass(frozen=True, slots=True)
class Restored:
    incidents: list[Incident]
    work_orders: list[WorkOrder]
    commands: list[PendingCommand]


class Ledger:
    def __init__(self, db: Database) -> None:
        self.db = db
        db.migrate()
        self.audit = AuditLog(db)
        rows = db.query("SELECT COALESCE(MAX(id), 0) FROM transitions")
        self._transition_id = int(rows[0][0])

    def write(self, batch: LedgerBatch) -> None:
        """Everything of one dispatcher step, in one transaction."""
        if batch.is_empty:
            return
        with self.db.transaction():
            for row, condition_rows, task_rows in batch.incidents:
                self.db.execute(_SAVE_INCIDENT, row)
                for condition in condition_rows:
                    self.db.execute(_SAVE_CONDITION, condition)
                for task in task_rows:
                    self.db.execute(_SAVE_TASK, task)
            for transition in batch.transitions:
                self._transition(transition)
            for row in batch.commands:
                self.db.execute(_SAVE_COMMAND, row)
                command_id, incident_key, issued_at, confirmed_at = row[0], row[1], row[6], row[8]
                self.audit.append(
                    confirmed_at or issued_at,
                    "dispatch",
                    f"command_{row[-1]}",
                    incident_key,
                    {"command_id": command_id},
                )
            for row in batch.work_orders:
                self.db.execute(_SAVE_WORK_ORDER, row)
                self.audit.append(
                    row[8],
                    "dispatch",
                    f"work_order_{row[12]}",
                    row[1],
                    {"order_id": row[0], "revision": row[11]},
                )
            for page in batch.pages:
                self._page(page)

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
        )

    # -- reads ------------------------------------------------------------------------------
    def restore(self, resolved_since: datetime) -> Restored:
        """What dispatch keeps in memory: open incidents, those resolved since
        `resolved_since` (hold-off, replays), open or recently done work orders, and
        commands awaiting their read-back."""
        args = (State.RESOLVED.value, resolved_since.timestamp())
        incidents = self._incidents(_OPEN_OR_SINCE, args)
        orders = self.db.query(
            f"SELECT {', '.join(WORK_ORDER_COLUMNS)} FROM work_orders"  # noqa: S608 - fixed columns
            " WHERE state = ? OR done_at >= ?",
            (WorkOrderState.OPEN.value, resolved_since.timestamp()),
        )
        return Restored(incidents, [work_order_from(r) for r in orders], self.pending_commands())

    def _incidents(self, where: str, args: Sequence[Any]) -> list[Incident]:
        sub = f"SELECT incident_key FROM incidents WHERE {where}"  # noqa: S608 - fixed text
        rows = self.db.query(
            f"SELECT {', '.join(INCIDENT_COLUMNS)} FROM incidents WHERE {where}"  # noqa: S608 - fixed columns
            " ORDER BY opened_at",
            args,
        )
        conditions = self._children("incident_conditions", CONDITION_COLUMNS, sub, args)
        tasks = self._children("incident_tasks", TASK_COLUMNS, sub, args)
        return [incident_from(r, conditions.get(r[0], []), tasks.get(r[0], [])) for r in rows]

    def _children(
        self, table: str, columns: Sequence[str], sub: str, args: Sequence[Any]
    ) -> dict[str, list[Row]]:
        out: dict[str, list[Row]] = {}
        sql = f"SELECT {', '.join(columns)} FROM {table} WHERE incident_key IN ({sub})"  # noqa: S608 - fixed text
        for row in self.db.query(sql, args):
            out.setdefault(row[0], []).append(row)
        return out

    def open_incidents(self) -> list[Incident]:
        return self._incidents("state <> ?", (State.RESOLVED.value,))

    def incident(self, incident_key: str) -> Incident | None:
        found = self._incidents("incident_key = ?", (incident_key,))
        return found[0] if found else None

    def work_orders(self) -> list[WorkOrder]:
        rows = self.db.query(
            f"SELECT {', '.join(WORK_ORDER_COLUMNS)} FROM work_orders ORDER BY opened_at"  # noqa: S608 - fixed columns
        )
        return [work_order_from(r) for r in rows]

    def pending_commands(self) -> list[PendingCommand]:
        rows = self.db.query(
            "SELECT command_id, incident_key, action, compound_id, gateway_id, device_id,"
            " issued_at, deadline_at FROM commands WHERE state = ?",
            (CommandState.PENDING.value,),
        )
        out = []
        for cid, key, action, comp, gw, dev, issued, deadline in rows:
            cmd = Command(
                command_id=cid,
                incident_key=key,
                action=LinkageAction(action),
                compound_id=comp,
                gateway_id=gw,
                device_id=dev,
                issued_at=at(issued),
                readback_deadline_s=max(0.001, deadline - issued),
            )
            out.append(PendingCommand(cmd, at(deadline)))
        return out

    def transitions(self, incident_key: str) -> list[tuple[Any, ...]]:
        return self.db.query(
            "SELECT action, from_state, to_state, actor, at, source, detail FROM transitions"
            " WHERE incident_key = ? ORDER BY id",
            (incident_key,),
        )

    def purge_before(self, cutoff: datetime) -> dict[str, int]:
        """Retention: drop resolved incidents (and their records) resolved before `cutoff`,
        and work orders done before it."""
        old = "SELECT incident_key FROM incidents WHERE state = ? AND resolved_at < ?"
        args = (State.RESOLVED.value, cutoff.timestamp())
        children = (
            "transitions",
            "notifications",
            "commands",
            "incident_conditions",
            "incident_tasks",
        )
        with self.db.transaction():
            counts = {
                table: self.db.execute(
                    f"DELETE FROM {table} WHERE incident_key IN ({old})",  # noqa: S608 - fixed columns
                    args,
                )
                for table in children
            }
            counts["incidents"] = self.db.execute(
                "DELETE FROM incidents WHERE state = ? AND resolved_at < ?", args
            )
            counts["work_orders"] = self.db.execute(
                "DELETE FROM work_orders WHERE state = ? AND done_at < ?",
                (WorkOrderState.DONE.value, cutoff.timestamp()),
            )
            counts["audit_log"] = self.audit.purge_before(cutoff.timestamp())
            self.audit.append(cutoff.timestamp(), "retention", "purge", "ledger", counts)
        return counts
