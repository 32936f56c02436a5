"""The dispatcher: the functional core of dispatch. Alerts, actions, ticks and read-backs in;
effects out (alerts.service.effects), applied once by the shell (alerts.service.shell).

One incident per physical event in one place (alerts.grouping): its conditions join it, its
severity only rises, a second detector confirms it, read-backs and unreachable devices move
its linkage tasks; device health becomes maintenance work orders. Time is an argument;
deadlines are kept on the incident (`next_due_at`) and the pending commands, and the state is
rebuilt from the ledger after a restart (restore), so no timer is lost.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from alerts.book import CompoundBook, within
from alerts.config import DispatchConfig
from alerts.escalation import EscalationPolicy
from alerts.grouping import absorbs, condition_of, place_of, sources_of, title_of
from alerts.lifecycle import Action, ActionRequest, Incident, State
from alerts.linkage import CommandState, PendingCommand, describe_miss, is_confirmed_by
from alerts.maintenance import WorkOrder, WorkOrderAction, apply_person, fold
from alerts.registry.registry import Registry
from alerts.routing import route
from alerts.service.effects import Effects
from alerts.service.operations import IncidentOps
from events.alerts import Alert, AlertStatus, ConditionFamily
from events.incidents import TaskState, incident_key

SYSTEM = "dispatch"


class Dispatcher:
    def __init__(self, registry: Registry, config: DispatchConfig) -> None:
        self.registry = registry
        self.config = config
        self.books: dict[str, CompoundBook] = {}
        self.commands: dict[str, PendingCommand] = {}  # pending, by command id
        self.ops = IncidentOps(registry, config, self.commands)
        self.alerts_seen = 0
        self.alerts_ignored = 0

    @property
    def policy(self) -> EscalationPolicy:
        return self.config.escalation

    def restore(
        self,
        incidents: Iterable[Incident],
        work_orders: Iterable[WorkOrder],
        commands: Iterable[PendingCommand],
    ) -> int:
        """Rebuild the books from the ledger (after a restart or a rebalance)."""
        count = 0
        for inc in incidents:
            self._book(inc.compound_id).add(inc)
            count += 1
        for order in work_orders:
            self._book(order.compound_id).work_orders[order.condition_key] = order
        for pending in commands:
            self.commands[pending.command.command_id] = pending
            count += 1
        return count

    def _book(self, compound_id: str) -> CompoundBook:
        book = self.books.get(compound_id)
        if book is None:
            book = self.books[compound_id] = CompoundBook(compound_id)
        return book

    # -- alerts in --------------------------------------------------------------------------
    def on_alert(self, alert: Alert, now: datetime) -> Effects:
        self.alerts_seen += 1
        fx = Effects()
        book = self._book(alert.compound_id)
        family = alert.family
        if family is ConditionFamily.MAINTENANCE:
            self._maintenance(book, alert, now, fx)
        elif family is ConditionFamily.LINKAGE:
            self._readback(book, alert, now, fx)
        else:
            self._duty(book, alert, now, fx)
        return fx

    def _duty(self, book: CompoundBook, alert: Alert, now: datetime, fx: Effects) -> None:
        key = alert.condition_key
        owner = book.owner_of(key)
        if owner is not None and alert.revision <= owner.conditions[key].revision:
            self.alerts_ignored += 1  # a duplicate, a replay or a storm revision already seen
            return
        if owner is not None and owner.is_open:
            self._update(owner, alert, now, fx)
            return
        if alert.status is AlertStatus.CLEARED:
            if owner is not None:  # remembered, so its replays are recognised
                owner.conditions[key].revision = alert.revision
                owner.conditions[key].status = AlertStatus.CLEARED
            self.alerts_ignored += 1
            return
        place = place_of(alert)
        live = book.live_at(place.key)
        if live is None and alert.family is ConditionFamily.DEVICE:
            fire = book.fire_in(alert.building_id)
            live = fire if fire is not None and absorbs(fire, alert) else None
        if live is not None:
            self._join(book, live, alert, now, fx)
            return
        latest = book.latest_at(place.key)
        if latest is not None and self._is_flapping(latest, alert, now):
            self._reopen(book, latest, alert, now, fx)
            return
        self._open(book, alert, now, fx)

    def _is_flapping(self, inc: Incident, alert: Alert, now: datetime) -> bool:
        cfg = self.config
        return (
            alert.severity in cfg.quiet_reopen_on
            and not alert.severity.is_above(inc.severity)
            and within(inc.resolved_at, now, cfg.reopen_holdoff_s)
        )

    def _open(self, book: CompoundBook, alert: Alert, now: datetime, fx: Effects) -> None:
        place = place_of(alert)
        key = incident_key(place, alert.raised_at)
        while key in book.incidents:  # a second incident of one place within the same ms
            key += "+"
        inc = Incident(key, place, alert.severity, now, alert.raised_at, severity_since=now)
        inc.conditions[alert.condition_key] = condition_of(alert)
        inc.title = title_of(inc)
        book.add(inc)
        busy = self.busy_stations()
        inc.dispatch = route(self.registry, place.compound_id, now, busy).note()
        t = inc.apply(
            Action.DISPATCH, actor=SYSTEM, at=now, source=SYSTEM, detail=inc.dispatch.text
        )
        self.ops.record(inc, t, fx)
        self.ops.plan_tasks(inc, alert, now, fx)
        self.ops.escalate(inc, now, fx)

    def _join(
        self, book: CompoundBook, inc: Incident, alert: Alert, now: datetime, fx: Effects
    ) -> None:
        inc.conditions[alert.condition_key] = condition_of(alert)
        book.own(alert.condition_key, inc)
        where = alert.device_id or alert.area_id or alert.condition_key
        self._absorb(inc, alert, now, fx, f"{alert.kind.value} at {where} joined")

    def _reopen(
        self, book: CompoundBook, inc: Incident, alert: Alert, now: datetime, fx: Effects
    ) -> None:
        """Flapping: the same incident again, acknowledged already, nobody paged again."""
        inc.conditions[alert.condition_key] = condition_of(alert)
        book.own(alert.condition_key, inc)
        detail = f"{alert.kind.value} returned within the hold-off: reopened, nobody paged"
        t = inc.apply(Action.REOPEN, actor=SYSTEM, at=now, source=SYSTEM, detail=detail)
        self.ops.record(inc, t, fx)
        inc.title = title_of(inc)
        self.ops.escalate(inc, now, fx)

    def _update(self, inc: Incident, alert: Alert, now: datetime, fx: Effects) -> None:
        cond = inc.conditions[alert.condition_key]
        was = (cond.severity, set(cond.sources), cond.status)
        cond.revision, cond.status, cond.summary = alert.revision, alert.status, alert.summary
        cond.severity = max(cond.severity, alert.severity, key=lambda s: -s.rank)
        cond.sources = tuple(sorted(set(cond.sources) | set(sources_of(alert))))
        if (cond.severity, set(cond.sources)) == was[:2] and not alert.linkage:
            if cond.status is not was[2]:
                fx.touch(inc)  # flapping: kept on the evidence, nobody paged, no note
            return
        self._absorb(inc, alert, now, fx, f"{alert.kind.value} revision {alert.revision}")

    def _absorb(self, inc: Incident, alert: Alert, now: datetime, fx: Effects, what: str) -> None:
        """A material change: more evidence, a higher severity, a new source or new linkage."""
        if alert.severity.is_above(inc.severity):
            inc.severity, inc.severity_since = alert.severity, now  # the new ladder starts now
            what += f": now {alert.severity.value}"
        inc.title = title_of(inc)
        sources = sorted(inc.confirmations)
        self.ops.note(inc, now, f"{what} (sources {sources})", fx)
        self.ops.plan_tasks(inc, alert, now, fx)
        self.ops.escalate(inc, now, fx)

    # -- read-back conditions and device health --------------------------------------------
    def _readback(self, book: CompoundBook, alert: Alert, now: datetime, fx: Effects) -> None:
        inc = book.fire_in(alert.building_id)
        if inc is None:
            self.alerts_ignored += 1  # no fire here (any more): a door is the held-open rule's
            return
        self.ops.readback(inc, alert, now, fx)

    def _maintenance(self, book: CompoundBook, alert: Alert, now: datetime, fx: Effects) -> None:
        cfg = self.config
        current = book.work_orders.get(alert.condition_key)
        order = fold(
            current, alert, now, due_s=cfg.work_order_due_s, holdoff_s=cfg.reopen_holdoff_s
        )
        if order is None:
            self.alerts_ignored += 1
            return
        book.work_orders[alert.condition_key] = order
        fx.work_orders.append(order)
        # Unless it blocks a safety function during a live incident: then it is a task state.
        for inc in book.open_incidents():
            self.ops.unreachable(inc, alert, now, fx)

    # -- people act -------------------------------------------------------------------------
    def on_action(self, req: ActionRequest, now: datetime) -> Effects:
        inc = self.find(req.incident_key)
        if inc is None or not inc.is_open:
            raise KeyError(req.incident_key)
        fx = Effects()
        action, actor, source = req.action, req.actor, req.source
        if action is Action.ASSIGN:
            # The console's one free-text field carries the assignee's member id here
            # (ActionRequest.cause); the console checked who may assign whom.
            detail = (req.cause or "").strip()
            t = inc.apply(action, actor=actor, at=now, source=source, detail=detail)
            self.ops.record(inc, t, fx)
            return fx
        t = inc.apply(
            action, actor=actor, at=now, source=source, outcome=req.outcome, cause=req.cause
        )
        self.ops.record(inc, t, fx)
        if action is Action.DENY:
            self.ops.not_applicable(inc, now, fx)
        self.ops.escalate(inc, now, fx)  # a confirmation forwards to 119 at once
        return fx

    def on_work_order(
        self, order_id: str, action: WorkOrderAction, actor: str, now: datetime
    ) -> Effects:
        """A person took (acknowledged) or closed a maintenance work order on the console:
        recorded on the order's ledger row (who and when), never paged."""
        order = next((w for w in self.work_orders() if w.order_id == order_id), None)
        if order is None or not order.is_open:
            raise KeyError(order_id)
        apply_person(order, action, actor, now)
        fx = Effects()
        fx.work_orders.append(order)
        return fx

    def on_pages_sent(self, key: str, step_id: str, unreached: int, now: datetime) -> Effects:
        """Delivery results of one step: an unreached recipient pulls the next step in."""
        fx = Effects()
        inc = self.find(key)
        if inc is None or not unreached:
            return fx
        inc.delivery_failures += unreached
        self.ops.note(inc, now, f"escalation {step_id}: {unreached} recipients unreached", fx)
        self.ops.escalate(inc, now, fx)
        return fx

    # -- time and read-back -----------------------------------------------------------------
    def on_tick(self, now: datetime) -> Effects:
        fx = Effects()
        for inc in self.open_incidents():
            if inc.next_due_at is not None and now >= inc.next_due_at:
                self.ops.escalate(inc, now, fx)
        for pending in list(self.commands.values()):
            if now >= pending.deadline_at:
                self._command_missed(pending, now, fx)
        memory_s = max(self.config.resolved_memory_s, self.config.reopen_holdoff_s)
        cutoff = now - timedelta(seconds=memory_s)
        for book in self.books.values():
            book.forget_before(cutoff)
        return fx

    def _command_missed(self, pending: PendingCommand, now: datetime, fx: Effects) -> None:
        c = pending.command
        pending.state = CommandState.NOT_CONFIRMED
        del self.commands[c.command_id]
        fx.command_states.append(pending)
        inc = self.find(c.incident_key)
        if inc is not None:
            self.ops.command_result(inc, c, TaskState.FAILED, describe_miss(c), now, fx)

    def readback_devices(self) -> set[str]:
        """Devices whose readings matter now (a command awaits their read-back)."""
        return {p.command.device_id for p in self.commands.values()}

    def oldest_pending_command(self) -> datetime | None:
        """When the oldest command awaiting its read-back was issued (None: none awaits)."""
        return min((p.command.issued_at for p in self.commands.values()), default=None)

    def on_reading(self, reading: object, now: datetime) -> Effects:
        fx = Effects()
        for cid, pending in list(self.commands.items()):
            if not is_confirmed_by(pending.command, reading):
                continue
            pending.state, pending.confirmed_at = CommandState.CONFIRMED, now
            del self.commands[cid]
            fx.command_states.append(pending)
            inc = self.find(pending.command.incident_key)
            if inc is not None:
                detail = f"read-back confirmed by {pending.command.device_id}"
                self.ops.command_result(inc, pending.command, TaskState.CONFIRMED, detail, now, fx)
        return fx

    # -- queries ----------------------------------------------------------------------------
    def find(self, key: str) -> Incident | None:
        for book in self.books.values():
            inc = book.incidents.get(key)
            if inc is not None:
                return inc
        return None

    def open_incidents(self) -> list[Incident]:
        return [i for book in self.books.values() for i in book.open_incidents()]

    def work_orders(self) -> list[WorkOrder]:
        return [w for book in self.books.values() for w in book.work_orders.values()]

    def busy_stations(self) -> dict[str, str]:
        busy_on, resolved = self.config.busy_on, State.RESOLVED
        return {
            i.dispatch.station_id: key
            for book in self.books.values()
            for key, i in book.incidents.items()
            if i.state is not resolved
            and i.severity in busy_on
            and i.dispatch is not None
            and i.dispatch.station_id
        }

    def next_due_at(self) -> datetime | None:
        times = [i.next_due_at for i in self.open_incidents() if i.next_due_at is not None]
        times += [p.deadline_at for p in self.commands.values()]
        return min(times, default=None)
