"""Dispatch's read-back feed: the readings topics, read only while a command awaits its
read-back.

A linkage command (cut a port's power, release the locks) is confirmed by the device's next
report; no other reading matters to dispatch. Reading every reading all the time made each
dispatch instance a second full reader of the telemetry, and on Tansu that reader fell behind:
28k records in 10 minutes at 1,000 msg/s, more than the 10 s read-back deadline, so a command
the device had obeyed would be reported "not confirmed" (docs/PERFORMANCE.md, "Memory over
time"), while its fetches took CPU from the broker every P1 goes through.

So the consumer has every partition assigned (no group: positions are set here, never
committed) and paused. Before the first command goes out, each partition is placed at its end
offset and resumed: a reply is produced after its command, so it lies at or beyond them (on
Tansu the end offset is the last batch's base + 1, at or before the true end: a few records more
are read, never one less). When no command is pending the partitions are paused again, and
nothing is fetched. Commands restored from the ledger (a restart, a handover) were sent while
nobody read: their partitions are placed by the broker's timestamps at the oldest command's
issue time, less a margin for the clocks of dispatch, bridge and broker.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Protocol

from aiokafka import AIOKafkaConsumer, TopicPartition

log = logging.getLogger(__name__)

# Clocks of dispatch, bridge and broker can disagree; reading a minute more costs nothing
# (a reading from before a command cannot confirm it unless the state was already reached).
CLOCK_MARGIN = timedelta(seconds=60)


class Readback(Protocol):
    """What the shell asks of the read-back feed (alerts.service.shell)."""

    async def before_commands(self, issued_at: datetime) -> None: ...

    async def settle(self, oldest_pending: datetime | None) -> None: ...


class NoReadback:
    """For shells without a Kafka feed (tests that hand readings in themselves)."""

    async def before_commands(self, issued_at: datetime) -> None:
        return None

    async def settle(self, oldest_pending: datetime | None) -> None:
        return None


class ReadbackFeed:
    def __init__(self, consumer: AIOKafkaConsumer, topics: tuple[str, ...]) -> None:
        self.consumer = consumer
        self.topics = topics
        # While following: the oldest issue time the positions cover (a command older than
        # it, restored while the feed followed newer ones, needs the feed placed further
        # back). None: paused.
        self.covered_from: datetime | None = None

    @property
    def is_following(self) -> bool:
        return self.covered_from is not None

    async def start(self) -> None:
        await self.consumer.start()
        await self._assign()

    async def stop(self) -> None:
        await self.consumer.stop()

    async def before_commands(self, issued_at: datetime) -> None:
        """Follow from the end offsets, taken before the commands (issued at `issued_at`) are
        sent. Already following: the positions are before any reply to them."""
        if self.is_following:
            return
        parts = await self._assign()
        ends = await self.consumer.end_offsets(parts) if parts else {}
        self._follow(ends, issued_at)

    async def settle(self, oldest_pending: datetime | None) -> None:
        """After a step: pause with nothing pending; follow commands the positions do not
        cover (restored from the ledger) from their issue time."""
        if oldest_pending is None:
            self._pause()
            return
        if self.covered_from is not None and self.covered_from <= oldest_pending:
            return
        parts = await self._assign()
        since_ms = int((oldest_pending - CLOCK_MARGIN).timestamp() * 1000)
        found = await self.consumer.offsets_for_times(dict.fromkeys(parts, since_ms))
        ends = await self.consumer.end_offsets([tp for tp in parts if found.get(tp) is None])
        offsets = {tp: at.offset for tp, at in found.items() if at is not None}
        self._follow({**ends, **offsets}, oldest_pending)

    def _follow(self, offsets: dict[TopicPartition, int], covered_from: datetime) -> None:
        for tp, offset in offsets.items():
            self.consumer.seek(tp, offset)
        self.consumer.resume(*offsets)
        self.covered_from = covered_from if offsets else None

    def _pause(self) -> None:
        if self.is_following:  # else already paused: this runs after every dispatch step
            self.consumer.pause(*self.consumer.assignment())
            self.covered_from = None

    async def _assign(self) -> list[TopicPartition]:
        """Every partition of the topics; the set grows when a topic appears later (the
        broker's metadata, asked again while any topic has none)."""
        parts = self.consumer.assignment()
        if {tp.topic for tp in parts} == set(self.topics):
            return sorted(parts)
        await self.consumer.topics()  # a metadata round trip: the partitions as they are now
        wanted = {
            TopicPartition(topic, p)
            for topic in self.topics
            for p in self.consumer.partitions_for_topic(topic) or ()
        }
        if wanted != parts:
            log.info("read-back feed: %d partitions of %s", len(wanted), ", ".join(self.topics))
            self.consumer.assign(sorted(wanted))
            self.consumer.pause(*wanted)
            self.covered_from = None
        return sorted(wanted)
