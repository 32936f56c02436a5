"""Create the Kafka topics of the topic table (idempotent: existing topics are left alone)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from events.connections import KafkaConnection
from events.topics import KAFKA_TOPICS, TopicSpec
from runtime.kafka import admin_settings

log = logging.getLogger(__name__)


async def ensure_topics(
    kafka: KafkaConnection | str,
    specs: Iterable[TopicSpec] = KAFKA_TOPICS,
    replication_factor: int = 1,
    partitions: int | None = None,
) -> list[str]:
    """Create missing topics; `partitions` overrides the table (small test brokers). A bare
    bootstrap address is a plaintext connection (the embedded broker, test brokers)."""
    conn = KafkaConnection(bootstrap=kafka) if isinstance(kafka, str) else kafka
    admin = AIOKafkaAdminClient(**admin_settings(conn, client_id="fw-topics"))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(
                name=spec.name,
                num_partitions=partitions or spec.partitions,
                replication_factor=replication_factor,
            )
            for spec in specs
            if spec.name not in existing
        ]
        if wanted:
            try:
                await admin.create_topics(wanted)
            except TopicAlreadyExistsError:
                log.info("topics created concurrently by another process")
        return [t.name for t in wanted]
    finally:
        await admin.close()
