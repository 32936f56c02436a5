"""`firewatch bench ingest`: the bridge end to end vs a raw paho subscriber and a raw producer.

Method: the broker queue is pre-loaded while the subscriber's persistent session is offline
(so the publisher is never the bottleneck), then the drain is timed from connect to the last
message written (bridge: written to Kafka and acknowledged; raw paho: counted). The raw
producer sends the same pre-encoded records with the same producer settings.
Target on 2 cores: bridge >= 10,000 msg/s and >= 0.5 x the slower raw rate.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import click
import paho.mqtt.client as mqtt
from aiokafka import AIOKafkaProducer
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from benchmarks import run_bench
from benchmarks.load import publish_all, smoke_stream
from events.codec import kafka_headers
from events.connections import KafkaConnection, KafkaFlavour, MqttConnection
from events.topics import Topics
from firewatch.commands.console import phase
from firewatch.embedded.mosquitto import start_mosquitto
from firewatch.embedded.tansu import start_tansu
from firewatch.kafka_admin import ensure_topics
from firewatch.settings import Settings
from ingest.bridge import Bridge, BridgeOptions
from ingest.config import IngestConfig
from ingest.core import OutboundRecord
from ingest.kafka_writer import KafkaWriter, make_producer
from ingest.stats import BridgeStats

log = logging.getLogger(__name__)
_RAW_FILTER = "fw/v1/+/+/+/telemetry"


@click.command(
    "ingest",
    context_settings={"show_default": True},
    epilog="\b\nExamples:\n  firewatch bench ingest --messages 50000 --devices 500",
)
@click.option("--messages", type=int, default=100_000)
@click.option("--devices", type=int, default=1_000)
@click.pass_context
def command(ctx: click.Context, /, **opts: Any) -> int:
    """MQTT -> Kafka bridge vs raw paho and aiokafka."""
    return run_bench(ctx, "ingest", run, opts)


def run(args: argparse.Namespace, settings: Settings) -> int:
    result = asyncio.run(_bench(args.messages, args.devices))
    print(json.dumps(result, indent=2))
    return 0


async def _bench(n: int, devices: int) -> dict[str, Any]:
    load = smoke_stream(devices, max(1, n // devices))
    with tempfile.TemporaryDirectory(prefix="fw-bench-") as tmp:
        mq = start_mosquitto(Path(tmp) / "mosquitto")
        kafka = start_tansu()
        try:
            await ensure_topics(kafka.bootstrap)
            cfg = IngestConfig(bridge_id="bench")
            kafka_conn = KafkaConnection(bootstrap=kafka.bootstrap, flavour=KafkaFlavour.TANSU)
            phase("raw aiokafka producer", of=4)
            raw_kafka = await _raw_kafka(kafka_conn, cfg, load)
            phase("bridge Kafka writer only", of=4)
            writer_only = await _writer_only(kafka_conn, cfg, load)
            phase("raw paho subscriber", of=4)
            raw_mqtt = await asyncio.to_thread(_raw_mqtt, mq.port, load)
            opts = BridgeOptions(MqttConnection(port=mq.port), kafka_conn, cfg)
            phase("bridge end to end", of=4)
            bridge = await _bridge(opts, mq.port, load)
        finally:
            mq.process.stop()
            kafka.process.stop()
    slower = min(raw_mqtt, raw_kafka)
    return {
        "messages": len(load),
        "devices": devices,
        "rates_msg_per_s": {
            "bridge_end_to_end": round(bridge),
            "raw_paho_subscriber": round(raw_mqtt),
            "raw_aiokafka_producer": round(raw_kafka),
            # Not a target baseline: the bridge's own Kafka writer (batch API) without MQTT
            # or validation, to show where the bridge's time goes.
            "bridge_kafka_writer_only": round(writer_only),
        },
        "ratios": {
            "bridge_vs_raw_paho": round(bridge / raw_mqtt, 3),
            "bridge_vs_raw_aiokafka": round(bridge / raw_kafka, 3),
            "bridge_vs_slower_raw": round(bridge / slower, 3),
        },
        "targets": {
            "bridge_at_least_10k": bridge >= 10_000,
            "bridge_at_least_half_slower_raw": bridge >= 0.5 * slower,
        },
    }


async def _raw_kafka(
    conn: KafkaConnection, cfg: IngestConfig, load: list[tuple[str, bytes]]
) -> float:
    producer: AIOKafkaProducer = make_producer(conn, cfg, "telemetry")
    records = [
        (topic.split("/")[4].encode(), payload, kafka_headers("reading", "x:1", "bench"))
        for topic, payload in load
    ]
    await producer.start()
    try:
        started = time.perf_counter()
        futures = [
            await producer.send(Topics.READINGS, value, key=key, headers=headers)
            for key, value, headers in records
        ]
        await asyncio.gather(*futures)
        return len(records) / (time.perf_counter() - started)
    finally:
        await producer.stop()


async def _writer_only(
    conn: KafkaConnection, cfg: IngestConfig, load: list[tuple[str, bytes]]
) -> float:
    producer: AIOKafkaProducer = make_producer(conn, cfg, "telemetry")
    writer = KafkaWriter("bench", producer, BridgeStats(), cfg.retry_backoff_s)
    records = [
        OutboundRecord(
            Topics.READINGS,
            topic.split("/")[4].encode(),
            payload,
            kafka_headers("reading", "x:1", "bench"),
        )
        for topic, payload in load
    ]
    await producer.start()
    try:
        started = time.perf_counter()
        sends = []
        for i in range(0, len(records), 500):  # about what one socket read hands over
            sends += await writer.send_all(records[i : i + 500])
        await writer.until_written(sends)
        return len(records) / (time.perf_counter() - started)
    finally:
        await producer.stop()


def _raw_client() -> mqtt.Client:
    return mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-raw", protocol=mqtt.MQTTv5)


def _connect_props() -> Properties:
    props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]  # paho leaves it unannotated
    props.SessionExpiryInterval = 3600
    return props


def _raw_mqtt(port: int, load: list[tuple[str, bytes]]) -> float:
    subscribed = threading.Event()
    client = _raw_client()
    client.on_subscribe = lambda *a: subscribed.set()
    client.connect("127.0.0.1", port, clean_start=True, properties=_connect_props())
    client.subscribe(_RAW_FILTER, qos=1)
    client.loop_start()
    subscribed.wait(10)
    client.disconnect()
    client.loop_stop()
    publish_all(port, load)
    done = threading.Event()
    count = 0

    def on_message(c: Any, u: Any, msg: Any) -> None:
        nonlocal count
        count += 1
        if count == len(load):
            done.set()

    client = _raw_client()
    client.on_message = on_message
    started = time.perf_counter()
    client.connect("127.0.0.1", port, clean_start=False, properties=_connect_props())
    client.loop_start()
    if not done.wait(300):
        raise TimeoutError(f"raw subscriber got {count}/{len(load)}")
    elapsed = time.perf_counter() - started
    client.disconnect()
    client.loop_stop()
    return len(load) / elapsed


async def _bridge(opts: BridgeOptions, port: int, load: list[tuple[str, bytes]]) -> float:
    first = Bridge(opts)  # creates the persistent sessions, then goes away
    await first.start()
    await asyncio.wait_for(first.wait_subscribed(), 10)
    await first.stop()
    await asyncio.to_thread(publish_all, port, load)
    bridge = Bridge(opts)
    started = time.perf_counter()
    await bridge.start()
    deadline = started + 300
    while bridge.stats.acked < len(load):
        if time.perf_counter() > deadline:
            raise TimeoutError(f"bridge acked {bridge.stats.acked}/{len(load)}")
        await asyncio.sleep(0.005)
    elapsed = time.perf_counter() - started
    log.info("bridge stats: %s", bridge.stats.json_line())
    await bridge.stop()
    return len(load) / elapsed
