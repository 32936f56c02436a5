"""Audit checkpoints on Kafka (`Topics.AUDIT`): the dispatch service publishes each one it signs;
`firewatch audit verify --kafka-bootstrap` reads them all back. Kept apart from the ledger
modules so reading or verifying a ledger never imports a Kafka client."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from alerts.ledger.audit_checkpoints import Checkpoint, parse_checkpoints
from events.connections import KafkaConnection
from events.topics import Topics
from runtime.kafka import consumer_settings

CHECKPOINT_KEY = b"ledger"


async def publish_checkpoint(producer: AIOKafkaProducer, cp: Checkpoint) -> None:
    await producer.send_and_wait(Topics.AUDIT, cp.line().encode(), key=CHECKPOINT_KEY)


async def read_kafka_checkpoints(kafka: KafkaConnection, idle_s: float = 2.0) -> list[Checkpoint]:
    """Every checkpoint on the topic, read from the start until none came for `idle_s`.

    No consumer group and no commits: verifying leaves no trace. End offsets are not used,
    because Tansu reports them wrong for batched producers (STACK-NOTES.md)."""
    consumer = AIOKafkaConsumer(
        Topics.AUDIT,
        **consumer_settings(
            kafka, client_id="fw-audit-verify", group_id=None, fetch_max_wait_ms=100
        ),
    )
    await consumer.start()
    lines: list[str] = []
    try:
        while batch := await consumer.getmany(timeout_ms=int(idle_s * 1000)):
            for records in batch.values():
                lines += [r.value.decode("utf-8", "replace") for r in records]
    finally:
        await consumer.stop()
    return parse_checkpoints(lines, f"kafka {Topics.AUDIT}")
