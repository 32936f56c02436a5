"""The embedded brokers start, speak their protocols, and stop without leftovers."""

from __future__ import annotations

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from events.topics import Topics
from firewatch.embedded.tansu import TansuBroker

pytestmark = pytest.mark.integration


async def test_tansu_round_trips_a_record(kafka: TansuBroker) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(Topics.READINGS, b"hello", key=b"sd-1")
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        Topics.READINGS, bootstrap_servers=kafka.bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        record = await consumer.getone()
    finally:
        await consumer.stop()
    assert (record.key, record.value) == (b"sd-1", b"hello")
