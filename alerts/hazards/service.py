"""The hazard desk as a service: `fw.reports.v1` in, `fw.hazards.v1` out, timers on time, the
JSON API. One lock around the desk, so the consumer, the timer and people's steps never
interleave inside a hazard. A report is committed on Kafka only after the desk stored it; a
change is marked published only after Kafka acknowledged it (a restart republishes the rest).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from typing import Any

from aiohttp import web
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from alerts.console.sessions import Sessions
from alerts.hazards.api import HazardApi
from alerts.hazards.auth import Auth, Signer
from alerts.hazards.config import HazardsConfig
from alerts.hazards.desk import HazardDesk
from alerts.hazards.ledger_audit import join_audit, keyring_of
from alerts.hazards.maintenance import MaintenanceItems
from alerts.hazards.patrols import load_patrols
from alerts.hazards.photos import PhotoShelf
from alerts.hazards.stats_queries import monthly_report
from alerts.hazards.store import HazardStore
from alerts.ledger.db import Database
from alerts.registry import load_registry
from events.codec import encode_model, kafka_headers
from events.connections import KafkaConnection
from events.deadletter import DeadLetter
from events.errors import ContractViolation
from events.hazards import HazardUpdate
from events.reports import decode_field_report
from events.topics import Topics
from runtime.clock import Clock, SystemClock
from runtime.kafka import consumer_settings, producer_settings

log = logging.getLogger(__name__)
PRODUCER = "hazards"


class HazardService:
    def __init__(
        self, config: HazardsConfig, kafka: KafkaConnection, clock: Clock | None = None
    ) -> None:
        self.config, self.kafka = config, kafka
        self.clock = clock or SystemClock()
        self.registry = load_registry(config.registry_dir)
        self.rounds = load_patrols(config.registry_dir, self.registry)
        self.db = Database(config.database_url.get_secret_value())
        audit = join_audit(self.db, keyring_of(config.audit_key_file))
        shelf = PhotoShelf(config.photo_dir)
        self.desk = HazardDesk(
            self.registry,
            self.rounds,
            HazardStore(self.db, audit),
            MaintenanceItems(self.db, audit),
            config.policy,
            self.clock,
            shelf,
            config.patrols_since,
        )
        secret = config.session_secret
        key = secret.get_secret_value().encode() if secret else secrets.token_bytes(32)
        signer = Signer(key, config.session_ttl_s, self.clock)
        # The duty console's sessions, in the same ledger: one sign-in for duty staff.
        console = Sessions(self.db, self.clock, config.session_ttl_s)
        auth = Auth(self.registry, signer, console)
        self.api = HazardApi(self.desk, auth, self.publish, self._stats, shelf)
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._producer = AIOKafkaProducer(**producer_settings(kafka, client_id="fw-hazards"))
        self._reports = self._consumer(config, kafka)
        self._runner: web.AppRunner | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.url = ""

    @staticmethod
    def _consumer(config: HazardsConfig, kafka: KafkaConnection) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            Topics.REPORTS,
            **consumer_settings(
                kafka,
                client_id=config.consumer_group,
                group_id=config.consumer_group,
                fetch_max_wait_ms=config.fetch_max_wait_ms,
            ),
        )

    async def start(self) -> None:
        await self._producer.start()
        await self.publish(self.desk.unpublished())
        self._runner = web.AppRunner(self.api.app)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.config.host, self.config.port).start()
        self.url = f"http://{self.config.host}:{self._runner.addresses[0][1]}"
        self._tasks = [asyncio.create_task(self._timer_loop())]
        await self._reports.start()
        self._tasks.append(asyncio.create_task(self._report_loop()))
        log.info("hazard desk at %s", self.url)

    async def wait_ready(self, timeout_s: float = 30.0) -> None:
        async with asyncio.timeout(timeout_s):
            while not self._reports.assignment():  # noqa: ASYNC110 - aiokafka has no event
                await asyncio.sleep(0.05)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._reports.stop()
        if self._runner is not None:
            await self._runner.cleanup()
        await self._producer.stop()
        self.db.close()

    async def publish(self, updates: list[HazardUpdate]) -> None:
        for update in updates:
            await self._producer.send_and_wait(
                Topics.HAZARDS,
                encode_model(update),
                key=update.compound_id.encode(),
                headers=kafka_headers("hazard_update", update.event_id, PRODUCER),
            )
            self.desk.published(update)
        if updates:
            self._wake.set()  # a change may have moved a deadline: the timer looks again

    async def _stats(self, month: str, compounds: frozenset[str]) -> dict[str, Any]:
        street_of = {c.compound_id: c.street_id for c in self.registry.compounds}
        streets = {street_of[c] for c in compounds if c in street_of}
        rows = monthly_report(
            self.db, self.rounds, street_of, month, self.config.timezone, self.clock.now()
        )
        return {
            "month": month,
            "rows": [
                r.as_dict()
                for r in rows
                if (r.scope == "compound" and r.scope_id in compounds)
                or (r.scope == "street" and r.scope_id in streets)
            ],
        }

    async def _report_loop(self) -> None:
        while True:
            batches = await self._reports.getmany(timeout_ms=200, max_records=200)
            for records in batches.values():
                for record in records:
                    await self._one(record)
            if batches:
                await self._reports.commit()

    async def _one(self, record: Any) -> None:
        try:
            report = decode_field_report(record.value or b"")
        except ContractViolation as exc:
            await self._dead_letter(record, exc)
            return
        async with self._lock:
            updates = self.desk.take(report)
        await self.publish(updates)

    async def _dead_letter(self, record: Any, exc: ContractViolation) -> None:
        letter = DeadLetter.of(
            reason=exc.reason,
            message=exc.message,
            mqtt_topic=f"kafka:{record.topic}",
            payload=record.value or b"",
            qos=0,
            is_retained=False,
            is_dup=False,
            received_at=self.clock.now(),
            bridge_id=PRODUCER,
        )
        log.warning("dead-lettered a field report at offset %s: %s", record.offset, exc.message)
        await self._producer.send_and_wait(Topics.DEAD_LETTER, encode_model(letter), key=b"hazards")

    async def _timer_loop(self) -> None:
        while True:
            due = self.desk.next_due_at()
            delay_s = 60.0
            if due is not None:
                delay_s = min(60.0, max(0.0, (due - self.clock.now()).total_seconds()))
            # asyncio.timeout, not wait_for: CPython gh-86296 (see alerts/service/runner.py).
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay_s):
                    await self._wake.wait()
            self._wake.clear()
            try:
                async with self._lock:
                    updates = self.desk.tick()
                await self.publish(updates)
            except Exception:  # a timer that dies stops every deadline: report and go on
                log.exception("hazard timer failed; trying again on the next tick")
                await asyncio.sleep(1.0)
