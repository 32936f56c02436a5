"""The stages' lane handlers: decode each record of a fetched batch, apply it to the stage's
processor, publish. A record that does not decode, or that a detector fails on, goes to the
dead-letter topic with its Kafka position and a reason; the rest of the batch goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from events.deadletter import DeadLetterReason
from events.errors import ContractViolation
from runtime.clock import Clock
from streams import codec, metrics
from streams.config import StreamsConfig
from streams.faust_compat import LaneHandler, LaneRecord
from streams.processor import Emitted
from streams.table_store import Sender

log = logging.getLogger(__name__)
T = TypeVar("T")

# What a decoder raises on bad bytes: ours, or pydantic's ValidationError (a ValueError).
_UNDECODABLE = (ContractViolation, ValueError)


class Publisher(Protocol):
    async def __call__(self, emitted: Emitted, *, with_state: bool = True) -> None: ...


def stage_lane(
    cfg: StreamsConfig,
    topic_name: str,
    decode: Callable[[bytes], T],
    apply: Callable[[T, Emitted], None],
    *,
    publish: Publisher,
    clock: Clock,
    sender: Sender,
    sends_state: bool = True,
) -> LaneHandler:
    """Alerts are published every `batch_max` records, so a long backlog does not hold an
    alarm back; state once per batch, after its alerts (on Tansu a changelog write waits for
    two round trips: TableStore.drain), unless `sends_state` is False: the consumer sends it
    after the fetch's batches (faust_compat.settle_lanes_with)."""
    counter = metrics.EVENTS.labels(topic_name)
    step = cfg.batch_max

    async def reject(rec: LaneRecord, err: Exception, reason: DeadLetterReason | None) -> None:
        letter = codec.dead_letter(
            err,
            topic=rec.topic,
            partition=rec.partition,
            offset=rec.offset,
            payload=rec.value or b"",
            producer=cfg.app_id,
            now=clock.now(),
            reason=reason,
        )
        await sender.send_dead_letter(letter)
        metrics.DEAD_LETTERS.labels(topic_name).inc()

    async def handle(records: Sequence[LaneRecord]) -> None:
        for start in range(0, len(records), step):
            chunk = records[start : start + step]
            emitted = Emitted()
            for rec in chunk:
                try:
                    item = decode(rec.value or b"")
                except _UNDECODABLE as err:
                    await reject(rec, err, None)  # the decoder's own reason
                    continue
                try:
                    apply(item, emitted)
                except Exception as err:  # a detector bug must not blind the partition
                    log.exception("stage failed on a %s record", topic_name)
                    await reject(rec, err, DeadLetterReason.WORKER_ERROR)
            counter.inc(len(chunk))
            await publish(emitted, with_state=False)
        if sends_state:
            await publish(Emitted())

    return handle
