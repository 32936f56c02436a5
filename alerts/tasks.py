"""Linkage tasks of an incident (pure): what must happen to which device, and where it stands.

Three kinds (events.incidents.TaskKind): cut a charging port's power (asked for by the alert:
thermal runaway, smoke near charging, leakage), release an evacuation exit (every exit of the
building the registry lists, GB 55024-2022 §5.3.6) and shut a normally-closed fire door (GB
50016-2014 §6.5.1). Their state moves on commands, read-backs and device health:

    pending -> sent -> confirmed | failed;  pending -> not_applicable (fire denied)

A read-back in the unsafe state (door open, exit locked) fails a task even after it was
confirmed (someone re-opened the door); an unreachable device fails only what is not yet
confirmed (an exit already released stays released: fail-safe hardware).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from alerts.lifecycle import Incident, Task, task_key
from events.alerts import Alert, AlertKind, AlertStatus, LinkageAction, LinkageRequest
from events.incidents import TaskKind, TaskState

_KIND_OF_ACTION = {
    LinkageAction.CUT_POWER: TaskKind.CUT_POWER,
    LinkageAction.RELEASE_LOCKS: TaskKind.RELEASE_LOCKS,
}
ACTION_OF_TASK = {
    TaskKind.CUT_POWER: LinkageAction.CUT_POWER,
    TaskKind.RELEASE_LOCKS: LinkageAction.RELEASE_LOCKS,
}
# Tasks whose command waits for a confirmed fire (GB 50116-2013 §4.1.6: linkage on the AND of
# two independent alarm devices, or a person's confirmation). A power cut does not wait: a
# runaway port is isolated at once (GB 50166-2019 §4.1.3, linkage within 3 s).
NEEDS_CONFIRMATION = frozenset({TaskKind.RELEASE_LOCKS})


def ensure(
    inc: Incident, kind: TaskKind, device_id: str, gateway_id: str, *, at: datetime, detail: str
) -> tuple[Task, bool]:
    """The task, created pending when new; True when it was created."""
    key = task_key(kind, device_id)
    task = inc.tasks.get(key)
    if task is not None:
        if gateway_id and not task.gateway_id:
            task.gateway_id = gateway_id
        return task, False
    task = Task(kind, device_id, gateway_id, TaskState.PENDING, at, detail)
    inc.tasks[key] = task
    return task, True


def from_linkage(inc: Incident, linkage: Iterable[LinkageRequest], at: datetime) -> list[Task]:
    """Tasks the alert asks for (new ones only)."""
    created = []
    for request in linkage:
        kind = _KIND_OF_ACTION.get(request.action)
        if kind is None:
            continue
        task, is_new = ensure(
            inc, kind, request.device_id, request.gateway_id, at=at, detail=request.reason
        )
        if is_new:
            created.append(task)
    return created


def sendable(inc: Incident) -> list[Task]:
    """Pending tasks whose command may go out now."""
    return [
        t
        for t in inc.tasks.values()
        if t.state is TaskState.PENDING
        and t.kind in ACTION_OF_TASK
        and (t.kind not in NEEDS_CONFIRMATION or inc.is_confirmed)
    ]


def move(task: Task, state: TaskState, at: datetime, detail: str, *, is_readback: bool) -> bool:
    """Set the task's state if the move is allowed; True when it changed."""
    if task.state is state or task.state is TaskState.NOT_APPLICABLE:
        return False
    if task.state is TaskState.CONFIRMED and not (is_readback and state is TaskState.FAILED):
        return False
    task.state, task.updated_at, task.detail = state, at, detail
    return True


def apply_readback(inc: Incident, alert: Alert, at: datetime) -> Task | None:
    """Fold a linkage read-back condition (events.alerts LINKAGE family) into its task;
    the task when it changed. An exit still locked before its release was confirmed is
    expected (the command may be in flight): only the words change, the read-back deadline
    decides. A fire door open in a fire has no command: someone must shut it (failed)."""
    is_unsafe = alert.status is not AlertStatus.CLEARED
    device, gateway = alert.device_id or "", alert.gateway_id or ""
    if alert.kind is AlertKind.FIRE_DOOR_OPEN_IN_FIRE:
        task, _new = ensure(inc, TaskKind.CLOSE_FIRE_DOOR, device, gateway, at=at, detail="")
        state, words = (
            (TaskState.FAILED, "open during the fire")
            if is_unsafe
            else (TaskState.CONFIRMED, "closed")
        )
        return task if move(task, state, at, words, is_readback=True) else None
    if alert.kind is not AlertKind.EVAC_LOCKS_NOT_RELEASED:
        return None
    task, is_new = ensure(inc, TaskKind.RELEASE_LOCKS, device, gateway, at=at, detail="")
    if not is_unsafe:
        changed = move(task, TaskState.CONFIRMED, at, "locks released", is_readback=True)
        return task if changed or is_new else None
    if task.state is TaskState.CONFIRMED:
        move(task, TaskState.FAILED, at, "locked again during the fire", is_readback=True)
        return task
    task.detail = "locks still engaged"
    return task if is_new else None


def unreachable(inc: Incident, alert: Alert) -> list[Task]:
    """Tasks an offline device or gateway blocks (device health during a live incident)."""
    if alert.status is AlertStatus.CLEARED:
        return []
    if alert.kind is AlertKind.GATEWAY_OFFLINE:
        gateway = alert.gateway_id or alert.device_id
        return [t for t in inc.tasks.values() if t.gateway_id and t.gateway_id == gateway]
    if alert.kind is AlertKind.DEVICE_OFFLINE:
        return [t for t in inc.tasks.values() if t.device_id == alert.device_id]
    return []


def not_applicable(inc: Incident, at: datetime, detail: str) -> list[Task]:
    """Pending tasks no longer needed (the fire was assessed as none)."""
    moved = []
    for task in inc.tasks.values():
        if task.state is TaskState.PENDING:
            task.state, task.updated_at, task.detail = TaskState.NOT_APPLICABLE, at, detail
            moved.append(task)
    return moved
