"""The worker asks 256 KiB a partition per fetch (issue #17.4): a worker that falls behind
holds at most about one fetch response a partition (Tansu returns ~4x what is asked), and
the bound still lets the bridge's largest batches through."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from events.connections import KafkaConnection, KafkaFlavour
from firewatch.embedded.tansu import TansuBroker
from ingest.config import IngestConfig
from streams.app import PARTITION_FETCH_BYTES, build_app
from streams.config import StreamsConfig
from tests.polling import wait_for

RECORD = b"r" * 900  # about a reading as the bridge writes it
BATCHES = 6


def test_the_worker_asks_256_kib_a_partition() -> None:
    kafka = KafkaConnection(bootstrap="127.0.0.1:9", flavour=KafkaFlavour.TANSU)  # not dialled
    worker = build_app(StreamsConfig(app_id="fw-test-fetch-bound"), kafka)
    # Faust passes this to aiokafka as max_partition_fetch_bytes (its default: 1 MiB).
    assert worker.app.conf.consumer_max_fetch_size == PARTITION_FETCH_BYTES == 256 * 1024


async def _fill(bootstrap: str, topic: str, batch_bytes: int) -> int:
    """Full producer batches of `batch_bytes` on one partition, as a busy bridge writes."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, max_batch_size=batch_bytes, linger_ms=200
    )
    await producer.start()
    try:
        count = BATCHES * batch_bytes // (len(RECORD) + 70)
        sent = [await producer.send(topic, RECORD, partition=0) for _ in range(count)]
        await asyncio.gather(*sent)
        return count
    finally:
        await producer.stop()


async def _read(bootstrap: str, topic: str, partition_bytes: int, want: int) -> int:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=partition_bytes,
    )
    await consumer.start()
    got = 0
    try:

        async def all_read() -> bool:
            nonlocal got
            for records in (await consumer.getmany(timeout_ms=200)).values():
                got += len(records)
            return got >= want

        await wait_for(all_read, timeout_s=20, what=f"{want} records at {partition_bytes} B")
    except AssertionError:  # the deadline: what was read by then is the answer
        pass
    finally:
        await consumer.stop()
    return got


@pytest.mark.integration
async def test_the_bound_passes_the_bridges_largest_batches(tansu: TansuBroker) -> None:
    batch = IngestConfig().kafka_max_batch_bytes  # the producers' batch: 256 KiB
    assert batch <= PARTITION_FETCH_BYTES
    sent = await _fill(tansu.bootstrap, "fetch-bound", batch)
    assert await _read(tansu.bootstrap, "fetch-bound", PARTITION_FETCH_BYTES, sent) == sent
