"""The raw limits `firewatch bench all` divides by, measured in the same run on this machine.

Each is the least a stage could cost with the same library and the same broker, doing nothing
of its own: a stage's rate over its raw limit says how much of the machine the stage's own
work takes, and stays comparable when the machine (or its other tenants) changes.

- MQTT publish -> receive: QoS 1 publishes (benchmarks.load.publish_all) to one Mosquitto,
  counted by a live paho subscriber (QoS 1), first publish to last receive.
- aiokafka produce / consume: the same pre-encoded readings to one Tansu topic with the
  bridge's linger and batch size, then read back from the start by a bare consumer.
- decode + validation: `events.codec.decode_reading` (pydantic, the wire contract) over the
  same payloads, in-process: what every reading costs the bridge before any I/O.
The raw influxdb-client limit is the sink benchmark's own baseline (raw_write_points_per_s).
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from paho.mqtt.enums import CallbackAPIVersion

from benchmarks.load import publish_all, smoke_stream
from events.codec import decode_reading
from events.topics import TopicSpec
from firewatch.embedded.mosquitto import start_mosquitto
from firewatch.embedded.tansu import start_tansu
from firewatch.kafka_admin import ensure_topics

RAW_TOPIC = "fw.bench.rawlimit.v1"
_FILTER = "fw/v1/+/+/+/telemetry"


def measure(messages: int) -> dict[str, Any]:
    """Every raw limit over `messages` smoke readings (rates in msg/s)."""
    load = smoke_stream(1000, max(1, messages // 1000))
    payloads = [p for _, p in load]
    with tempfile.TemporaryDirectory(prefix="fw-bench-raw-") as tmp:
        return {
            "messages": len(load),
            "mqtt_publish_receive_msg_s": round(_mqtt(Path(tmp), load)),
            **asyncio.run(_kafka(payloads)),
            "decode_validate_msg_s": round(_decode(payloads)),
        }


def _mqtt(tmp: Path, load: list[tuple[str, bytes]]) -> float:
    broker = start_mosquitto(tmp / "mosquitto", log_path=tmp / "mosquitto.log")
    done, subscribed = threading.Event(), threading.Event()
    count = 0

    def on_message(*_a: Any) -> None:
        nonlocal count
        count += 1
        if count == len(load):
            done.set()

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="fw-raw-limit")
    client.on_message = on_message
    client.on_subscribe = lambda *_a: subscribed.set()
    try:
        client.connect("127.0.0.1", broker.port)
        client.subscribe(_FILTER, qos=1)
        client.loop_start()
        if not subscribed.wait(10):
            raise TimeoutError("raw MQTT subscriber not subscribed")
        started = time.perf_counter()
        publish_all(broker.port, load)
        if not done.wait(300):
            raise TimeoutError(f"raw MQTT subscriber got {count}/{len(load)}")
        return len(load) / (time.perf_counter() - started)
    finally:
        client.loop_stop()
        client.disconnect()
        broker.process.stop()


async def _kafka(payloads: list[bytes]) -> dict[str, int]:
    tansu = start_tansu()
    try:
        await ensure_topics(tansu.bootstrap, [TopicSpec(RAW_TOPIC, "bench", "device_id", 1)])
        producer = AIOKafkaProducer(
            bootstrap_servers=tansu.bootstrap, linger_ms=5, max_batch_size=256 * 1024
        )
        await producer.start()
        try:
            started = time.perf_counter()
            futures = [await producer.send(RAW_TOPIC, p, key=b"k") for p in payloads]
            await asyncio.gather(*futures)
            produce = len(payloads) / (time.perf_counter() - started)
        finally:
            await producer.stop()
        consume = await _consume(tansu.bootstrap, len(payloads))
    finally:
        tansu.process.stop()
    return {"aiokafka_produce_msg_s": round(produce), "aiokafka_consume_msg_s": round(consume)}


async def _consume(bootstrap: str, expected: int) -> float:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign([TopicPartition(RAW_TOPIC, 0)])
        await consumer.seek_to_beginning()
        seen, started = 0, time.perf_counter()
        while seen < expected:
            batches = await consumer.getmany(timeout_ms=500, max_records=5000)
            seen += sum(len(records) for records in batches.values())
            if time.perf_counter() - started > 300:
                raise TimeoutError(f"raw consumer read {seen}/{expected}")
        return expected / (time.perf_counter() - started)
    finally:
        await consumer.stop()


def _decode(payloads: list[bytes]) -> float:
    started = time.perf_counter()
    for p in payloads:
        decode_reading(p)
    return len(payloads) / (time.perf_counter() - started)
