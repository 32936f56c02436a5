"""Helpers for the ingest tests: payload factory, a fast QoS1 publisher, a Kafka reader."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt
from aiokafka import AIOKafkaConsumer
from paho.mqtt.enums import CallbackAPIVersion

from events.topics import Channel, MqttTopic

OBSERVED_AT = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)


def smoke(
    device: str, seq: int, compound: str = "c1", gateway: str = "gw1", **extra: Any
) -> dict[str, Any]:
    return {
        "kind": "smoke",
        "device_id": device,
        "compound_id": compound,
        "gateway_id": gateway,
        "seq": seq,
        "observed_at": OBSERVED_AT.isoformat(),
        "obscuration_db_per_m": 0.01,
        "temperature_c": 21.5,
        "battery_pct": 90.0,
        **extra,
    }


def alarm(device: str, seq: int, compound: str = "c1", gateway: str = "gw1") -> dict[str, Any]:
    return {
        "kind": "device_alarm",
        "device_id": device,
        "compound_id": compound,
        "gateway_id": gateway,
        "seq": seq,
        "observed_at": OBSERVED_AT.isoformat(),
        "alarm_type": "smoke",
    }


def telemetry_topic(device: str, compound: str = "c1", gateway: str = "gw1") -> str:
    return MqttTopic.device(compound, gateway, device, Channel.TELEMETRY)


def alarm_topic(device: str, compound: str = "c1", gateway: str = "gw1") -> str:
    return MqttTopic.device(compound, gateway, device, Channel.ALARM)


def stream(devices: int, per_device: int, first_seq: int = 0) -> list[tuple[str, bytes]]:
    """Interleaved readings: seq-major, so every device advances together."""
    return [
        (telemetry_topic(f"sd-{d:04d}"), json.dumps(smoke(f"sd-{d:04d}", s)).encode())
        for s in range(first_seq, first_seq + per_device)
        for d in range(devices)
    ]


def publish_all(port: int, messages: Iterable[tuple[str, bytes]], timeout_s: float = 60.0) -> int:
    """Publish QoS1 and wait until the broker acknowledged every one (PUBACK)."""
    done = threading.Event()
    acked = 0
    total = 0
    lock = threading.Lock()
    sent_all = False

    def on_publish(client: Any, userdata: Any, mid: int, rc: Any, props: Any) -> None:
        nonlocal acked
        with lock:
            acked += 1
            if sent_all and acked == total:
                done.set()

    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.on_publish = on_publish
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        for topic, payload in messages:
            client.publish(topic, payload, qos=1)
            total += 1
        with lock:
            sent_all = True
            if acked == total:
                done.set()
        if not done.wait(timeout_s):
            raise TimeoutError(f"broker acked {acked}/{total} publishes")
    finally:
        client.disconnect()
        client.loop_stop()
    return total


async def wait_for(predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


class KafkaReader:
    """Reads topics from the beginning into lists, in the background."""

    def __init__(self, bootstrap: str, *topics: str) -> None:
        self.consumer = AIOKafkaConsumer(
            *topics,
            bootstrap_servers=bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        self.records: dict[str, list[Any]] = {t: [] for t in topics}
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> KafkaReader:
        await self.consumer.start()
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    async def _run(self) -> None:
        while True:
            batches = await self.consumer.getmany(timeout_ms=200)
            for tp, recs in batches.items():
                self.records[tp.topic].extend(recs)

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        await self.consumer.stop()

    def count(self, topic: str) -> int:
        return len(self.records[topic])

    def seqs_by_device(self, topic: str) -> dict[str, set[int]]:
        out: dict[str, set[int]] = {}
        for rec in self.records[topic]:
            body = json.loads(rec.value)
            out.setdefault(body["device_id"], set()).add(body["seq"])
        return out
