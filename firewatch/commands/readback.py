"""Read back from Kafka what became of a replay: accepted readings and dead letters by reason.

Reads the readings, priority and dead-letter topics from the beginning (no end offsets: Tansu
reports them wrongly, STACK-NOTES.md) and stops once every published message is accounted
for, after `idle_s` without new records, or at `timeout_s`.
"""

from __future__ import annotations

import asyncio
import logging
import time

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from events.codec import header_value
from events.connections import KafkaConnection
from events.topics import Topics, topic_spec
from runtime.kafka import consumer_settings
from simulators.readback import Readback

log = logging.getLogger("firewatch.replay")
_TOPICS = (Topics.READINGS, Topics.PRIORITY, Topics.DEAD_LETTER)
_CONNECT_S = 5.0


async def read_back(
    kafka: KafkaConnection, tally: Readback, idle_s: float, timeout_s: float
) -> bool:
    """Fill `tally`; False when Kafka is not reachable (the summary says so, not an error)."""
    consumer = AIOKafkaConsumer(
        **consumer_settings(kafka, client_id="fw-readback", group_id=None, fetch_max_wait_ms=100),
        request_timeout_ms=int(_CONNECT_S * 1000) + 1000,
    )
    # A Kafka that is not there is an expected outcome here (the summary says so): keep
    # aiokafka's own connection errors out of the user's terminal.
    client_log = logging.getLogger("aiokafka")
    level = client_log.level
    client_log.setLevel(logging.CRITICAL)
    try:
        await asyncio.wait_for(consumer.start(), _CONNECT_S)
    except (KafkaError, OSError, TimeoutError) as exc:
        log.debug("read-back: Kafka at %s: %s", kafka.bootstrap, exc)
        await consumer.stop()
        return False
    finally:
        client_log.setLevel(level)
    try:
        tps = [TopicPartition(t, p) for t in _TOPICS for p in range(topic_spec(t).partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        await _drain(consumer, tally, idle_s, time.monotonic() + timeout_s)
    finally:
        await consumer.stop()
    return True


async def _drain(
    consumer: AIOKafkaConsumer, tally: Readback, idle_s: float, deadline: float
) -> None:
    quiet_since = time.monotonic()
    while not tally.is_complete and time.monotonic() < deadline:
        batch = await consumer.getmany(timeout_ms=200, max_records=5000)
        now = time.monotonic()
        if not batch:
            if now - quiet_since >= idle_s:
                return
            continue
        quiet_since = now
        for tp, records in batch.items():
            for m in records:
                if tp.topic == Topics.DEAD_LETTER:
                    tally.dead_letter(m.timestamp, m.value)
                else:
                    tally.reading(m.timestamp, header_value(m.headers, "event_id"))
