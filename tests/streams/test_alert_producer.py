"""Alerts do not wait behind a state flush (streams/priority_producer.py; issue #17).

Faust's producer, which carries the changelog flushes, has one request in flight per broker: an
alert handed to it is sent only after the request on the wire is answered. Here the answers to
Faust's producer are held (its connections stop reading, as a congested link would) while a
flush of thousands of states is under way; the alert is durable on the broker all the same, and
the flush completes once the answers flow again. A record handed to Faust's producer meanwhile
stays undelivered: the dependency the alerts' own producer removes.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer

from events.connections import KafkaConnection, KafkaFlavour
from events.topics import Topics, TopicSpec
from firewatch.embedded.tansu import TansuBroker
from firewatch.kafka_admin import ensure_topics
from streams.app import Worker, build_app
from streams.config import StreamsConfig
from streams.faust_compat import aiokafka_producer
from streams.processor import Emitted
from tests.polling import wait_for
from tests.streams.fixtures import smoke

STATES = 5_000  # ~1 KB each: several producer batches per partition (producer_max_batch_bytes)


async def _worker(kafka: TansuBroker) -> Worker:
    conn = KafkaConnection(bootstrap=kafka.bootstrap, flavour=KafkaFlavour.TANSU)
    worker = build_app(StreamsConfig(app_id="fw-it-alert-producer"), conn)
    changelog = worker.stores["readings"].table.changelog_topic_name
    # Faust creates its changelog and signal topics when it starts; this app never starts its
    # consumer. The signals go out in batches on explicit partitions (Sender.send_keyed).
    cfg = worker.cfg
    await ensure_topics(
        kafka.bootstrap,
        [
            TopicSpec(changelog, "state", "device", 12),
            TopicSpec(cfg.signals_topic, "signals", "compound", cfg.signals_partitions),
        ],
    )
    await worker.app.maybe_start_producer()
    return worker


def _hold_answers(worker: Worker, *, held: bool) -> None:
    """Faust's producer reads no responses while `held`: what it has in flight stays there."""
    for conn in aiokafka_producer(worker.app).client._conns.values():
        transport = conn._writer.transport
        if held:
            transport.pause_reading()
        else:
            transport.resume_reading()


async def _delivered(worker: Worker, topic: str) -> None:
    await (await worker.sender.send(topic, b"probe", b"{}"))


async def _alert_on_kafka(bootstrap: str, device: str) -> dict[str, Any]:
    consumer = AIOKafkaConsumer(
        Topics.ALERTS, bootstrap_servers=bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    found: list[dict[str, Any]] = []
    try:

        async def arrived() -> bool:
            for batch in (await consumer.getmany(timeout_ms=200)).values():
                found.extend(
                    alert
                    for alert in (json.loads(rec.value or b"{}") for rec in batch)
                    if alert.get("device_id") == device
                )
            return bool(found)

        await wait_for(arrived, 30, what=f"the alert of {device} on Kafka", every_s=0.05)
    finally:
        await consumer.stop()
    return found[0]


@pytest.mark.integration
async def test_an_alert_is_durable_while_a_state_flush_is_held_on_the_wire(
    kafka: TansuBroker,
) -> None:
    worker = await _worker(kafka)
    store = worker.stores["readings"]
    try:
        # Metadata and the broker connection first (as in a running worker): held answers
        # would hold metadata requests too, and only an open connection can be held.
        changelog = store.table.changelog_topic_name
        for topic in (changelog, worker.cfg.signals_topic):
            await aiokafka_producer(worker.app).partitions_for(topic)
        await _delivered(worker, changelog)
        assert aiokafka_producer(worker.app).client._conns, "no connection to hold"
        for n in range(STATES):
            store.put(f"port-{n}", {"n": n, "pad": "x" * 1000}, partition=n % 12)
        _hold_answers(worker, held=True)
        flush = asyncio.create_task(store.drain(worker.sender))
        # A record handed to Faust's producer now, as an alert was before.
        via_faust = asyncio.create_task(_delivered(worker, changelog))
        emitted = Emitted()
        worker.priority.on_reading(smoke("held-smoke", 1, 0.0, temp_c=80.0), emitted)
        assert [a.kind.value for a in emitted.alerts] == ["fire"]
        # Returns once the alert is acknowledged (acks=all): it waited for nothing of Faust's.
        await asyncio.wait_for(worker.publish(emitted, with_state=False), 30)
        alert = await _alert_on_kafka(kafka.bootstrap, "held-smoke")
        assert alert["status"] == "raised"
        # The flush, and anything else behind Faust's in-flight request, is still held.
        assert not flush.done()
        assert not via_faust.done()
        _hold_answers(worker, held=False)
        await asyncio.wait_for(flush, 60)
        await asyncio.wait_for(via_faust, 30)
        assert not store.pending
    finally:
        _hold_answers(worker, held=False)
        await worker.alerts.stop()
        await worker.app.producer.stop()
