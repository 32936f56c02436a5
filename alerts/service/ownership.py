"""Which compounds this dispatch instance serves: those whose alerts partition the consumer
group gave it (issue 16.4: dispatch without a single point of failure).

Alerts are keyed by compound (streams writes them so), so Kafka's default partitioner puts a
compound on one partition (runtime.partitioner) and the group hands each partition to one
instance. On assignment the instance rebuilds its compounds' open incidents, pending commands
and work orders from the shared ledger; on revocation it drops them, so their timers never
fire here once another instance may own them. Kafka's eager rebalance revokes every member's
partitions before any member is given new ones, so two live members never hold one compound.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError

from alerts.ledger.store import Ledger, Restored
from alerts.service.dispatcher import Dispatcher
from alerts.service.effects import Effects
from alerts.service.shell import Shell
from events.topics import topic_spec
from runtime.partitioner import partition_for

log = logging.getLogger(__name__)


@dataclass
class Ownership:
    """The partitions of the alerts topic this instance holds, and what they mean."""

    topic: str
    partitions: frozenset[int] = frozenset()
    count: int = 0  # the topic's partitions (the partitioner's modulus)

    def owns(self, compound_id: str) -> bool:
        return self.count > 0 and partition_for(compound_id, self.count) in self.partitions

    def owns_partition(self, partition: int) -> bool:
        return partition in self.partitions

    def owned(self, restored: Restored) -> Restored:
        """The part of a ledger restore that belongs to this instance's compounds."""
        return Restored(
            [i for i in restored.incidents if self.owns(i.compound_id)],
            [w for w in restored.work_orders if self.owns(w.compound_id)],
            [c for c in restored.commands if self.owns(c.command.compound_id)],
        )


class Handover:
    """Rebuild and drop compounds as the group decides. The caller holds the service's step
    lock: a step in flight finishes first, and no step runs on a half-restored compound."""

    def __init__(
        self,
        ownership: Ownership,
        core: Dispatcher,
        ledger: Ledger,
        shell: Shell,
        since: Callable[[], datetime],
    ) -> None:
        self.ownership, self.core, self.ledger, self.shell = ownership, core, ledger, shell
        self._since = since  # resolved incidents kept in memory from then on (hold-off, replays)

    async def adopt(self, partitions: frozenset[int], count: int) -> int:
        """Restore the compounds of `partitions`: open incidents with their deadlines, pending
        commands (and their read-back), work orders. How many incidents and commands."""
        self.ownership.partitions, self.ownership.count = partitions, count
        restored = await asyncio.to_thread(self.ledger.restore, self._since())
        mine = self.ownership.owned(restored)
        n = self.core.restore(mine.incidents, mine.work_orders, mine.commands)
        await self.shell.apply(Effects())  # watch the restored commands' read-back
        log.info(
            "dispatch: partitions %s of %d assigned, %d restored", sorted(partitions), count, n
        )
        return n

    async def revoke(self, partitions: frozenset[int]) -> int:
        """Forget the compounds of `partitions`: their timers must not fire here once another
        instance may own them. How many incidents went."""
        self.ownership.partitions -= partitions
        dropped = release(self.core, self.ownership.owns)
        await self.shell.apply(Effects())  # stop watching their read-back
        log.info(
            "dispatch: partitions %s revoked, %d incidents dropped", sorted(partitions), dropped
        )
        return dropped


def release(core: Dispatcher, keep: Callable[[str], bool]) -> int:
    """Drop every compound's book and pending commands that `keep` rejects; how many incidents
    went. The ledger has all of it: the next owner restores it from there."""
    gone = [c for c in core.books if not keep(c)]
    dropped = sum(len(core.books.pop(c).incidents) for c in gone)
    for command_id, pending in list(core.commands.items()):
        if not keep(pending.command.compound_id):
            del core.commands[command_id]
    return dropped


Assigned = Callable[[frozenset[int], int], Awaitable[None]]
Revoked = Callable[[frozenset[int]], Awaitable[None]]


class Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]  # aiokafka is untyped
    """Hands the group's decisions on the alerts topic to the service."""

    def __init__(
        self, consumer: AIOKafkaConsumer, topic: str, assigned: Assigned, revoked: Revoked
    ) -> None:
        self._consumer, self._topic = consumer, topic
        self._assigned, self._revoked = assigned, revoked

    def _mine(self, partitions: set[TopicPartition]) -> frozenset[int]:
        return frozenset(tp.partition for tp in partitions if tp.topic == self._topic)

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self._revoked(self._mine(revoked))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        # The group assigned from this metadata, so it is known; the table is the fallback.
        count = len(self._consumer.partitions_for_topic(self._topic) or ())
        count = count or topic_spec(self._topic).partitions
        await self._assigned(self._mine(assigned), count)


async def commit(consumer: AIOKafkaConsumer) -> None:
    """Commit what was handled; a rebalance may have taken the partitions meanwhile, and the
    new owner then reads those records again (a revision already ledgered is ignored)."""
    try:
        await consumer.commit()
    except (CommitFailedError, IllegalStateError) as exc:
        log.warning("dispatch: offsets not committed (rebalance): %s", exc)
