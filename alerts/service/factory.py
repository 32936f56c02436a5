"""Build the dispatch service from settings: read the registry, open the ledger, make every
client. The only place that does (issue 13): the service and the core take what they are
given, so tests and benchmarks swap any part (a fake clock, recording channels, a forwarder)."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.coordinator.assignors.range import RangePartitionAssignor

from alerts.config import DispatchConfig
from alerts.ledger import Database, Ledger
from alerts.ledger.audit_keys import load_keyring
from alerts.ledger.batch import PageRecord
from alerts.ledger.sharing import StepClaim
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
from alerts.service.readback_feed import ReadbackFeed
from alerts.service.runner import DispatchParts, DispatchService
from alerts.service.shell import Shell
from events.connections import KafkaConnection, MqttConnection
from events.topics import Topics
from runtime.clock import Clock, SystemClock
from runtime.health import Health
from runtime.kafka import consumer_settings, producer_settings

log = logging.getLogger(__name__)

INSTANCE_ENV = "FIREWATCH_DISPATCH_INSTANCE"


def default_instance() -> str:
    """This instance's name when none is given: FIREWATCH_DISPATCH_INSTANCE, else the host
    name (a Kubernetes pod's name, a compose service's container)."""
    return os.environ.get(INSTANCE_ENV) or socket.gethostname()


# Longer than a live step takes to send (the MQTT PUBACK wait, webhook retries): a claim still
# "sending" after this belongs to an instance that died mid-step (alerts/ledger/sharing.py).
CLAIM_LEASE_S = 30.0


class LoggingForwarder119:
    """Until a 119 gateway adapter is configured, the forward is logged loudly."""

    async def forward(self, page: Page) -> Delivery:
        log.error("FORWARD TO 119 (no gateway configured): %s %s", page.incident_key, page.title)
        return Delivery(False, "no 119 gateway configured")


def build_dispatch_service(
    config: DispatchConfig,
    kafka: KafkaConnection,
    mqtt: MqttConnection,
    *,
    clock: Clock | None = None,
    extra_channels: Mapping[ContactChannel, Channel] | None = None,
    forwarder: Forwarder119 | None = None,
    metrics: DispatchMetrics | None = None,
    health: Health | None = None,
    instance_id: str | None = None,
) -> DispatchService:
    """`instance_id` names this instance among those sharing the work (issue 16.4): its
    step claims in the ledger and its own read-back group. Default: FIREWATCH_DISPATCH_INSTANCE,
    else the host name (a Kubernetes pod's name, a compose service's container)."""
    clock = clock or SystemClock()
    metrics = metrics or DispatchMetrics()
    instance = instance_id or default_instance()
    registry = load_registry(config.registry_dir)
    ledger = _ledger(config, clock)
    link = MqttLink(mqtt, client_id="firewatch-dispatch", qos=config.terminal_qos)

    async def claim(records: Sequence[PageRecord]) -> StepClaim:
        return await asyncio.to_thread(ledger.claim_step, records, instance, CLAIM_LEASE_S)

    http = httpx.AsyncClient(timeout=config.webhook_timeout_s)
    hub = ConsoleHub()
    channels: dict[ContactChannel, Channel] = {
        ContactChannel.CONSOLE: ConsoleChannel(hub),
        ContactChannel.WEBHOOK: WebhookChannel(
            http, config.webhook_retries, config.webhook_backoff_s
        ),
        ContactChannel.MQTT_TERMINAL: MqttTerminalChannel(link.publish_acked),
        **(extra_channels or {}),  # SMS / voice when an adapter is given
    }
    pager = Pager(
        channels,
        forwarder or LoggingForwarder119(),
        observe=lambda ok: metrics.pages.labels("ok" if ok else "failed").inc(),
        claim=claim,
    )
    producer = AIOKafkaProducer(**producer_settings(kafka, client_id="fw-dispatch"))
    core = Dispatcher(registry, config)
    readback = ReadbackFeed(
        AIOKafkaConsumer(
            **consumer_settings(
                kafka,
                client_id=f"fw-dispatch-readback.{instance}",
                group_id=None,
                auto_offset_reset="latest",
                fetch_max_wait_ms=config.fetch_max_wait_ms,
            )
        ),
        (Topics.READINGS, Topics.PRIORITY),
    )
    shell = Shell(core, ledger, pager, KafkaOutbox(producer, link), hub, clock, readback)
    return DispatchService(
        DispatchParts(
            config=config,
            clock=clock,
            metrics=metrics,
            registry=registry,
            ledger=ledger,
            core=core,
            shell=shell,
            pager=pager,
            hub=hub,
            mqtt=link,
            http=http,
            producer=producer,
            # Subscribed by the service, with the listener that hands compounds over.
            alerts=_consumer(
                kafka, config, group=config.consumer_group, reset="earliest", ranged=True
            ),
            console_db=Database(config.database_url.get_secret_value()),
            health=health or Health(),
            # Every instance reads the read-backs of its own commands (readings are keyed by
            # device, not by compound), only while one is pending (readback_feed.py).
            readings=readback,
            instance_id=instance,
        )
    )


def _ledger(config: DispatchConfig, clock: Clock) -> Ledger:
    keyring = load_keyring(config.audit_key_file) if config.audit_key_file else None
    if keyring is None:
        log.warning("audit log NOT signed: no FIREWATCH_DISPATCH__AUDIT_KEY_FILE (SECURITY.md)")
    db = Database(config.database_url.get_secret_value())
    return Ledger(db, keyring, config.audit_checkpoint_file, now=clock.now_s)


def _consumer(
    kafka: KafkaConnection,
    config: DispatchConfig,
    *,
    group: str,
    reset: Literal["earliest", "latest"],
    ranged: bool = False,
) -> AIOKafkaConsumer:
    """`ranged`: range assignment, so co-partitioned topics (fw.alerts.v2, fw.actions.v1)
    give the same partition numbers of both to one member."""
    extra: dict[str, Any] = {"partition_assignment_strategy": (RangePartitionAssignor,)}
    return AIOKafkaConsumer(
        **consumer_settings(
            kafka,
            client_id=group,
            group_id=group,
            auto_offset_reset=reset,
            fetch_max_wait_ms=config.fetch_max_wait_ms,
        ),
        **(extra if ranged else {}),
    )
