"""One record through a producer and a consumer built from runtime.kafka's settings, on a
fresh topic's first offset: the round trip the plaintext (tests/runtime) and the TLS
(tests/security) connection tests both make, so they prove the same thing on two transports."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from events.connections import KafkaConnection
from events.topics import Topics
from runtime.kafka import consumer_settings, producer_settings


async def round_trip(conn: KafkaConnection, client_id: str, value: bytes) -> tuple[bytes, bytes]:
    """Send `value` keyed b"k" to the dead-letter topic; the (key, value) read back."""
    producer = AIOKafkaProducer(**producer_settings(conn, client_id=client_id))
    await producer.start()
    try:
        await producer.send_and_wait(Topics.DEAD_LETTER, value, key=b"k")
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        Topics.DEAD_LETTER,
        **consumer_settings(conn, client_id=client_id, group_id=client_id),
    )
    await consumer.start()
    try:
        got = await consumer.getone()
    finally:
        await consumer.stop()
    return got.key, got.value
