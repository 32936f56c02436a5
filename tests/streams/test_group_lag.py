"""The worker group's consumer lag (streams/group_lag.py): the pure count, and the measurement
on a real Tansu against what a group member commits."""

from __future__ import annotations

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from prometheus_client import CollectorRegistry

from events.connections import KafkaConnection, KafkaFlavour
from events.topics import Topics
from firewatch.embedded.tansu import TansuBroker
from runtime.metrics_catalogue import gauge
from streams.group_lag import GroupLag, lag_by_topic
from tests.polling import wait_for

R0, R1, P0 = (
    TopicPartition(Topics.READINGS, 0),
    TopicPartition(Topics.READINGS, 1),
    TopicPartition(Topics.PRIORITY, 0),
)


def test_lag_counts_from_the_commit_or_from_the_first_record() -> None:
    ends = {R0: 100, R1: 50, P0: 7}
    starts = {R0: 0, R1: 20, P0: 0}
    committed: dict[TopicPartition, int | None] = {R0: 90, R1: None, P0: 7}
    # R0: 10 behind its commit; R1: never committed, 30 records from its first; P0: caught up.
    assert lag_by_topic(ends, starts, committed) == {Topics.PRIORITY: 0, Topics.READINGS: 40}


@pytest.mark.integration
async def test_the_lag_of_a_group_follows_what_it_commits(kafka: TansuBroker) -> None:
    conn = KafkaConnection(
        bootstrap=kafka.bootstrap, flavour=KafkaFlavour.TANSU, session_timeout_ms=6000
    )
    registry = CollectorRegistry()
    lag = GroupLag(
        conn,
        "fw-lag-test",
        {Topics.READINGS: 12},
        gauge("firewatch_streams_consumer_lag_records", registry),
    )
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap)
    await producer.start()
    try:
        # One record per batch: Tansu's end offset is its last batch's base offset + 1
        # (STACK-NOTES.md), exact only then; Apache Kafka's is exact either way.
        for i in range(30):
            await producer.send_and_wait(Topics.READINGS, b"{}", partition=i % 3)
    finally:
        await producer.stop()
    observer = AIOKafkaConsumer(bootstrap_servers=kafka.bootstrap, group_id="fw-lag-test")
    await observer.start()
    try:
        assert await lag.measure(observer) == {Topics.READINGS: 30}  # nothing committed yet
        member = AIOKafkaConsumer(
            Topics.READINGS,
            bootstrap_servers=kafka.bootstrap,
            group_id="fw-lag-test",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=6000,
        )
        await member.start()
        try:
            read: list[object] = []

            async def read_all() -> bool:
                batches = await member.getmany(timeout_ms=500)
                read.extend(r for records in batches.values() for r in records)
                return len(read) >= 30

            await wait_for(read_all, 60, what="the member read everything")
            await member.commit({TopicPartition(Topics.READINGS, 0): 4})  # 10 on p0: 6 left
        finally:
            await member.stop()
        assert await lag.measure(observer) == {Topics.READINGS: 26}
        await lag.measure_once(observer)  # one round of the loop, without its sleep
        value = registry.get_sample_value(
            "firewatch_streams_consumer_lag_records", {"topic": Topics.READINGS}
        )
        assert value == 26
    finally:
        await observer.stop()
