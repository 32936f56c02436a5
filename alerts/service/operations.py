"""What the dispatcher core does to one incident (pure): record transitions, climb the ladder,
plan and command its linkage tasks, fold read-backs. Effects only, never I/O."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from alerts import tasks
from alerts.config import DispatchConfig
from alerts.escalation import Progress, due_steps, next_deadline
from alerts.lifecycle import Action, Incident, Task, Transition, task_key
from alerts.linkage import PendingCommand, make_command
from alerts.recipients import resolve
from alerts.registry.models import Member
from alerts.registry.registry import Registry
from alerts.service.effects import Effects, PageOrder
from alerts.snapshot import update_of
from events.alerts import Alert, Severity
from events.commands import Command
from events.incidents import PlaceScope, TaskKind, TaskState

SYSTEM = "dispatch"
_TASK_OF_ACTION = {action: kind for kind, action in tasks.ACTION_OF_TASK.items()}


class IncidentOps:
    def __init__(
        self, registry: Registry, config: DispatchConfig, commands: dict[str, PendingCommand]
    ) -> None:
        self.registry = registry
        self.config = config
        self.commands = commands  # the dispatcher's pending commands, shared

    # -- records ----------------------------------------------------------------------------
    def record(self, inc: Incident, t: Transition, fx: Effects) -> None:
        fx.transitions.append(t)
        fx.updates.append(update_of(inc, t))
        fx.touch(inc)

    def note(self, inc: Incident, now: datetime, detail: str, fx: Effects) -> None:
        t = inc.apply(Action.NOTE, actor=SYSTEM, at=now, source=SYSTEM, detail=detail)
        self.record(inc, t, fx)

    # -- the ladder -------------------------------------------------------------------------
    def escalate(self, inc: Incident, now: datetime, fx: Effects) -> None:
        """Send what linkage may go now, then fire every step that is due."""
        self._send(inc, now, fx)
        policy = self.config.escalation
        for step in due_steps(policy, _progress(inc), now):
            who = resolve(self.registry, step.tiers, inc.compound_id, inc.station_id, now)
            inc.fired_steps.add(step.step_id)
            # A station paged (mutual aid included) sees the incident on its console.
            inc.paged_stations |= _stations_of(self.registry, who.members)
            fx.pages.append(PageOrder(inc, step, who, now))
            names = [m.member_id for m in who.members] + list(who.terminals)
            names += ["119"] if who.is_forward_119 else []
            self.note(inc, now, f"escalation {step.step_id}: paged {names}", fx)
        inc.next_due_at = next_deadline(policy, _progress(inc))
        fx.touch(inc)

    # -- linkage tasks ----------------------------------------------------------------------
    def plan_tasks(self, inc: Incident, alert: Alert, now: datetime, fx: Effects) -> None:
        """Tasks the alert asks for, and the building's exits once it is a P1 fire there."""
        created = tasks.from_linkage(inc, alert.linkage, now)
        if inc.severity is Severity.P1 and inc.place.scope is PlaceScope.BUILDING:
            waiting = "released once the fire is confirmed (GB 50116 §4.1.6)"
            for door in self.registry.evacuation_doors(inc.compound_id, inc.building_id):
                task, is_new = tasks.ensure(
                    inc,
                    TaskKind.RELEASE_LOCKS,
                    door.device_id,
                    door.gateway_id,
                    at=now,
                    detail=waiting,
                )
                created += [task] if is_new else []
        if created:
            named = ", ".join(t.key for t in created)
            self.note(inc, now, f"linkage tasks: {named}", fx)

    def _send(self, inc: Incident, now: datetime, fx: Effects) -> None:
        if not inc.is_open:
            return
        deadline_s = self.config.readback_deadline_s
        for task in tasks.sendable(inc):
            action = tasks.ACTION_OF_TASK[task.kind]
            pending = make_command(
                inc.incident_key,
                inc.compound_id,
                action,
                task.device_id,
                task.gateway_id,
                now,
                deadline_s,
            )
            cid = pending.command.command_id
            task.command_id = cid
            sent = f"command sent, read-back within {deadline_s:g} s"
            tasks.move(task, TaskState.SENT, now, sent, is_readback=False)
            if cid in self.commands:
                continue
            self.commands[cid] = pending
            fx.commands.append(pending)
            self.note(inc, now, f"command {action.value} -> {task.device_id}", fx)

    def readback(self, inc: Incident, alert: Alert, now: datetime, fx: Effects) -> None:
        task = tasks.apply_readback(inc, alert, now)
        if task is not None:
            self._task_moved(inc, task, now, fx)

    def unreachable(self, inc: Incident, alert: Alert, now: datetime, fx: Effects) -> None:
        """A device or gateway of a task went offline while the incident is live."""
        for task in tasks.unreachable(inc, alert):
            detail = f"unreachable: {alert.kind.value.replace('_', ' ')}"
            if tasks.move(task, TaskState.FAILED, now, detail, is_readback=False):
                self._task_moved(inc, task, now, fx)

    def not_applicable(self, inc: Incident, now: datetime, fx: Effects) -> None:
        moved = tasks.not_applicable(inc, now, "assessed as no fire")
        if moved:
            self.note(inc, now, f"tasks not applicable: {[t.key for t in moved]}", fx)

    def command_result(  # noqa: PLR0917 - the result of one command
        self,
        inc: Incident,
        command: Command,
        state: TaskState,
        detail: str,
        now: datetime,
        fx: Effects,
    ) -> None:
        kind = _TASK_OF_ACTION.get(command.action)
        task = inc.tasks.get(task_key(kind, command.device_id)) if kind else None
        if task is None:
            self.note(inc, now, detail, fx)
            return
        if tasks.move(task, state, now, detail, is_readback=True):
            self._task_moved(inc, task, now, fx)

    def _task_moved(self, inc: Incident, task: Task, now: datetime, fx: Effects) -> None:
        self.note(inc, now, f"task {task.key}: {task.state.value} ({task.detail})", fx)
        if task.state is TaskState.FAILED:
            self.escalate(inc, now, fx)  # a failed task fires the ladder's next step early
        fx.touch(inc)


def _stations_of(registry: Registry, members: Iterable[Member]) -> set[str]:
    homes = (registry.home_of(m.member_id) for m in members)
    return {home[1] for home in homes if home is not None and home[0] == "station"}


def _progress(inc: Incident) -> Progress:
    return Progress(
        severity=inc.severity,
        opened_at=inc.severity_since or inc.opened_at,
        acknowledged_at=inc.acknowledged_at,
        on_scene_at=inc.on_scene_at,
        is_confirmed=inc.is_confirmed,
        has_delivery_failure=inc.delivery_failures > 0,
        fired=frozenset(inc.fired_steps),
        is_open=inc.is_open,
        has_task_failure=inc.task_failures > 0,
        is_unstaffed=inc.station_id is None,
    )
