"""The dispatch service layer: alerts in, incidents, pages, escalation, commands, read-back.

One incident per alert incident key: revisions update it, so an alert storm pages each
recipient once. Time comes from the injected clock; deadlines are persisted on the incident
(`next_due_at`) and the commands table, so a restarted service re-arms them from the ledger.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from alerts.clock import Clock
from alerts.config import DispatchConfig
from alerts.escalation import Progress, Step, due_steps, next_deadline
from alerts.ledger.store import Ledger
from alerts.lifecycle import Action, Incident, Outcome, Transition
from alerts.linkage import (
    CommandState,
    PendingCommand,
    describe_miss,
    is_confirmed_by,
    make_command,
    not_confirmed_alert,
)
from alerts.recipients import resolve
from alerts.registry.registry import Registry
from alerts.routing import route
from alerts.service.pager import Pager
from alerts.service.ports import Outbox
from events.alerts import (
    Alert,
    AlertKind,
    AlertStatus,
    LinkageAction,
    LinkageRequest,
    Severity,
)

log = logging.getLogger(__name__)

SYSTEM = "dispatch"
_RANK = {Severity.P1: 1, Severity.P2: 2, Severity.P3: 3}
# Kinds that are a fire once confirmed: they release the building's evacuation-route locks.
FIRE_KINDS = frozenset({AlertKind.FIRE, AlertKind.THERMAL_RUNAWAY, AlertKind.SMOKE_NEAR_CHARGING})


class Dispatcher:
    def __init__(  # noqa: PLR0917 - the ports the service layer is composed of
        self,
        registry: Registry,
        config: DispatchConfig,
        ledger: Ledger,
        pager: Pager,
        outbox: Outbox,
        clock: Clock,
        on_change: Callable[[Incident], None] = lambda _inc: None,
    ) -> None:
        self.registry = registry
        self.config = config
        self.ledger = ledger
        self.pager = pager
        self.outbox = outbox
        self.clock = clock
        self.on_change = on_change
        self.incidents: dict[str, Incident] = {}  # open incidents by alert key
        self.commands: dict[str, PendingCommand] = {}  # pending by command id
        self.alerts_seen = 0
        self.alerts_ignored = 0
        self._outgoing: list[tuple[Incident, Transition]] = []

    def restore(self) -> int:
        """Re-arm open incidents and pending commands from the ledger (after a restart)."""
        for inc in self.ledger.open_incidents():
            self.incidents[inc.alert_key] = inc
        for pending in self.ledger.pending_commands():
            self.commands[pending.command.command_id] = pending
        return len(self.incidents) + len(self.commands)

    # -- alerts in --------------------------------------------------------------------------
    async def handle_alert(self, alert: Alert) -> Incident | None:
        try:
            return await self._handle_alert(alert)
        finally:
            await self._flush()

    async def _handle_alert(self, alert: Alert) -> Incident | None:
        self.alerts_seen += 1
        inc = self.incidents.get(alert.incident_key)
        if inc is not None:
            if alert.revision <= inc.revision:
                self.alerts_ignored += 1  # a duplicate or a storm revision already applied
                return inc
            await self._update(inc, alert)
            return inc
        if alert.status is AlertStatus.CLEARED:
            self.alerts_ignored += 1
            return None
        count, max_revision, resolved_at = self.ledger.last_occurrence(alert.incident_key)
        is_new = count == 0 or alert.revision > max_revision
        is_new = is_new or (resolved_at is not None and alert.raised_at > resolved_at)
        if not is_new:
            self.alerts_ignored += 1  # a replay of an incident already closed
            return None
        key = alert.incident_key if count == 0 else f"{alert.incident_key}~{count + 1}"
        return await self._open(key, alert)

    async def _open(self, key: str, alert: Alert) -> Incident:
        now = self.clock.now()
        inc = Incident(
            incident_key=key, alert_key=alert.incident_key, kind=alert.kind,
            severity=alert.severity, compound_id=alert.compound_id, opened_at=now,
            building_id=alert.building_id, device_id=alert.device_id, summary=alert.summary,
            revision=alert.revision, confirmations=_sources(alert),
        )  # fmt: skip
        self.incidents[alert.incident_key] = inc
        decision = route(self.registry, inc.compound_id, now, self.busy_stations())
        inc.station_id = decision.station_id
        inc.dispatch_reason = decision.explain()
        self._record(inc, inc.apply(Action.DISPATCH, actor=SYSTEM, at=now, source=SYSTEM,
                                    detail=inc.dispatch_reason))  # fmt: skip
        await self._issue(inc, alert.linkage, now)
        await self._escalate(inc, now)
        return inc

    async def _update(self, inc: Incident, alert: Alert) -> None:
        inc.revision = alert.revision
        now = self.clock.now()
        sources = _sources(alert) - inc.confirmations
        is_material = bool(sources) or _RANK[alert.severity] < _RANK[inc.severity]
        inc.confirmations |= sources
        if _RANK[alert.severity] < _RANK[inc.severity]:
            inc.severity = alert.severity
        if alert.status is AlertStatus.CLEARED:
            # The condition ended; the incident stays open until a person resolves it.
            self._note(inc, now, f"condition cleared (revision {alert.revision})")
        elif is_material:
            self._note(inc, now, f"revision {alert.revision}: sources {sorted(inc.confirmations)}")
        await self._issue(inc, alert.linkage, now)
        if is_material:
            await self._escalate(inc, now)

    # -- people act -------------------------------------------------------------------------
    async def act(  # noqa: PLR0917
        self,
        incident_key: str,
        action: Action,
        actor: str,
        source: str,
        outcome: Outcome | None = None,
        cause: str | None = None,
    ) -> Incident:
        inc = self.find(incident_key)
        if inc is None:
            raise KeyError(incident_key)
        now = self.clock.now()
        t = inc.apply(action, actor=actor, at=now, source=source, outcome=outcome, cause=cause)
        if not inc.is_open:
            self.incidents.pop(inc.alert_key, None)
        self._record(inc, t)
        await self._escalate(inc, now)  # a confirmation forwards to 119 at once
        await self._flush()
        return inc

    def find(self, incident_key: str) -> Incident | None:
        return next((i for i in self.incidents.values() if i.incident_key == incident_key), None)

    def busy_stations(self) -> dict[str, str]:
        return {
            i.station_id: i.incident_key
            for i in self.incidents.values()
            if i.station_id and i.severity in self.config.busy_on and i.is_open
        }

    # -- time -------------------------------------------------------------------------------
    async def tick(self) -> None:
        now = self.clock.now()
        for inc in list(self.incidents.values()):
            if inc.next_due_at is not None and now >= inc.next_due_at:
                await self._escalate(inc, now)
        for pending in list(self.commands.values()):
            if now >= pending.deadline_at:
                await self._command_missed(pending, now)
        await self._flush()

    def next_due_at(self) -> datetime | None:
        times = [i.next_due_at for i in self.incidents.values() if i.next_due_at is not None]
        times += [p.deadline_at for p in self.commands.values()]
        return min(times, default=None)

    async def _escalate(self, inc: Incident, now: datetime) -> None:
        await self._release_locks_if_confirmed(inc, now)
        policy = self.config.escalation
        for _ in range(len(policy.steps(inc.severity))):  # a failed page may pull in the next
            steps = due_steps(policy, _progress(inc), now)
            if not steps:
                break
            for step in steps:
                await self._fire(inc, step, now)
        inc.next_due_at = next_deadline(policy, _progress(inc))
        self.ledger.save_incident(inc)
        self.on_change(inc)

    async def _fire(self, inc: Incident, step: Step, now: datetime) -> None:
        who = resolve(self.registry, step.tiers, inc.compound_id, inc.station_id, now)
        failures = await self.pager.send(inc, step, who, now)
        inc.delivery_failures += failures
        inc.fired_steps.add(step.step_id)
        names = [m.member_id for m in who.members] + list(who.terminals)
        if who.is_forward_119:
            names.append("119")
        detail = f"escalation {step.step_id}: paged {names}" + (
            f", {failures} failed" if failures else ""
        )
        self._note(inc, now, detail)

    # -- linkage ----------------------------------------------------------------------------
    async def _release_locks_if_confirmed(self, inc: Incident, now: datetime) -> None:
        """GB 55024-2022 §5.3.6, GB 50116 §4.10.3: evacuation-route access control releases
        its locks on fire; the trigger is a confirmed fire in the building (two sources,
        GB 50116 §4.1.6, or a person's confirmation)."""
        if inc.kind not in FIRE_KINDS or not inc.is_confirmed:
            return
        doors = self.registry.evacuation_doors(inc.compound_id, inc.building_id)
        requests = [
            LinkageRequest(action=LinkageAction.RELEASE_LOCKS, device_id=d.device_id,
                           gateway_id=d.gateway_id, reason="confirmed fire in the building")
            for d in doors
        ]  # fmt: skip
        await self._issue(inc, tuple(requests), now)

    async def _issue(
        self, inc: Incident, linkage: tuple[LinkageRequest, ...], now: datetime
    ) -> None:
        for request in linkage:
            pending = make_command(inc.incident_key, inc.compound_id, request, now,
                                   self.config.readback_deadline_s)  # fmt: skip
            cid = pending.command.command_id
            if cid in self.commands or self.ledger.has_command(cid):
                continue
            self.commands[cid] = pending
            await self.outbox.command(pending.command)
            self.ledger.save_command(pending)
            self._note(inc, now, f"command {request.action.value} -> {request.device_id}")

    async def on_reading(self, reading: object) -> None:
        for cid, pending in list(self.commands.items()):
            if is_confirmed_by(pending.command, reading):
                pending.state, pending.confirmed_at = CommandState.CONFIRMED, self.clock.now()
                del self.commands[cid]
                self.ledger.save_command(pending)
                inc = self.find(pending.command.incident_key)
                if inc is not None:
                    self._note(inc, self.clock.now(), f"read-back confirmed {cid}")
                    self.on_change(inc)
        await self._flush()

    async def _command_missed(self, pending: PendingCommand, now: datetime) -> None:
        c = pending.command
        pending.state = CommandState.NOT_CONFIRMED
        del self.commands[c.command_id]
        self.ledger.save_command(pending)
        parent = self.find(c.incident_key)
        if parent is not None:
            self._note(parent, now, describe_miss(c))
        alert = not_confirmed_alert(c, parent.building_id if parent else None, now)
        await self.outbox.alert(alert)
        await self._handle_alert(alert)

    # -- records ----------------------------------------------------------------------------
    def _note(self, inc: Incident, now: datetime, detail: str) -> None:
        self._record(inc, inc.apply(Action.NOTE, actor=SYSTEM, at=now, source=SYSTEM,
                                    detail=detail))  # fmt: skip

    def _record(self, inc: Incident, t: Transition) -> None:
        self.ledger.record(inc, t)
        self._outgoing.append((inc, t))

    async def _flush(self) -> None:
        """Publish the transitions recorded so far (after the ledger has them)."""
        outgoing, self._outgoing = self._outgoing, []
        for inc, t in outgoing:
            await self.outbox.transition(inc, t)


def _sources(alert: Alert) -> set[str]:
    found = {e.device_id for e in alert.evidence}
    if alert.device_id:
        found.add(alert.device_id)
    return found


def _progress(inc: Incident) -> Progress:
    return Progress(
        severity=inc.severity,
        opened_at=inc.opened_at,
        acknowledged_at=inc.acknowledged_at,
        on_scene_at=inc.on_scene_at,
        is_confirmed=inc.is_confirmed,
        has_delivery_failure=inc.delivery_failures > 0,
        fired=frozenset(inc.fired_steps),
        is_open=inc.is_open,
    )
