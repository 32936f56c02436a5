"""Put readings on the readings topic the way the ingest bridge does (key = device id)."""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka import AIOKafkaProducer

from events.codec import encode_model, kafka_headers
from events.topics import Topics
from tests.telemetry.scenario import AnyReading


async def produce_readings(bootstrap: str, readings: Sequence[AnyReading]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for reading in readings:
            await producer.send(
                Topics.READINGS,
                encode_model(reading),
                key=reading.device_id.encode(),
                headers=kafka_headers(reading.kind, reading.event_id, "tests"),
            )
        await producer.flush()
    finally:
        await producer.stop()
