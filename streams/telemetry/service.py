"""Wiring of the sink for a process: the aiokafka consumer, the InfluxDB writer, the loop.

`firewatch sink` and `firewatch up` call `run_sink`; tests may build `TelemetrySink` directly.
"""

from __future__ import annotations

import asyncio
import random

from aiokafka import AIOKafkaConsumer, TopicPartition

from events.connections import KafkaConnection
from streams.telemetry.config import SinkConfig
from streams.telemetry.metrics import SinkMetrics
from streams.telemetry.sink import TelemetrySink
from streams.telemetry.writer import InfluxWriter


def build_consumer(config: SinkConfig, kafka: KafkaConnection) -> AIOKafkaConsumer:
    """The sink's own consumer group; manual commits; a new group starts at the beginning."""
    return AIOKafkaConsumer(
        *config.topics,
        bootstrap_servers=kafka.bootstrap,
        group_id=config.group_id,
        client_id=config.group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=config.max_poll_records,
        session_timeout_ms=kafka.session_timeout_ms,
        heartbeat_interval_ms=kafka.heartbeat_interval_ms,
        security_protocol=kafka.security_protocol,
        sasl_mechanism=kafka.sasl_mechanism or "PLAIN",
        sasl_plain_username=kafka.sasl_username,
        sasl_plain_password=(
            kafka.sasl_password.get_secret_value() if kafka.sasl_password else None
        ),
    )


async def run_sink(
    config: SinkConfig,
    kafka: KafkaConnection,
    stop: asyncio.Event,
    metrics: SinkMetrics | None = None,
    on_started: asyncio.Future[TelemetrySink] | None = None,
) -> None:
    """Run until `stop` is set. `on_started` receives the sink (for health checks)."""
    consumer = build_consumer(config, kafka)
    await consumer.start()
    try:
        async with InfluxWriter(config) as writer:
            sink = TelemetrySink(
                config,
                consumer,
                writer,
                metrics or SinkMetrics(),
                rng=random.Random(),  # jitter only; nothing to reproduce
                topic_partition=TopicPartition,
            )
            if on_started is not None:
                on_started.set_result(sink)
            await sink.run(stop)
    finally:
        await consumer.stop()
