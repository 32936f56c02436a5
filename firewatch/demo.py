"""`firewatch up --demo`: a few readings and one device alarm, then read back from Kafka.

A stand-in until the simulator joins the stack; it proves the path end to end.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
from aiokafka import AIOKafkaConsumer
from paho.mqtt.enums import CallbackAPIVersion

from events.topics import Channel, MqttTopic, Topics
from firewatch.stack import Endpoints

log = logging.getLogger(__name__)


def demo_messages(now: datetime) -> list[tuple[str, bytes]]:
    ids = {"compound_id": "demo-c1", "gateway_id": "demo-gw1", "observed_at": now.isoformat()}
    out = []
    for seq in range(5):
        body = {"kind": "smoke", "device_id": "demo-sd1", "seq": seq, **ids}
        body |= {"obscuration_db_per_m": 0.02 * seq, "temperature_c": 22.0, "battery_pct": 95}
        topic = MqttTopic.device("demo-c1", "demo-gw1", "demo-sd1", Channel.TELEMETRY)
        out.append((topic, json.dumps(body).encode()))
    alarm = {"kind": "device_alarm", "device_id": "demo-sd1", "seq": 5, "alarm_type": "smoke"}
    topic = MqttTopic.device("demo-c1", "demo-gw1", "demo-sd1", Channel.ALARM)
    out.append((topic, json.dumps(alarm | ids).encode()))
    return out


def run_demo(endpoints: Endpoints, timeout_s: float = 30.0) -> int:
    messages = demo_messages(datetime.now(UTC))
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.connect(endpoints.mqtt_host, endpoints.mqtt_port)
    client.loop_start()
    try:
        infos = [client.publish(t, p, qos=1) for t, p in messages]
        for info in infos:
            info.wait_for_publish(timeout_s)
    finally:
        client.disconnect()
        client.loop_stop()
    log.info("demo: published %d readings and 1 alarm over MQTT", len(messages) - 1)
    arrived = asyncio.run(_read_back(endpoints.kafka_bootstrap, len(messages), timeout_s))
    log.info(
        "demo: %d/%d arrived on Kafka (%s, %s)",
        arrived,
        len(messages),
        Topics.READINGS,
        Topics.PRIORITY,
    )
    return arrived


async def _read_back(bootstrap: str, expected: int, timeout_s: float) -> int:
    consumer = AIOKafkaConsumer(
        Topics.READINGS, Topics.PRIORITY, bootstrap_servers=bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    seen: set[str] = set()
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while len(seen) < expected and loop.time() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for rec in records:
                    body = json.loads(rec.value)
                    if body.get("device_id") == "demo-sd1":
                        seen.add(f"{rec.topic}:{body['seq']}")
    finally:
        await consumer.stop()
    return len(seen)
