"""The dispatch service: Kafka alerts in, pages and commands out, read-back, console, timers.

Adapters around the Dispatcher; every dispatcher call holds one lock, so the consumer, the
timer loop and the console never interleave inside an incident (a step fires once).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Literal

import httpx
from aiohttp import web
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError
from pydantic import ValidationError

from alerts.clock import Clock, SystemClock
from alerts.config import DispatchConfig
from alerts.console.server import Console
from alerts.ledger import Database, Ledger
from alerts.ledger.audit_kafka import publish_checkpoint
from alerts.ledger.audit_keys import load_keyring
from alerts.lifecycle import Action, Incident, Outcome
from alerts.notify.base import Channel, Delivery, Forwarder119, Page
from alerts.notify.hub import ConsoleChannel, ConsoleHub
from alerts.notify.terminal import MqttTerminalChannel
from alerts.notify.webhook import WebhookChannel
from alerts.registry import load_registry
from alerts.registry.models import ContactChannel
from alerts.service.dispatcher import Dispatcher
from alerts.service.kafka_outbox import KafkaOutbox
from alerts.service.metrics import DispatchMetrics
from alerts.service.mqtt_link import MqttLink
from alerts.service.pager import Pager
from events.alerts import Alert
from events.codec import decode_reading, encode_model
from events.connections import KafkaConnection, MqttConnection
from events.deadletter import DeadLetter, DeadLetterReason
from events.errors import ContractViolation
from events.topics import Topics
from runtime.kafka import consumer_settings, producer_settings

log = logging.getLogger(__name__)


class LoggingForwarder119:
    """Until a 119 gateway adapter is configured, the forward is logged loudly."""

    async def forward(self, page: Page) -> Delivery:
        log.error("FORWARD TO 119 (no gateway configured): %s %s", page.incident_key, page.title)
        return Delivery(False, "no 119 gateway configured")


class DispatchService:
    def __init__(  # noqa: PLR0917 - adapters are injected for tests and benches
        self,
        config: DispatchConfig,
        kafka: KafkaConnection,
        mqtt: MqttConnection,
        clock: Clock | None = None,
        extra_channels: Mapping[ContactChannel, Channel] | None = None,
        forwarder: Forwarder119 | None = None,
        metrics: DispatchMetrics | None = None,
    ) -> None:
        self.config, self.kafka, self.mqtt_conn = config, kafka, mqtt
        self.clock = clock or SystemClock()
        self.metrics = metrics or DispatchMetrics()
        self.registry = load_registry(config.registry_dir)
        self.policy = config.escalation
        self.hub = ConsoleHub()
        self.ledger = self._ledger(config)
        self.mqtt = MqttLink(mqtt, client_id="firewatch-dispatch", qos=config.terminal_qos)
        self._http = httpx.AsyncClient(timeout=config.webhook_timeout_s)
        channels = self._channels(extra_channels or {})
        self.pager = Pager(
            channels, forwarder or LoggingForwarder119(), self.ledger,
            observe=lambda ok: self.metrics.pages.labels("ok" if ok else "failed").inc(),
        )  # fmt: skip
        self._producer = AIOKafkaProducer(**producer_settings(kafka, client_id="fw-dispatch"))
        self.dispatcher = Dispatcher(
            self.registry, config, self.ledger, self.pager,
            KafkaOutbox(self._producer, self.mqtt), self.clock, on_change=self._changed,
        )  # fmt: skip
        # The console's own connection to the ledger database (its sessions table, 0005).
        console_db = Database(config.database_url.get_secret_value())
        self.console = Console(self, self.clock, config.console, console_db)
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._runner: web.AppRunner | None = None
        self._alerts = self._consumer(Topics.ALERTS, group=config.consumer_group, reset="earliest")
        self._readings = self._consumer(
            Topics.READINGS, Topics.PRIORITY, group=config.readback_group, reset="latest"
        )
        self.console_url = ""

    def _ledger(self, config: DispatchConfig) -> Ledger:
        keyring = load_keyring(config.audit_key_file) if config.audit_key_file else None
        if keyring is None:
            log.warning("audit log NOT signed: no FIREWATCH_DISPATCH__AUDIT_KEY_FILE (SECURITY.md)")
        db = Database(config.database_url.get_secret_value())
        return Ledger(
            db, keyring, config.audit_checkpoint_file, now=lambda: self.clock.now().timestamp()
        )

    def _channels(self, extra: Mapping[ContactChannel, Channel]) -> dict[ContactChannel, Channel]:
        """Console, webhook and MQTT terminals always; SMS / voice when an adapter is given."""
        return {
            ContactChannel.CONSOLE: ConsoleChannel(self.hub),
            ContactChannel.WEBHOOK: WebhookChannel(
                self._http, self.config.webhook_retries, self.config.webhook_backoff_s
            ),
            ContactChannel.MQTT_TERMINAL: MqttTerminalChannel(self.mqtt.publish),
            **extra,
        }

    def _consumer(
        self, *topics: str, group: str, reset: Literal["earliest", "latest"]
    ) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            *topics,
            **consumer_settings(
                self.kafka,
                client_id=group,
                group_id=group,
                auto_offset_reset=reset,
                fetch_max_wait_ms=self.config.fetch_max_wait_ms,
            ),
        )

    # -- lifecycle --------------------------------------------------------------------------
    async def start(self) -> None:
        """Timers and the console first: a consumer-group join can take seconds (Tansu holds
        joins), and a restored escalation deadline must not wait for it."""
        restored = self.dispatcher.restore()
        log.info("dispatch: %d open incidents and pending commands restored", restored)
        await asyncio.to_thread(self.mqtt.start)
        await self._producer.start()
        self._runner = web.AppRunner(self.console.app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.console_host, self.config.console_port)
        await site.start()
        port = self._runner.addresses[0][1]
        self.console_url = f"http://{self.config.console_host}:{port}/"
        log.info("duty console at %s", self.console_url)
        self._tasks = [asyncio.create_task(self._timer_loop()),
                       asyncio.create_task(self._retention()),
                       asyncio.create_task(self._audit_checkpoints())]  # fmt: skip
        await self._alerts.start()
        await self._readings.start()
        self._tasks += [asyncio.create_task(self._alert_loop()),
                        asyncio.create_task(self._reading_loop())]  # fmt: skip

    async def wait_ready(self, timeout_s: float = 30.0) -> None:
        """Until both consumer groups have their partitions (Tansu holds joins a while)."""
        async with asyncio.timeout(timeout_s):
            # aiokafka has no "assigned" event to await: poll the assignment.
            while not (self._alerts.assignment() and self._readings.assignment()):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            # Resolve the start positions now: a fresh group's "latest" is looked up lazily,
            # and a read-back produced before that lookup would be skipped.
            for consumer in (self._alerts, self._readings):
                for tp in consumer.assignment():
                    await consumer.position(tp)

    async def stop(self) -> None:
        self.hub.close()
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            _done, stuck = await asyncio.wait(self._tasks, timeout=10.0)
            for task in stuck:
                log.error("dispatch task %s did not stop within 10 s", task.get_coro())
            await self.checkpoint_audit()  # the last entries are anchored before we go
        await self._alerts.stop()
        await self._readings.stop()
        await self._producer.stop()
        if self._runner is not None:
            await self._runner.cleanup()
        await self._http.aclose()
        await asyncio.to_thread(self.mqtt.stop)
        self.ledger.db.close()

    # -- console backend --------------------------------------------------------------------
    def open_incidents(self) -> list[Incident]:
        return list(self.dispatcher.incidents.values())

    async def act(  # noqa: PLR0917 - the console Backend protocol
        self, key: str, action: Action, actor: str, source: str,
        outcome: Outcome | None, cause: str | None,
    ) -> Incident:  # fmt: skip
        async with self._lock:
            inc = await self.dispatcher.act(key, action, actor, source, outcome, cause)
        self._changed(inc)
        return inc

    def _changed(self, inc: Incident) -> None:
        self.hub.publish({"type": "incident", "incident": inc})
        self.metrics.open_incidents.set(len(self.dispatcher.incidents))
        self.metrics.pending_commands.set(len(self.dispatcher.commands))
        self._wake.set()

    # -- loops ------------------------------------------------------------------------------
    async def _alert_loop(self) -> None:
        while True:
            batches = await self._alerts.getmany(timeout_ms=200, max_records=500)
            for records in batches.values():
                for record in records:
                    await self._one_alert(record)
            if batches:
                await self._alerts.commit()

    async def _one_alert(self, record: Any) -> None:
        try:
            alert = Alert.model_validate_json(record.value)
        except ValidationError as exc:
            await self._dead_letter(record, exc)
            return
        with self.metrics.handle_seconds.time():
            async with self._lock:
                inc = await self.dispatcher.handle_alert(alert)
        self.metrics.alerts.labels("incident" if inc else "ignored").inc()

    async def _dead_letter(self, record: Any, exc: ValidationError) -> None:
        self.metrics.dead_letters.inc()
        first = exc.errors(include_url=False)[0]
        reason = (
            DeadLetterReason.INVALID_JSON if first["type"] == "json_invalid"
            else DeadLetterReason.WRONG_TYPE
        )  # fmt: skip
        letter = DeadLetter.of(
            reason=reason, message=f"alert record rejected by dispatch: {first['msg']}",
            mqtt_topic=f"kafka:{record.topic}", payload=record.value or b"", qos=0,
            is_retained=False, is_dup=False, received_at=self.clock.now(), bridge_id="dispatch",
        )  # fmt: skip
        log.warning("dead-lettered an alert record at offset %s: %s", record.offset, letter.message)
        await self._producer.send(Topics.DEAD_LETTER, encode_model(letter), key=b"dispatch")

    async def _reading_loop(self) -> None:
        while True:
            batches = await self._readings.getmany(timeout_ms=200, max_records=2000)
            for records in batches.values():
                for record in records:
                    await self._one_reading(record)
            if batches:
                await self._readings.commit()

    async def _one_reading(self, record: Any) -> None:
        devices = {p.command.device_id for p in self.dispatcher.commands.values()}
        if not devices or (record.key or b"").decode(errors="replace") not in devices:
            return  # only read-back of pending commands matters here
        try:
            reading = decode_reading(record.value)
        except ContractViolation as exc:  # ingest validated it; a mismatch is worth a line
            log.warning("undecodable reading on %s: %s", record.topic, exc)
            return
        async with self._lock:
            await self.dispatcher.on_reading(reading)

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
            async with self._lock:
                await self.dispatcher.tick()

    async def _audit_checkpoints(self) -> None:
        while True:
            await asyncio.sleep(self.config.audit_checkpoint_interval_s)
            await self.checkpoint_audit()

    async def checkpoint_audit(self) -> None:
        """Sign the audit chain's committed head into the checkpoint file and Kafka."""
        async with self._lock:  # no ledger transaction is open while the lock is held
            cp = self.ledger.audit.checkpoint()
        if cp is None:
            return
        try:
            await publish_checkpoint(self._producer, cp)
        except KafkaError as exc:  # the file still has it; the next checkpoint covers this one
            log.error("audit checkpoint %d not sent to Kafka: %s", cp.seq, exc)

    async def _retention(self) -> None:
        while True:
            cutoff = self.clock.now() - timedelta(days=self.config.retention_days)
            async with self._lock:
                counts = self.ledger.purge_before(cutoff)
            log.info("ledger retention: purged before %s: %s", cutoff.isoformat(), counts)
            await asyncio.sleep(24 * 3600)
