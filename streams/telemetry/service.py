"""Wiring of the sink for a process: the aiokafka consumer, the InfluxDB writer, the loop.

`firewatch sink` and `firewatch up` call `run_sink`; tests may build `TelemetrySink` directly.
"""

from __future__ import annotations

import asyncio
import random

from aiokafka import AIOKafkaConsumer, TopicPartition

from events.connections import KafkaConnection
from runtime.health import Health
from runtime.health_kafka import kafka_probe
from runtime.kafka import consumer_settings
from streams.telemetry.config import SinkConfig
from streams.telemetry.metrics import SinkMetrics
from streams.telemetry.sink import TelemetrySink
from streams.telemetry.writer import InfluxWriter


def build_consumer(config: SinkConfig, kafka: KafkaConnection) -> AIOKafkaConsumer:
    """The sink's own consumer group; manual commits; a new group starts at the beginning."""
    return AIOKafkaConsumer(
        *config.topics,
        **consumer_settings(
            kafka,
            client_id=config.group_id,
            group_id=config.group_id,
            auto_offset_reset="earliest",
            max_poll_records=config.max_poll_records,
        ),
    )


async def run_sink(
    config: SinkConfig,
    kafka: KafkaConnection,
    stop: asyncio.Event,
    metrics: SinkMetrics | None = None,
    health: Health | None = None,
) -> None:
    """Run until `stop` is set; `health` receives the sink's checks (not ready until its
    consumer and database client are up)."""
    health = health or Health()
    started = health.ready_flag("sink.started")
    consumer = build_consumer(config, kafka)
    await consumer.start()
    try:
        # A frozen cluster leaves the assignment as it was: a probe of its own sees it.
        async with kafka_probe(kafka, health, config.topics[0]), InfluxWriter(config) as writer:
            sink = TelemetrySink(
                config,
                consumer,
                writer,
                metrics or SinkMetrics(),
                rng=random.Random(),  # jitter only; nothing to reproduce
                topic_partition=TopicPartition,
            )
            sink.register_health(health)
            started.set()
            await sink.run(stop)
    finally:
        started.clear()
        await consumer.stop()
