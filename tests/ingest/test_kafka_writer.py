"""The lane's Kafka writer against a broker that came back with a topic of another partition
count (Tansu keeps topics in memory and creates a missing one on first use with its own)."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaProducer
from aiokafka.errors import UnknownTopicOrPartitionError

from events.connections import KafkaConnection, KafkaFlavour
from events.topics import TopicSpec
from firewatch.embedded.process import free_port
from firewatch.embedded.tansu import start_tansu
from firewatch.kafka_admin import ensure_topics
from ingest.config import IngestConfig
from ingest.core import OutboundRecord
from ingest.kafka_writer import KafkaWriter, make_producer
from ingest.stats import BridgeStats

TOPIC = "fw.test.repartitioned"


def _records(n: int) -> list[OutboundRecord]:
    return [OutboundRecord(TOPIC, f"dev-{i}".encode(), b"{}", []) for i in range(n)]


async def test_after_a_broker_came_back_writes_go_to_the_partitions_its_topic_has() -> None:
    """The regression (CI, stop 22): writes chosen from the lost broker's 12 partitions went to
    partitions the new topic has not; aiokafka asserted ("Unrecognized partition"), the
    assertion escaped the writer, and the held messages were never written."""
    port = free_port()
    brokers = [start_tansu(port)]
    await ensure_topics(brokers[0].bootstrap, [TopicSpec(TOPIC, "test", "device", 12)])
    conn = KafkaConnection(bootstrap=brokers[0].bootstrap, flavour=KafkaFlavour.TANSU)
    producer: AIOKafkaProducer = make_producer(conn, IngestConfig(), "telemetry")
    await producer.start()
    writer = KafkaWriter("test", producer, BridgeStats(), retry_backoff_s=0.1)
    try:
        before = await writer.until_written(await writer.send_all(_records(40)))
        assert before is not None
        assert max(part for (_, part), *_ in before) >= 4  # keys spread over all 12
        brokers[0].process.stop()
        brokers.append(start_tansu(port, log_path=brokers[0].process.log_path))
        await ensure_topics(brokers[1].bootstrap, [TopicSpec(TOPIC, "test", "device", 4)])
        assert await producer.client.force_metadata_update()  # the producer knows: 4 now
        # Before the watch names the loss: partitions chosen from the old count fail, not crash.
        results = await asyncio.gather(
            *(s.future for s in await writer.send_all(_records(40))), return_exceptions=True
        )
        assert any(isinstance(r, UnknownTopicOrPartitionError) for r in results)
        writer.forget_partitions()  # what the bridge does once the watch has seen the loss
        after = await asyncio.wait_for(
            writer.until_written(await writer.send_all(_records(40))), 30
        )
        assert after is not None
        assert {part for (_, part), *_ in after} <= set(range(4))
        assert sum(count for *_, count in after) == 40
    finally:
        await producer.stop()
        for broker in brokers:
            broker.process.stop()
