"""One partitioner, exactly Kafka's default: Java's test vectors, aiokafka's own function, and
where aiokafka's producer actually puts keyed records on a real broker."""

from __future__ import annotations

import random

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.partitioner import murmur2 as aiokafka_murmur2

from events.topics import Topics
from firewatch.embedded.tansu import TansuBroker
from runtime.partitioner import murmur2, partition_for, partition_for_key, to_positive

# Kafka's clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java (testMurmur2):
# Java returns a signed int; the bits are what count.
JAVA_VECTORS = {
    b"21": -973932308,
    b"foobar": -790332482,
    b"a-little-bit-long-string": -985981536,
    b"a-little-bit-longer-string": -1486304829,
    b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
    b"abc": 479470107,
}


@pytest.mark.parametrize(("key", "java"), JAVA_VECTORS.items())
def test_murmur2_matches_the_java_client(key: bytes, java: int) -> None:
    assert murmur2(key) == java & 0xFFFFFFFF


def test_murmur2_matches_aiokafka_for_every_length_and_byte() -> None:
    rng = random.Random(7)
    keys = [bytes(rng.randrange(256) for _ in range(n)) for n in range(70) for _ in range(20)]
    keys += [f"c001-b{i}-f1-u{i}-smk".encode() for i in range(500)]
    assert [murmur2(k) for k in keys] == [aiokafka_murmur2(k) for k in keys]


def test_to_positive_drops_the_sign_bit_as_java_does() -> None:
    assert to_positive(0x80000000) == 0  # Java: toPositive(Integer.MIN_VALUE) == 0
    assert to_positive(0xFFFFFFFF) == 0x7FFFFFFF


def test_partition_for_is_in_range_and_refuses_an_empty_topic() -> None:
    assert {partition_for(f"d{i}", 12) for i in range(1000)} == set(range(12))
    assert partition_for("d1", 12) == partition_for_key(b"d1", 12)
    with pytest.raises(ValueError, match="at least one partition"):
        partition_for_key(b"d1", 0)


@pytest.mark.integration
async def test_aiokafkas_producer_puts_each_key_where_partition_for_says(
    kafka: TansuBroker,
) -> None:
    keys = [f"dev-{i:03d}" for i in range(60)]
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap)  # default partitioner
    await producer.start()
    try:
        partitions = len(await producer.partitions_for(Topics.READINGS))
        for key in keys:
            await producer.send(Topics.READINGS, b"{}", key=key.encode())
        await producer.flush()
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        Topics.READINGS, bootstrap_servers=kafka.bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    landed: dict[str, int] = {}
    try:
        while len(landed) < len(keys):
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                landed.update({r.key.decode(): r.partition for r in records if r.key})
    finally:
        await consumer.stop()
    assert partitions == 12
    assert landed == {key: partition_for(key, partitions) for key in keys}
