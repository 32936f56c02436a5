"""The raw relay of `firewatch bench e2e`'s floor: the P1 path's hops with the same libraries,
the same broker and the same settings as the stack, and no Firewatch code in between.

  device --MQTT--> Mosquitto --paho (QoS 1, the bridge's two sessions and subscriptions)-->
  aiokafka producer (telemetry: the bridge's hold as the linger, and batch size; alarms and
  the P1's own reading: linger 0, as the bridge writes a reading that may start a P1 at once;
  acks=all both, as ingest/kafka_writer.py) --> Tansu --> aiokafka consumers (the priority
  topic with the worker's priority-fetch wait, the readings topic drained with the worker's
  fetch wait)
  --> the P1 recognised --> paho publish of a page (QoS 1) to the station terminal's topic.

The relay recognises a P1 by the device ids the benchmark hands it (what the load process
will fire) and what the device sends at that moment (benchmarks/e2e_load.p1_messages): a
fire is the detector's alarm on the priority topic; a thermal runaway is the port's reading on
the readings topic (the stack raises it there: streams.detectors.runaway), told from the
port's ordinary readings by its socket temperature. One page per place, the first trigger.

It runs in a process of its own (spawned, as the stack's services are), on one event loop;
paho's network threads hand each message over with `call_soon_threadsafe`. Per P1 it stamps
every hop (time.time(), the watchers' clock): received from MQTT, acknowledged by Kafka,
consumed, page published. `drop` names places it recognises and does not page: the test's
lost trigger, which the reconciliation must catch.

The conversation over the pipe, as benchmarks/e2e_loadproc.py's: child -> parent ("ready",)
then, on "stop", ("done", {"stamps", "counts"}); ("error", traceback) on failure.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import paho.mqtt.client as mqtt
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.subscribeoptions import SubscribeOptions

# simulators.devices.charging: a socket past 70 C is the port's over-temperature edge; an
# ordinary reading stays below it (benchmarks/e2e_load._RUNAWAY sends 135 C).
RUNAWAY_SOCKET_C = 70.0
FIRST_STEP = "p1-page"  # what the terminal watcher measures (benchmarks/e2e_watch.py)
HOP_STAMPS = ("mqtt_received", "on_kafka", "consumed", "page_published")
SUBSCRIBE_WAIT_S = 30.0


@dataclass(frozen=True)
class Trigger:
    kind: str  # "fire" or "thermal_runaway"
    place_key: str
    page_topic: str  # the covering station terminal's page topic


@dataclass(frozen=True)
class RelayJob:
    """Everything the relay needs; pickled to it at spawn. Topic names and settings are the
    stack's, passed in as values (the relay imports none of its code)."""

    mqtt_host: str
    mqtt_port: int
    bootstrap: str
    readings_topic: str
    priority_topic: str
    telemetry_filters: tuple[str, ...]
    priority_filters: tuple[str, ...]
    linger_ms: int
    max_batch_bytes: int
    hold_ms: int  # the bridge's telemetry hold (ingest/config.py): the telemetry linger here
    readings_fetch_wait_ms: int
    priority_fetch_wait_ms: int
    triggers: dict[str, Trigger]  # device id -> its P1
    drop: frozenset[str] = frozenset()


def recognise(triggers: dict[str, Trigger], device_id: str, channel: str, payload: bytes) -> str:
    """The place whose P1 this message is, or "" (not a trigger)."""
    trigger = triggers.get(device_id)
    if trigger is None:
        return ""
    if trigger.kind == "fire":
        return trigger.place_key if channel == "alarm" else ""
    if channel != "telemetry":
        return ""
    reading = json.loads(payload)
    is_venting = float(reading.get("socket_temp_c") or 0.0) >= RUNAWAY_SOCKET_C
    return trigger.place_key if is_venting else ""


def _device_and_channel(topic: str) -> tuple[str, str]:
    """fw/v1/<compound>/<gateway>/<device>/<channel>; a gateway's own topic has no device."""
    parts = topic.split("/")
    return (parts[4] if len(parts) == 6 else parts[3]), parts[-1]


@dataclass
class Relay:
    job: RelayJob
    loop: asyncio.AbstractEventLoop
    pages: mqtt.Client
    urgent: AIOKafkaProducer  # linger 0: the priority lane's producer
    stamps: dict[str, dict[str, float]] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    paged: set[str] = field(default_factory=set)
    by_place: dict[str, Trigger] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_place = {t.place_key: t for t in self.job.triggers.values()}

    def stamp(self, place: str, hop: str, at: float) -> None:
        self.stamps.setdefault(place, {}).setdefault(hop, at)

    def handler(self, queue: asyncio.Queue[tuple[str, bytes, float]]) -> Any:
        """paho's on_message (its network thread): stamp, hand over to the loop."""

        def on_message(_c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
            item = (msg.topic, bytes(msg.payload), time.time())
            self.loop.call_soon_threadsafe(queue.put_nowait, item)

        return on_message

    async def forward(
        self, queue: asyncio.Queue[tuple[str, bytes, float]], producer: AIOKafkaProducer, lane: str
    ) -> None:
        """Every message of the lane to Kafka, keyed by device (the bridge's partitioning)."""
        topic = self.job.priority_topic if lane == "priority" else self.job.readings_topic
        while True:
            mqtt_topic, payload, at = await queue.get()
            device_id, channel = _device_and_channel(mqtt_topic)
            # The bridge's telemetry lane leaves the alarm channel to the priority lane and
            # never forwards downlink topics (pages, commands): the ACL withholds them there.
            if lane == "telemetry" and (channel in ("alarm", "cmd", "page")):
                continue
            place = ""
            if device_id in self.job.triggers:
                place = recognise(self.job.triggers, device_id, channel, payload)
            # A P1's reading is not held: the bridge ends its hold for it (ingest/urgency.py).
            sender = self.urgent if place else producer
            future = await sender.send(topic, payload, key=device_id.encode())
            self.counts[f"produced_{lane}"] += 1
            if place:
                self.stamp(place, "mqtt_received", at)
                future.add_done_callback(lambda _f, p=place: self.stamp(p, "on_kafka", time.time()))

    async def consume(self, consumer: AIOKafkaConsumer, channel: str) -> None:
        triggers = self.job.triggers
        while True:
            batches = await consumer.getmany(timeout_ms=1000)
            at = time.time()
            for records in batches.values():
                self.counts[f"consumed_{channel}"] += len(records)
                for rec in records:
                    device_id = (rec.key or b"").decode()
                    if device_id in triggers and (
                        place := recognise(triggers, device_id, channel, rec.value or b"")
                    ):
                        self.page(place, at)

    def page(self, place: str, consumed_at: float) -> None:
        if place in self.paged:  # a fire's second alarm (smoke, then heat): one page
            return
        self.paged.add(place)
        self.stamp(place, "consumed", consumed_at)
        if place in self.job.drop:
            return
        trigger = self.by_place[place]
        body = {"incident_key": f"{place}@raw", "step": FIRST_STEP, "kind": trigger.kind}
        self.pages.publish(trigger.page_topic, json.dumps(body).encode(), qos=1)
        self.stamp(place, "page_published", time.time())


def main(job: RelayJob, pipe: Connection) -> None:
    """The spawned process's entry point."""
    try:
        asyncio.run(_serve(job, pipe))
    except BaseException:
        pipe.send(("error", traceback.format_exc()))
        raise


def _client(job: RelayJob, name: str, filters: tuple[str, ...]) -> tuple[mqtt.Client, Any]:
    """A paho session (MQTT v5, QoS 1) subscribed to `filters`; the event is set once the
    broker confirmed them."""
    subscribed = threading.Event()
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=f"fw-raw-{name}", protocol=mqtt.MQTTv5
    )
    if filters:
        options = SubscribeOptions(qos=1, noLocal=True)
        client.on_connect = lambda c, *_a: c.subscribe([(f, options) for f in filters])
        client.on_subscribe = lambda *_a: subscribed.set()
    else:
        client.on_connect = lambda *_a: subscribed.set()
    client.connect(job.mqtt_host, job.mqtt_port)
    return client, subscribed


async def _consumer(job: RelayJob, topic: str, wait_ms: int) -> AIOKafkaConsumer:
    """No group (as the worker's priority fetch): every partition, from its end now."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=job.bootstrap, fetch_max_wait_ms=wait_ms, enable_auto_commit=False
    )
    await consumer.start()
    await consumer.topics()
    parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or set()]
    consumer.assign(parts)
    await consumer.seek_to_end()
    for tp in parts:  # resolved before the load starts: nothing of the run is skipped
        await consumer.position(tp)
    return consumer


def _producers(job: RelayJob) -> dict[str, AIOKafkaProducer]:
    """The bridge's two producers (ingest/kafka_writer.make_producer): acks=all; the priority
    lane's at once (linger 0), the telemetry lane's batched over the bridge's hold. No
    idempotence: Tansu has none."""
    return {
        lane: AIOKafkaProducer(
            bootstrap_servers=job.bootstrap,
            acks="all",
            linger_ms=max(job.linger_ms, job.hold_ms) if lane == "telemetry" else 0,
            max_batch_size=job.max_batch_bytes,
        )
        for lane in ("telemetry", "priority")
    }


async def _serve(job: RelayJob, pipe: Connection) -> None:
    producers = _producers(job)
    consumers = {
        "alarm": await _consumer(job, job.priority_topic, job.priority_fetch_wait_ms),
        "telemetry": await _consumer(job, job.readings_topic, job.readings_fetch_wait_ms),
    }
    pages, pages_ready = _client(job, "pages", ())
    relay = Relay(job, asyncio.get_running_loop(), pages, producers["priority"])
    sessions = {
        "priority": _client(job, "priority", job.priority_filters),
        "telemetry": _client(job, "telemetry", job.telemetry_filters),
    }
    clients = [*sessions.values(), (pages, pages_ready)]
    tasks: list[asyncio.Task[None]] = []
    try:
        for p in producers.values():
            await p.start()
        tasks += [asyncio.create_task(relay.consume(c, ch)) for ch, c in consumers.items()]
        for lane, (client, _ready) in sessions.items():
            queue: asyncio.Queue[tuple[str, bytes, float]] = asyncio.Queue()
            client.on_message = relay.handler(queue)
            tasks.append(asyncio.create_task(relay.forward(queue, producers[lane], lane)))
        for client, ready in clients:
            client.loop_start()
            if not await asyncio.to_thread(ready.wait, SUBSCRIBE_WAIT_S):
                raise RuntimeError("raw relay: an MQTT session did not subscribe")
        pipe.send(("ready",))
        got = await asyncio.to_thread(pipe.recv)
        if got != "stop":
            raise RuntimeError(f"raw relay: expected 'stop', got {got!r}")
        pipe.send(("done", {"stamps": relay.stamps, "counts": dict(relay.counts)}))
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for client, _ready in clients:
            client.loop_stop()
            client.disconnect()
        for closable in [*consumers.values(), *producers.values()]:
            await closable.stop()
