"""The dispatch service: Kafka alerts in, the core's effects applied by the shell, read-back,
the duty console, timers. Built by alerts.service.factory from settings.

Several instances share the work (issue 16.4): each serves the compounds of the alerts
partitions the consumer group gives it (alerts.service.ownership), rebuilt from the shared
ledger on assignment and dropped on revocation.

Every call into the core and the application of its effects hold one lock, so the consumer,
the timer loop and the console never interleave inside an incident (a step fires once).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from aiohttp import web
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError
from pydantic import ValidationError

from alerts.config import DispatchConfig
from alerts.console.server import Console
from alerts.errors import TransitionError
from alerts.ledger import Database, Ledger
from alerts.ledger.audit_kafka import publish_checkpoint
from alerts.lifecycle import ActionRequest, Incident
from alerts.maintenance import WorkOrder, WorkOrderAction
from alerts.notify.hub import ConsoleHub
from alerts.registry.registry import Registry
from alerts.service.console_backend import ConsoleBackend
from alerts.service.console_feed import ForeignIncidents
from alerts.service.dead_letters import dead_letter_headers, rejected_alert
from alerts.service.dispatcher import Dispatcher
from alerts.service.effects import Effects
from alerts.service.forwarding import ActionForwarder, request_of
from alerts.service.metrics import DispatchMetrics
from alerts.service.mqtt_link import MqttLink
from alerts.service.ownership import Handover, Ownership, Rebalance, commit
from alerts.service.pager import Pager
from alerts.service.periodic import every
from alerts.service.readback_feed import ReadbackFeed
from alerts.service.readiness import Readiness
from alerts.service.shell import Shell
from events.actions import ConsoleAction
from events.alerts import Alert
from events.codec import decode_reading, encode_model
from events.errors import ContractViolation
from events.topics import Topics
from runtime.clock import Clock
from runtime.health import Health

log = logging.getLogger(__name__)

# How often the console reads other instances' incidents from the ledger (console_feed.py).
FEED_INTERVAL_S = 1.0


@dataclass
class DispatchParts:
    """Everything the service runs on, built by alerts.service.factory."""

    config: DispatchConfig
    clock: Clock
    metrics: DispatchMetrics
    registry: Registry
    ledger: Ledger
    core: Dispatcher
    shell: Shell
    pager: Pager
    hub: ConsoleHub
    mqtt: MqttLink
    http: httpx.AsyncClient
    producer: AIOKafkaProducer
    alerts: AIOKafkaConsumer
    readings: ReadbackFeed
    console_db: Database  # the console's own connection: its sessions table (migration 0005)
    health: Health
    instance_id: str = "dispatch"  # claims steps in the shared ledger (alerts.ledger.sharing)


class DispatchService:
    def __init__(self, parts: DispatchParts) -> None:
        self.parts = parts
        self.config, self.clock, self.metrics = parts.config, parts.clock, parts.metrics
        self.registry, self.ledger, self.dispatcher = parts.registry, parts.ledger, parts.core
        self.shell, self.pager, self.hub = parts.shell, parts.pager, parts.hub
        self.policy = parts.config.escalation
        backend = ConsoleBackend(
            self.registry,
            self.policy,
            self.hub,
            self.open_incidents,
            self.act,
            work_orders=self.dispatcher.work_orders,
            act_on_work_order=self.act_on_work_order,
        )
        self.console = Console(backend, self.clock, self.config.console, parts.console_db)
        self.health = parts.health
        self.readiness = Readiness(parts.health, parts.mqtt)
        self.ownership = Ownership(Topics.ALERTS)
        self.foreign = ForeignIncidents(self.ledger, self.hub, self.ownership.owns)
        self.forwarder = ActionForwarder(parts.producer, self.ledger, self.clock, parts.instance_id)
        self.handover = Handover(
            self.ownership, self.dispatcher, self.ledger, self.shell, self._remembered_since
        )
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._runner: web.AppRunner | None = None
        self.console_url = ""

    # -- lifecycle --------------------------------------------------------------------------
    async def start(self) -> None:
        """Timers and the console first; the compounds come with the consumer group's
        assignment (`_adopt`): no instance restores, or fires the timers of, a compound the
        group has not given it."""
        cfg = self.config
        await asyncio.to_thread(self.parts.mqtt.start)
        await self.parts.producer.start()
        self._runner = web.AppRunner(self.console.app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, cfg.console_host, cfg.console_port)
        await site.start()
        port = self._runner.addresses[0][1]
        self.console_url = f"http://{cfg.console_host}:{port}/"
        log.info("duty console at %s", self.console_url)
        probe = functools.partial(self.readiness.probe_ledger, self.ledger)
        checkpoints = every(cfg.audit_checkpoint_interval_s, self.checkpoint_audit, "checkpoint")
        self._tasks = [
            asyncio.create_task(self._timer_loop()),
            asyncio.create_task(every(24 * 3600, self._purge, "ledger retention")),
            asyncio.create_task(checkpoints),
            asyncio.create_task(every(cfg.ledger_probe_interval_s, probe, "ledger probe")),
            # Other instances' incidents for this instance's consoles (console_feed.py).
            asyncio.create_task(every(FEED_INTERVAL_S, self.foreign.refresh, "console feed")),
        ]
        alerts = self.parts.alerts
        # fw.actions.v1 is co-partitioned with the alerts: range assignment (factory.py) gives
        # a compound's console actions to the instance that holds its alerts.
        listener = Rebalance(alerts, Topics.ALERTS, self._adopt, self._revoke)
        alerts.subscribe([Topics.ALERTS, Topics.ACTIONS], listener=listener)
        await alerts.start()
        await self.parts.readings.start()
        self._tasks += [
            asyncio.create_task(self._alert_loop()),
            asyncio.create_task(self._reading_loop()),
        ]

    def _remembered_since(self) -> datetime:
        """Resolved incidents are kept in memory from then on (hold-off, replays)."""
        memory_s = max(self.config.resolved_memory_s, self.config.reopen_holdoff_s)
        return self.clock.now() - timedelta(seconds=memory_s)

    async def _adopt(self, partitions: frozenset[int], count: int) -> None:
        async with self._lock:  # after the step in flight
            await self.handover.adopt(partitions, count)
            self._observe()
        self._wake.set()  # a restored deadline may be due now

    async def _revoke(self, partitions: frozenset[int]) -> None:
        async with self._lock:  # after the step in flight, before the group moves on
            await self.handover.revoke(partitions)
            self._observe()

    async def wait_ready(self, timeout_s: float = 30.0) -> None:
        """Until both consumer groups have their partitions (Tansu holds joins a while)."""
        consumers = (self.parts.alerts, self.parts.readings.consumer)
        async with asyncio.timeout(timeout_s):
            # aiokafka has no "assigned" event to await: poll the assignment.
            while not all(c.assignment() for c in consumers):  # noqa: ASYNC110 - see above
                await asyncio.sleep(0.05)
            # Resolve the start positions now: a fresh group's "latest" is looked up lazily,
            # and a read-back produced before that lookup would be skipped.
            for consumer in consumers:
                for tp in consumer.assignment():
                    await consumer.position(tp)

    async def stop(self) -> None:
        self.hub.close()
        # The step in flight finishes first: cut between its pages and its ledger write, it
        # would page again after a restart (at least once, but needlessly).
        is_drained = await self._finish_step(timeout_s=10.0)
        try:
            for task in self._tasks:
                task.cancel()
            if self._tasks:
                _done, stuck = await asyncio.wait(self._tasks, timeout=10.0)
                for task in stuck:
                    log.error("dispatch task %s did not stop within 10 s", task.get_coro())
        finally:
            if is_drained:
                self._lock.release()
        if self._tasks:
            await self.checkpoint_audit()  # the last entries are anchored before we go
        await self.parts.alerts.stop()
        await self.parts.readings.stop()
        await self.parts.producer.stop()
        if self._runner is not None:
            await self._runner.cleanup()
        await self.parts.http.aclose()
        await asyncio.to_thread(self.parts.mqtt.stop)
        await asyncio.to_thread(self.ledger.close)

    async def _finish_step(self, timeout_s: float) -> bool:
        """Hold the step lock (True), or give up on a step that hangs (False)."""
        try:
            async with asyncio.timeout(timeout_s):
                await self._lock.acquire()
        except TimeoutError:
            log.error("a dispatch step did not finish within %.0f s: cancelled", timeout_s)
            return False
        return True

    # -- one step of the core at a time -----------------------------------------------------
    async def _step(self, call: Callable[[], Effects]) -> Effects:
        async with self._lock:
            fx = call()
            if fx.is_empty:
                return fx
            await self.shell.apply(fx)
            self.metrics.observe_step(self.dispatcher, fx)
        self._wake.set()  # a deadline may be nearer now
        return fx

    def _observe(self) -> None:
        """The gauges after the compounds we own changed hands (no step, no effects)."""
        self.metrics.observe_step(self.dispatcher, Effects())

    # -- console backend --------------------------------------------------------------------
    def open_incidents(self) -> list[Incident]:
        """Ours, and those other instances own (the console is served by any instance)."""
        own = self.dispatcher.open_incidents()
        keys = {i.incident_key for i in own}
        return own + [i for i in self.foreign.current() if i.incident_key not in keys]

    async def act(self, req: ActionRequest) -> Incident:
        """Ours: applied here. Another instance's: passed to it (alerts.service.forwarding)."""
        key = req.incident_key
        theirs = self.foreign.find(key) if self.dispatcher.find(key) is None else None
        if theirs is not None:
            return await self.forwarder.forward(theirs, req)
        return await self._act_here(req)

    async def _act_here(self, req: ActionRequest) -> Incident:
        def call() -> Effects:
            return self.dispatcher.on_action(req, self.clock.now())

        await self._step(call)
        inc = self.dispatcher.find(req.incident_key)
        assert inc is not None  # on_action raised KeyError otherwise
        return inc

    async def act_on_work_order(
        self, order_id: str, action: WorkOrderAction, actor: str
    ) -> WorkOrder:
        def call() -> Effects:
            return self.dispatcher.on_work_order(order_id, action, actor, self.clock.now())

        await self._step(call)
        return next(w for w in self.dispatcher.work_orders() if w.order_id == order_id)

    # -- loops ------------------------------------------------------------------------------
    async def _alert_loop(self) -> None:
        consumer = self.parts.alerts
        while True:
            batches = await consumer.getmany(timeout_ms=200, max_records=500)
            self.readiness.follow(self.readiness.alerts_assigned, bool(consumer.assignment()))
            self.metrics.observe_lag(consumer, batches)
            for records in batches.values():
                for record in records:
                    if record.topic == Topics.ACTIONS:
                        await self._one_action(record)
                    else:
                        await self._one_alert(record)
            if batches:
                await commit(consumer)

    async def _one_alert(self, record: Any) -> None:
        try:
            alert = Alert.model_validate_json(record.value)
        except ValidationError as exc:
            await self._dead_letter(record, exc)
            return

        def call() -> Effects:
            # Checked under the step lock: a rebalance between the fetch and this step may
            # have handed the partition on; its new owner reads the record again.
            if not self.ownership.owns_partition(record.partition):
                return Effects()
            return self.dispatcher.on_alert(alert, self.clock.now())

        with self.metrics.handle_seconds.time():
            fx = await self._step(call)
        self.metrics.alerts.labels("applied" if not fx.is_empty else "ignored").inc()

    async def _one_action(self, record: Any) -> None:
        """Another instance's console asks us, the owner (alerts.service.forwarding)."""
        try:
            asked = ConsoleAction.model_validate_json(record.value)
            req = request_of(asked)
        except (ValidationError, ValueError) as exc:
            log.warning("console action refused: %s", exc)
            return
        if not self.ownership.owns_partition(record.partition):
            return  # handed on by a rebalance: its new owner reads it again
        try:
            await self._act_here(req)
        except (KeyError, TransitionError) as exc:  # the asking console times out and says so
            log.warning("console action %s on %s refused: %s", asked.action, req.incident_key, exc)

    async def _dead_letter(self, record: Any, exc: ValidationError) -> None:
        self.metrics.dead_letters.inc()
        letter = rejected_alert(record, exc, self.clock.now())
        log.warning("dead-lettered %s: %s", letter.source, letter.message)
        await self.parts.producer.send(
            Topics.DEAD_LETTER,
            encode_model(letter),
            key=letter.source.encode(),
            headers=dead_letter_headers(letter),
        )

    async def _reading_loop(self) -> None:
        """Read-backs, while the shell's feed follows (paused, this waits and fetches nothing)."""
        consumer = self.parts.readings.consumer
        while True:
            batches = await consumer.getmany(timeout_ms=200, max_records=2000)
            self.readiness.follow(self.readiness.readback_assigned, bool(consumer.assignment()))
            for records in batches.values():
                for record in records:
                    if record.key in self.shell.watched:  # no decode unless awaited
                        await self._one_reading(record)

    async def _one_reading(self, record: Any) -> None:
        try:
            reading = decode_reading(record.value)
        except ContractViolation as exc:  # ingest validated it; a mismatch is worth a line
            log.warning("undecodable reading on %s: %s", record.topic, exc)
            return
        await self._step(lambda: self.dispatcher.on_reading(reading, self.clock.now()))

    async def _timer_loop(self) -> None:
        while True:
            due = self.dispatcher.next_due_at()
            delay_s = 1.0
            if due is not None:
                delay_s = min(1.0, max(0.0, (due - self.clock.now()).total_seconds()))
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation
            # that races with its timeout (CPython gh-86296), and stop() would wait forever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay_s):
                    await self._wake.wait()
            self._wake.clear()
            await self._step(lambda: self.dispatcher.on_tick(self.clock.now()))

    async def _purge(self) -> None:
        cutoff = self.clock.now() - timedelta(days=self.config.retention_days)
        async with self._lock:
            counts = await asyncio.to_thread(self.ledger.purge_before, cutoff)
        log.info("ledger retention: purged before %s: %s", cutoff.isoformat(), counts)

    async def checkpoint_audit(self) -> None:
        """Sign the audit chain's committed head into the checkpoint file and Kafka (under
        the ledger's lock, so never the head of a transaction still open)."""
        cp = await asyncio.to_thread(self.ledger.checkpoint)
        if cp is None:
            return
        try:
            await publish_checkpoint(self.parts.producer, cp)
        except KafkaError as exc:  # the file still has it; the next checkpoint covers this one
            log.error("audit checkpoint %d not sent to Kafka: %s", cp.seq, exc)
