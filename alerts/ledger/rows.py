"""Ledger rows (pure): incidents, their conditions and tasks, commands, work orders <-> tuples.

Rows are built on the event loop (a snapshot of the state the effects describe) and written
by the ledger in a worker thread, so the database never holds up dispatch.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from alerts.lifecycle import Assessment, Condition, Incident, Outcome, State, Task
from alerts.linkage import PendingCommand
from alerts.maintenance import WorkOrder, WorkOrderState
from events.alerts import AlertKind, AlertStatus, Severity
from events.incidents import (
    DispatchNote,
    DispatchReason,
    IncidentPlace,
    PlaceScope,
    TaskKind,
    TaskState,
)

Row = tuple[Any, ...]


def _columns(names: str) -> tuple[str, ...]:
    return tuple(names.split())


INCIDENT_COLUMNS = _columns(
    "incident_key compound_id place_scope place_id building_id severity state title seq "
    "station_id dispatch_reason dispatch_text opened_at raised_at severity_since "
    "acknowledged_at on_scene_at resolved_at assessment outcome false_alarm_cause is_muted "
    "reopened fired_steps delivery_failures next_due_at assignee paged_stations"
)
CONDITION_COLUMNS = _columns(
    "incident_key condition_key kind severity status revision raised_at summary device_id "
    "area_id gateway_id sources"
)
TASK_COLUMNS = _columns(
    "incident_key task_key kind device_id gateway_id state detail command_id updated_at"
)
WORK_ORDER_COLUMNS = _columns(
    "order_id condition_key kind compound_id building_id device_id gateway_id summary "
    "opened_at raised_at due_at revision state done_at occurrences acknowledged_at "
    "acknowledged_by done_by"
)
COMMAND_COLUMNS = _columns(
    "command_id incident_key action compound_id gateway_id device_id issued_at deadline_at "
    "confirmed_at state"
)


def ts(at: datetime | None) -> float | None:
    return at.timestamp() if at is not None else None


def dt(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None


def at(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def incident_row(inc: Incident) -> Row:
    p, note = inc.place, inc.dispatch
    return (
        inc.incident_key,
        p.compound_id,
        p.scope.value,
        p.place_id,
        p.building_id,
        inc.severity.value,
        inc.state.value,
        inc.title,
        inc.seq,
        inc.station_id,
        (note.reason if note else DispatchReason.UNRECORDED).value,
        inc.dispatch_reason,
        inc.opened_at.timestamp(),
        inc.raised_at.timestamp(),
        ts(inc.severity_since),
        ts(inc.acknowledged_at),
        ts(inc.on_scene_at),
        ts(inc.resolved_at),
        inc.assessment.value if inc.assessment else None,
        inc.outcome.value if inc.outcome else None,
        inc.false_alarm_cause,
        int(inc.is_muted),
        inc.reopened,
        json.dumps(sorted(inc.fired_steps)),
        inc.delivery_failures,
        ts(inc.next_due_at),
        inc.assignee,
        json.dumps(sorted(inc.paged_stations)),
    )


def condition_rows(inc: Incident) -> list[Row]:
    return [
        (
            inc.incident_key,
            c.condition_key,
            c.kind.value,
            c.severity.value,
            c.status.value,
            c.revision,
            c.raised_at.timestamp(),
            c.summary,
            c.device_id,
            c.area_id,
            c.gateway_id,
            json.dumps(list(c.sources)),
        )
        for c in inc.conditions.values()
    ]


def task_rows(inc: Incident) -> list[Row]:
    return [
        (
            inc.incident_key,
            t.key,
            t.kind.value,
            t.device_id,
            t.gateway_id,
            t.state.value,
            t.detail,
            t.command_id,
            t.updated_at.timestamp(),
        )
        for t in inc.tasks.values()
    ]


def command_row(p: PendingCommand) -> Row:
    c = p.command
    return (
        c.command_id,
        c.incident_key,
        c.action.value,
        c.compound_id,
        c.gateway_id,
        c.device_id,
        c.issued_at.timestamp(),
        p.deadline_at.timestamp(),
        ts(p.confirmed_at),
        p.state.value,
    )


def work_order_row(w: WorkOrder) -> Row:
    return (
        w.order_id,
        w.condition_key,
        w.kind.value,
        w.compound_id,
        w.building_id,
        w.device_id,
        w.gateway_id,
        w.summary,
        w.opened_at.timestamp(),
        w.raised_at.timestamp(),
        w.due_at.timestamp(),
        w.revision,
        w.state.value,
        ts(w.done_at),
        w.occurrences,
        ts(w.acknowledged_at),
        w.acknowledged_by,
        w.done_by,
    )


def incident_from(r: Row, conditions: list[Row], tasks: list[Row]) -> Incident:
    d = dict(zip(INCIDENT_COLUMNS, r, strict=True))
    place = IncidentPlace(
        compound_id=d["compound_id"],
        scope=PlaceScope(d["place_scope"]),
        place_id=d["place_id"],
        building_id=d["building_id"],
    )
    note = DispatchNote(
        station_id=d["station_id"],
        reason=DispatchReason(d["dispatch_reason"]),
        text=d["dispatch_text"],
    )
    inc = Incident(
        incident_key=d["incident_key"],
        place=place,
        severity=Severity(d["severity"]),
        opened_at=at(d["opened_at"]),
        raised_at=at(d["raised_at"]),
        title=d["title"],
        state=State(d["state"]),
        seq=int(d["seq"]),
        severity_since=dt(d["severity_since"]),
        dispatch=note,
        acknowledged_at=dt(d["acknowledged_at"]),
        on_scene_at=dt(d["on_scene_at"]),
        resolved_at=dt(d["resolved_at"]),
        assessment=Assessment(d["assessment"]) if d["assessment"] else None,
        outcome=Outcome(d["outcome"]) if d["outcome"] else None,
        false_alarm_cause=d["false_alarm_cause"],
        is_muted=bool(d["is_muted"]),
        reopened=int(d["reopened"]),
        fired_steps=set(json.loads(d["fired_steps"])),
        delivery_failures=int(d["delivery_failures"]),
        next_due_at=dt(d["next_due_at"]),
        assignee=d["assignee"],
        paged_stations=set(json.loads(d["paged_stations"] or "[]")),
    )
    for c in conditions:
        cond = _condition_from(c)
        inc.conditions[cond.condition_key] = cond
    for t in tasks:
        task = _task_from(t)
        inc.tasks[task.key] = task
    return inc


def _condition_from(r: Row) -> Condition:
    d = dict(zip(CONDITION_COLUMNS, r, strict=True))
    return Condition(
        condition_key=d["condition_key"],
        kind=AlertKind(d["kind"]),
        severity=Severity(d["severity"]),
        status=AlertStatus(d["status"]),
        revision=int(d["revision"]),
        raised_at=at(d["raised_at"]),
        summary=d["summary"],
        device_id=d["device_id"],
        area_id=d["area_id"],
        gateway_id=d["gateway_id"],
        sources=tuple(json.loads(d["sources"])),
    )


def _task_from(r: Row) -> Task:
    d = dict(zip(TASK_COLUMNS, r, strict=True))
    return Task(
        kind=TaskKind(d["kind"]),
        device_id=d["device_id"],
        gateway_id=d["gateway_id"],
        state=TaskState(d["state"]),
        updated_at=at(d["updated_at"]),
        detail=d["detail"],
        command_id=d["command_id"],
    )


def work_order_from(r: Row) -> WorkOrder:
    d = dict(zip(WORK_ORDER_COLUMNS, r, strict=True))
    return WorkOrder(
        order_id=d["order_id"],
        condition_key=d["condition_key"],
        kind=AlertKind(d["kind"]),
        compound_id=d["compound_id"],
        summary=d["summary"],
        opened_at=at(d["opened_at"]),
        raised_at=at(d["raised_at"]),
        due_at=at(d["due_at"]),
        revision=int(d["revision"]),
        building_id=d["building_id"],
        device_id=d["device_id"],
        gateway_id=d["gateway_id"],
        state=WorkOrderState(d["state"]),
        done_at=dt(d["done_at"]),
        occurrences=int(d["occurrences"]),
        acknowledged_at=dt(d["acknowledged_at"]),
        acknowledged_by=d["acknowledged_by"],
        done_by=d["done_by"],
    )
