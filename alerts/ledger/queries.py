"""The ledger's reads (pure SQL over a Database): incidents with their conditions and tasks,
work orders, commands awaiting read-back, an incident's transitions. Called by
alerts.ledger.store under its lock."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from alerts.ledger.db import Database
from alerts.ledger.rows import (
    CONDITION_COLUMNS,
    INCIDENT_COLUMNS,
    TASK_COLUMNS,
    WORK_ORDER_COLUMNS,
    Row,
    at,
    incident_from,
    work_order_from,
)
from alerts.lifecycle import Incident, State
from alerts.linkage import CommandState, PendingCommand
from alerts.maintenance import WorkOrder, WorkOrderState
from events.alerts import AlertKind, LinkageAction
from events.commands import Command

OPEN_OR_SINCE = "state <> ? OR resolved_at >= ?"


def since(resolved_since: datetime) -> tuple[Any, ...]:
    """The arguments of OPEN_OR_SINCE."""
    return (State.RESOLVED.value, resolved_since.timestamp())


def incidents(db: Database, where: str, args: Sequence[Any]) -> list[Incident]:
    """Incidents matching `where` (fixed text, never input), oldest first, whole."""
    sub = f"SELECT incident_key FROM incidents WHERE {where}"  # noqa: S608 - fixed text
    rows = db.query(
        f"SELECT {', '.join(INCIDENT_COLUMNS)} FROM incidents WHERE {where}"  # noqa: S608 - fixed columns
        " ORDER BY opened_at",
        args,
    )
    conditions = _children(db, "incident_conditions", CONDITION_COLUMNS, sub, args)
    tasks = _children(db, "incident_tasks", TASK_COLUMNS, sub, args)
    return [incident_from(r, conditions.get(r[0], []), tasks.get(r[0], [])) for r in rows]


def _children(
    db: Database, table: str, columns: Sequence[str], sub: str, args: Sequence[Any]
) -> dict[str, list[Row]]:
    out: dict[str, list[Row]] = {}
    sql = f"SELECT {', '.join(columns)} FROM {table} WHERE incident_key IN ({sub})"  # noqa: S608 - fixed text
    for row in db.query(sql, args):
        out.setdefault(row[0], []).append(row)
    return out


def work_orders(db: Database, *, open_or_done_since: datetime | None = None) -> list[WorkOrder]:
    """Every device work order, or only the open ones and those done since
    `open_or_done_since`. The people side's orders in the same table (missed rounds, failing
    feeds: migration 0008) are not dispatch's: alerts.hazards.maintenance keeps them."""
    kinds = tuple(k.value for k in AlertKind)
    sql = (
        f"SELECT {', '.join(WORK_ORDER_COLUMNS)} FROM work_orders"  # noqa: S608 - fixed columns
        f" WHERE kind IN ({', '.join('?' * len(kinds))})"
    )
    args: tuple[Any, ...] = kinds
    if open_or_done_since is not None:
        sql += " AND (state = ? OR done_at >= ?)"
        args += (WorkOrderState.OPEN.value, open_or_done_since.timestamp())
    return [work_order_from(r) for r in db.query(sql + " ORDER BY opened_at", args)]


def pending_commands(db: Database) -> list[PendingCommand]:
    rows = db.query(
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


def transitions(db: Database, incident_key: str) -> list[tuple[Any, ...]]:
    return db.query(
        "SELECT action, from_state, to_state, actor, at, source, detail FROM transitions"
        " WHERE incident_key = ? ORDER BY id",
        (incident_key,),
    )
