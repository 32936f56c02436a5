"""Load for the ingest benchmark and tests: pre-encoded readings and a QoS1 publisher."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from events.topics import Channel, MqttTopic


def smoke_stream(
    devices: int, per_device: int, observed_at: datetime | None = None, first_seq: int = 0
) -> list[tuple[str, bytes]]:
    """Interleaved smoke readings, seq-major (every device advances together), pre-encoded."""
    at = (observed_at or datetime.now(UTC)).isoformat()
    out = []
    for seq in range(first_seq, first_seq + per_device):
        for d in range(devices):
            device = f"sd-{d:05d}"
            body = {
                "kind": "smoke",
                "device_id": device,
                "compound_id": "c1",
                "gateway_id": "gw1",
                "seq": seq,
                "observed_at": at,
                "obscuration_db_per_m": 0.01,
                "temperature_c": 21.5,
                "battery_pct": 90.0,
            }
            topic = MqttTopic.device("c1", "gw1", device, Channel.TELEMETRY)
            out.append((topic, json.dumps(body, separators=(",", ":")).encode()))
    return out


def publish_all(
    port: int,
    messages: Iterable[tuple[str, bytes]],
    timeout_s: float = 120.0,
    host: str = "127.0.0.1",
) -> int:
    """Publish QoS1 and return once the broker acknowledged every message (PUBACK)."""
    done = threading.Event()
    lock = threading.Lock()
    state = {"acked": 0, "total": 0, "sent_all": False}

    def on_publish(client: Any, userdata: Any, mid: int, rc: Any, props: Any) -> None:
        with lock:
            state["acked"] += 1
            if state["sent_all"] and state["acked"] == state["total"]:
                done.set()

    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.on_publish = on_publish
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect(host, port)
    client.loop_start()
    try:
        for topic, payload in messages:
            client.publish(topic, payload, qos=1)
            with lock:
                state["total"] += 1
        with lock:
            state["sent_all"] = True
            if state["acked"] == state["total"]:
                done.set()
        if not done.wait(timeout_s):
            raise TimeoutError(f"broker acked {state['acked']}/{state['total']} publishes")
    finally:
        client.disconnect()
        client.loop_stop()
    return int(state["total"])
