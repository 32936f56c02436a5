"""The bridge's watch over Kafka: metadata checks and the verdicts on each write's answer
(ingest/kafka_integrity.py), a loud alarm when the broker lost its data, and the hold.

While holding, the lanes write nothing and acknowledge nothing: MQTT keeps the messages (the
window fills, the broker queues). Loud means three ways at once: a CRITICAL log line (again
every `remind_s` while it lasts), `firewatch_ingest_kafka_intact 0` with a loss counter, and
the readiness check `kafka.intact` failing. When the topics exist again, each lane's cached
partitions are forgotten and everything held is written again before it is acknowledged.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.protocol.metadata import MetadataRequest

from ingest.kafka_integrity import Cluster, Integrity, TopicPartition, Verdict
from ingest.stats import BridgeStats
from runtime.health import Flag

log = logging.getLogger(__name__)

# Written records, as the confirmer hands them over: (topic, partition), the floor and epoch
# when sent, the base offset Kafka answered and how many records the batch held.
Written = tuple[TopicPartition, int | None, int, int, int]


async def fetch_cluster(producer: AIOKafkaProducer) -> Cluster:
    """One metadata request for every topic (no topic named: nothing is auto-created)."""
    client = producer.client
    nodes = [b.nodeId for b in client.cluster.brokers()] or ["bootstrap"]
    last: Exception = KafkaError("no broker known")
    for node in nodes:
        try:
            answer: Any = await client.send(node, MetadataRequest(None))
        except (TimeoutError, KafkaError, OSError) as exc:
            last = exc
            continue
        body = answer.to_object()
        return Cluster(
            body.get("cluster_id"),
            {t["topic"]: len(t["partitions"]) for t in body["topics"] if t["error_code"] == 0},
        )
    raise KafkaError(f"no metadata: {last!r}")


class KafkaWatch:
    def __init__(
        self,
        integrity: Integrity,
        producer: AIOKafkaProducer,
        intact: Flag,
        stats: BridgeStats,
        *,
        interval_s: float = 1.0,
        remind_s: float = 30.0,
        on_recovered: Callable[[], None] = lambda: None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.integrity = integrity
        self.producer = producer
        self.intact_flag = intact
        self.stats = stats
        self.interval_s = interval_s
        self.remind_s = remind_s
        self.on_recovered = on_recovered
        self.monotonic = monotonic
        self._intact = asyncio.Event()
        self._check: asyncio.Future[tuple[bool, str | None]] | None = None
        self._checks_started = 0
        self._check_number = 0
        self._reminded_at = 0.0

    # --- what the lanes ask -----------------------------------------------------------------

    async def wait_intact(self) -> None:
        await self._intact.wait()

    async def vouch(self, written: Sequence[Written]) -> bool:
        """True when every write can be kept; False (a loss found, or a write from before
        one) when the batch must be written again once the broker has its topics back."""
        integrity = self.integrity
        unchecked: list[Written] = []
        for w in written:
            tp, floor, epoch, base, _count = w
            verdict = integrity.judge(tp, floor, epoch, base)
            if verdict is Verdict.STALE:
                return False
            if verdict is Verdict.LOST:
                assert floor is not None
                self.lost(integrity.went_back(tp, floor, base))
                return False
            if verdict is Verdict.UNCHECKED:
                unchecked.append(w)
        if unchecked:
            answered, reason = await self.check_now()
            while not answered:  # Kafka took the write but does not answer metadata: ask again
                await asyncio.sleep(self.interval_s)
                answered, reason = await self.check_now()
            if reason is not None or any(w[2] != integrity.epoch for w in unchecked):
                return False
        for tp, _floor, _epoch, base, count in written:
            integrity.confirm(tp, base, count)
        return True

    async def check_now(self) -> tuple[bool, str | None]:
        """A metadata check that began after this call did (one begun earlier may predate the
        write it is to vouch for); concurrent callers share it. (answered, the loss found and
        already raised or None); answered False when Kafka gave no metadata."""
        asked = self._checks_started
        while True:
            if self._check is None or self._check.done():
                self._checks_started += 1
                self._check_number = self._checks_started
                self._check = asyncio.ensure_future(self._check_once())
            check, number = self._check, self._check_number
            outcome = await asyncio.shield(check)
            if number > asked:
                return outcome

    # --- the loop ------------------------------------------------------------------------------

    async def first_check(self) -> None:
        """At start: intact at once when the topics exist (else `run` keeps asking)."""
        try:
            await self._try_recover()
        except KafkaError as exc:
            log.debug("kafka watch: no metadata yet (%r)", exc)

    async def run(self) -> None:
        while True:
            try:
                if self.integrity.is_intact:
                    await self.check_now()
                else:
                    await self._try_recover()
            except KafkaError as exc:
                log.debug("kafka watch: no metadata (%r)", exc)
            except Exception:
                # A bug here must not end the watch: a bridge holding after a loss would
                # then hold for ever. Said loudly, and tried again on the next round.
                log.exception("kafka watch failed; trying again")
            await asyncio.sleep(self.interval_s)

    async def _check_once(self) -> tuple[bool, str | None]:
        try:
            seen = await fetch_cluster(self.producer)
        except KafkaError as exc:
            log.debug("kafka watch: no metadata (%r)", exc)
            return False, None
        reason = self.integrity.check(seen)
        if reason is not None:
            self.lost(reason)
        return True, reason

    async def _try_recover(self) -> None:
        seen = await fetch_cluster(self.producer)
        was_baseline = self.integrity.has_baseline
        waiting = self.integrity.recover(seen)
        if waiting is None:
            self._intact.set()
            self.intact_flag.set()
            self.stats.is_kafka_intact = True
            if was_baseline:
                log.warning("Kafka has the bridge's topics again: writing the held messages")
            for change in self.integrity.changed:
                log.warning("%s: recreate it as the topic table says (`firewatch topics`)", change)
            self.on_recovered()
            return
        now = self.monotonic()
        if now - self._reminded_at >= self.remind_s:
            self._reminded_at = now
            level = logging.CRITICAL if was_baseline else logging.WARNING
            log.log(level, "holding every message, nothing acknowledged: %s", waiting)

    def lost(self, reason: str) -> None:
        if not self.integrity.mark_lost(reason):
            return
        self._intact.clear()
        self.intact_flag.clear()
        self.stats.is_kafka_intact = False
        self.stats.kafka_losses = self.integrity.losses
        self._reminded_at = self.monotonic()
        log.critical(
            "KAFKA LOST DATA: %s. The bridge acknowledges nothing until the topics exist "
            "again, then writes every held message again",
            reason,
        )
