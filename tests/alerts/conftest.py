"""Fixtures of the dispatch tests: `rig`, the core and its shell on fakes and a SQLite ledger
(fast, no broker); `stack`, a running dispatch service on real Tansu + Mosquitto with short
configured timers, plus a device-side MQTT listener (terminal pages and commands) and a Kafka
producer standing in for the detectors and the ingest bridge (integration)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from aiokafka import AIOKafkaProducer
from paho.mqtt.enums import CallbackAPIVersion
from pydantic import SecretStr

from alerts.config import DispatchConfig
from alerts.escalation import EscalationPolicy, Step, Tier, Until
from alerts.notify.base import RecordingChannel, RecordingForwarder119
from alerts.registry import EXAMPLE_DIR
from alerts.registry.models import ContactChannel
from alerts.service.factory import build_dispatch_service
from alerts.service.runner import DispatchService
from events.codec import encode_model
from events.connections import KafkaConnection, KafkaFlavour, MqttConnection
from firewatch.embedded.mosquitto import MosquittoBroker
from firewatch.embedded.tansu import TansuBroker
from runtime.clock import ManualClock
from tests.polling import wait_for

from .rig import DAY, Rig, build_rig

# Short timers for the service test: the ladder's shape of DOMAIN.md §2 (0 / no ack / not on
# scene), scaled from 60 s and 180 s to 1.5 s and 4 s.
SHORT_P1 = (
    Step(step_id="p1-page", after_s=0, tiers=(Tier.ON_DUTY, Tier.CONTROL_ROOM, Tier.GRID_WORKER)),
    Step(
        step_id="p1-no-ack",
        after_s=1.5,
        unless=Until.ACKNOWLEDGED,
        tiers=(Tier.BACKUP, Tier.CHIEF),
        on_delivery_failure=True,
    ),
    Step(
        step_id="p1-street-119",
        after_s=4.0,
        unless=Until.ON_SCENE,
        tiers=(Tier.STREET, Tier.FORWARD_119),
        on_confirmation=True,
    ),
)


@dataclass
class Listener:
    """Stands in for station terminals and gateways: records what dispatch publishes."""

    messages: list[tuple[str, dict[str, Any], float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def on_message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        with self.lock:
            self.messages.append((msg.topic, json.loads(msg.payload), time.time()))

    def on(self, pattern: str) -> list[dict[str, Any]]:
        with self.lock:
            return [m for t, m, _ in self.messages if pattern in t]


@dataclass
class Stack:
    service: DispatchService
    listener: Listener
    producer: AIOKafkaProducer
    forwarder: RecordingForwarder119
    bootstrap: str

    async def send(self, topic: str, model: Any, key: str) -> None:
        await self.producer.send_and_wait(topic, encode_model(model), key=key.encode())


def short_config(tmp_path: Path, **overrides: Any) -> DispatchConfig:
    values: dict[str, Any] = {
        "registry_dir": EXAMPLE_DIR,
        "database_url": SecretStr(f"sqlite:///{tmp_path}/ledger.db"),
        "console_port": 0,
        "escalation": EscalationPolicy(p1=SHORT_P1),
        "readback_deadline_s": 2.0,
        "consumer_group": f"dispatch-{tmp_path.name}",
    }
    values.update(overrides)
    return DispatchConfig(**values)


async def _read_forever(queue: asyncio.Queue[dict[str, Any]]) -> None:
    """A console that reads its stream, as the browser does."""
    while True:
        await queue.get()


@pytest.fixture
async def stack(
    kafka: TansuBroker, mosquitto: MosquittoBroker, tmp_path: Path
) -> AsyncIterator[Stack]:
    listener = Listener()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="terminals")
    client.on_message = listener.on_message
    client.connect("127.0.0.1", mosquitto.port)
    client.subscribe([("fw/v1/terminals/+/page", 1), ("fw/v1/+/+/+/cmd", 1)])
    client.loop_start()
    forwarder = RecordingForwarder119()
    service = build_dispatch_service(
        short_config(tmp_path),
        KafkaConnection(
            bootstrap=kafka.bootstrap, flavour=KafkaFlavour.TANSU, session_timeout_ms=6000
        ),
        MqttConnection(port=mosquitto.port),
        forwarder=forwarder,
        # Duty members are reached by SMS here (a recording gateway): nobody has a console
        # open, and a member no channel reached would pull the next step in at once.
        extra_channels={ContactChannel.SMS: RecordingChannel()},
    )
    # The compound's control room keeps its console open (its only contact channel).
    consoles = [service.hub.subscribe(member) for member in ("cr-1", "cr-2")]
    readers = [asyncio.create_task(_read_forever(q)) for q in consoles]
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, acks="all", linger_ms=0)
    await producer.start()
    await service.start()
    try:
        await service.wait_ready()
        # A terminal page sent before dispatch's MQTT session is up fails, and a failed page
        # rightly pulls the next ladder step in: the timing tests need the session up first.
        await wait_for(lambda: service.parts.mqtt.is_connected, what="dispatch MQTT session")
        yield Stack(service, listener, producer, forwarder, kafka.bootstrap)
    finally:
        for queue, reader in zip(consoles, readers, strict=True):
            reader.cancel()
            service.hub.unsubscribe(queue)
        await service.stop()
        await producer.stop()
        client.loop_stop()
        client.disconnect()


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    r = build_rig(f"sqlite:///{tmp_path}/ledger.db", ManualClock(DAY))
    yield r
    r.ledger.db.close()
