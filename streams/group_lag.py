"""`firewatch_streams_consumer_lag_records{topic}`: records of the worker group's input topics
that the group has not committed yet, i.e. how far detection runs behind the devices
(FirewatchConsumerLag; at 20k readings/s, 100,000 records is 5 s).

Measured from outside the Faust consumer, the way `kafka-consumer-groups --describe` does it:
the group's committed offsets against the partitions' end offsets, by a small client that never
joins the group (so the hot path and Faust's private state stay untouched). Every worker of
the group reports the whole group's lag: the rule takes the max. Committed offsets trail the
processed ones by up to Faust's commit interval (2.8 s), a few thousand records at most. On
Tansu a partition's end offset is its last batch's base offset + 1 (STACK-NOTES.md): the lag
there under-counts the records of a last multi-record batch; on Apache Kafka it is exact.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Mapping

from aiokafka import AIOKafkaConsumer, TopicPartition
from prometheus_client import Gauge

from events.connections import KafkaConnection
from runtime.kafka import consumer_settings

log = logging.getLogger(__name__)

Offsets = Mapping[TopicPartition, int]


def lag_by_topic(
    ends: Offsets, starts: Offsets, committed: Mapping[TopicPartition, int | None]
) -> dict[str, int]:
    """Per topic, records between the group's position and the end; a partition the group never
    committed counts from its first record (the worker starts there: offset reset earliest)."""
    lag: Counter[str] = Counter()
    for tp, end in ends.items():
        position = committed.get(tp)
        position = starts.get(tp, 0) if position is None else position
        lag[tp.topic] += max(0, end - position)
    return {topic: lag[topic] for topic in sorted({tp.topic for tp in ends})}


class GroupLag:
    def __init__(
        self,
        kafka: KafkaConnection,
        group_id: str,
        partitions: Mapping[str, int],
        gauge: Gauge,
        *,
        interval_s: float = 15.0,
    ) -> None:
        self.kafka, self.group_id, self.gauge = kafka, group_id, gauge
        self.interval_s = interval_s
        self._is_failing = False
        self.partitions = [TopicPartition(t, p) for t, n in partitions.items() for p in range(n)]

    async def measure(self, client: AIOKafkaConsumer) -> dict[str, int]:
        ends = await client.end_offsets(self.partitions)
        starts = await client.beginning_offsets(self.partitions)
        committed = {tp: await client.committed(tp) for tp in self.partitions}
        return lag_by_topic(ends, starts, committed)

    async def run(self) -> None:
        """Measure every `interval_s` until cancelled; a failed measurement keeps the last
        values (Kafka unreachable is the readiness check's to say: runtime/health_kafka.py)."""
        client = AIOKafkaConsumer(
            **consumer_settings(
                self.kafka,
                client_id=f"{self.group_id}-lag",
                group_id=self.group_id,  # only to read its commits: it never subscribes
            )
        )
        await client.start()
        try:
            while True:
                await self.measure_once(client)
                await asyncio.sleep(self.interval_s)
        finally:
            await client.stop()

    async def measure_once(self, client: AIOKafkaConsumer) -> None:
        try:
            lag = await self.measure(client)
        except Exception as exc:  # any client error: try again next interval
            if not self._is_failing:  # once per outage, not every interval
                log.warning("consumer lag not measured: %r", exc)
            self._is_failing = True
            return
        self._is_failing = False
        for topic, records in lag.items():
            self.gauge.labels(topic).set(records)
