"""The processors' state behind a Faust table: a raw producer path and a changelog-backed store.

The Faust-private part (writing the table's local store outside stream iteration) is
streams/faust_compat.py's ChangelogTable; this module decides what is sent and when.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Iterable
from typing import Any

from pydantic_core import to_json

from events.codec import encode_model, kafka_headers
from events.deadletter import DeadLetter
from events.topics import Topics
from runtime.partitioner import partition_for
from streams.faust_compat import ChangelogTable, aiokafka_producer
from streams.faust_types import FaustApp, FaustTable


class Sender:
    """Straight to Faust's producer (raw bytes, no per-record schema work): returns the
    delivery future; the producer is flushed by Faust before every offset commit."""

    def __init__(self, app: FaustApp) -> None:
        self.app = app

    async def send(
        self,
        topic: str,
        key: bytes,
        value: bytes,
        *,
        partition: int | None = None,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> Awaitable[Any]:
        producer = self.app.producer
        if not producer.started:
            await self.app.maybe_start_producer()
        return await producer.send(topic, key, value, partition, None, headers)

    async def send_batches(
        self, topic: str, records: Iterable[tuple[bytes, bytes, int]]
    ) -> list[Awaitable[Any]]:
        """(key, value, partition) records in producer batches, one partition at a time (a
        record each costs about a tenth of `send`: faust_compat item 6); the batches' delivery
        futures, in the records' order per partition."""
        producer = self.app.producer
        if not producer.started:
            await self.app.maybe_start_producer()
        raw = aiokafka_producer(self.app)
        by_partition: dict[int, list[tuple[bytes, bytes]]] = {}
        for key, value, partition in records:
            by_partition.setdefault(partition, []).append((key, value))
        delivered = []
        for partition, pairs in by_partition.items():
            batch = raw.create_batch()
            for key, value in pairs:
                if batch.append(key=key, value=value, timestamp=None) is None:  # full
                    delivered.append(await raw.send_batch(batch, topic, partition=partition))
                    batch = raw.create_batch()
                    batch.append(key=key, value=value, timestamp=None)  # a first always fits
            delivered.append(await raw.send_batch(batch, topic, partition=partition))
            await asyncio.sleep(0)  # a flush's thousands of records: a P1 may run between
        return delivered

    async def send_keyed(
        self, topic: str, records: Iterable[tuple[str, bytes]], partitions: int
    ) -> list[Awaitable[Any]]:
        """(key, value) records in producer batches, each on the partition Kafka's default
        partitioner gives its key (where `send` without a partition puts it), for a topic of
        `partitions` partitions: a signal each cost a `send` (~8 us, every fire door's
        toggle), one publish's signals now share a batch per partition. The partition of a
        key is cached (`partition_for`): compounds repeat."""
        return await self.send_batches(
            topic,
            [(key.encode(), value, partition_for(key, partitions)) for key, value in records],
        )

    async def send_dead_letter(self, letter: DeadLetter) -> None:
        """To Topics.DEAD_LETTER, keyed by where the record was; its event id is that
        position, so a replayed reject deduplicates."""
        where = letter.source
        headers = kafka_headers(
            "dead_letter", f"dl:{where}", letter.producer, letter.SCHEMA_VERSION
        )
        await self.send(Topics.DEAD_LETTER, where.encode(), encode_model(letter), headers=headers)


class TableStore:
    """StateStore (streams/processor.py) over a Faust table: raw JSON bytes in the table's
    local store, and one changelog record per write sent by `drain`.

    Timers persist state too, so writes cannot go through `table[key] = v` (it needs a current
    event to pick the partition): the caller gives the partition. Keys and values are raw
    bytes, as recovery from the changelog restores them.
    """

    def __init__(self, table: FaustTable, *, single_record_tail: bool = False) -> None:
        self.table = ChangelogTable(table)
        self.pending: list[tuple[bytes, bytes, int]] = []
        self.single_record_tail = single_record_tail
        self._tail_lock = asyncio.Lock()

    def get(self, key: str) -> dict[str, Any] | None:
        raw = self.table.get(key.encode())
        return None if raw is None else _loads(raw)

    def put(self, key: str, value: dict[str, Any], partition: int) -> None:
        raw = to_json(value)  # pydantic-core: ~5x json.dumps, and this runs on the hot path
        self.table.set(key.encode(), raw)
        self.pending.append((key.encode(), raw, partition))

    async def drain(self, sender: Sender) -> None:
        """Send the pending changelog records now, in producer batches (Faust's own send_soon
        buffer holds 100 records and flushes them one by one: it stalled the worker). A key
        written twice since the last drain is sent once, with its newest value: the table is
        compacted, and recovery keeps the last record of a key anyway."""
        pending = list({key: (key, value, p) for key, value, p in self.pending}.values())
        self.pending = []
        if not pending:
            return
        name = self.table.changelog_topic_name
        if not self.single_record_tail:
            await sender.send_batches(name, pending)  # flushed by Faust before its commit
            return
        # Tansu: its end offset of a partition is the base offset of the last batch + 1, so
        # table recovery would wait for offsets beyond it forever unless the last batch holds
        # one record. Send batched, wait for delivery, then repeat each partition's last
        # record alone (idempotent in a compacted changelog). Once per drain, not per
        # record: one record per producer batch made every write wait for the one before.
        async with self._tail_lock:  # no other write of this table between data and tail
            await asyncio.gather(*await sender.send_batches(name, pending))
            last = {p: (k, v) for k, v, p in pending}
            tails = [await sender.send(name, k, v, partition=p) for p, (k, v) in last.items()]
            await asyncio.gather(*tails)

    def items(self) -> Iterable[tuple[str, dict[str, Any]]]:
        return [(k.decode(), _loads(v)) for k, v in self.table.items()]


def _loads(raw: bytes) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(raw)
    return value
