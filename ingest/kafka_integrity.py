"""Is the Kafka the bridge writes to still the one that holds what it wrote? Pure: no client.

A broker that lost its data still acknowledges writes. The embedded Tansu keeps its topics in
memory: after a restart it answered 15,875 of the bridge's writes, to partitions that started
again at offset 0 or to topics it created afresh, and none of them could ever be read
(issue 19). So an MQTT message is acknowledged only after a write the bridge can vouch for:

- on a partition it wrote before, the offsets went on from where its confirmed writes ended
  (offsets never go back on a broker that kept its log); or
- on a partition written for the first time, a metadata check made after the write found the
  same cluster with every output topic and the partition counts first seen.

A loss starts a new epoch: every write sent before it is written again once the topics exist
again, whatever its own answer said.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

TopicPartition = tuple[str, int]


class Verdict(Enum):
    VOUCHED = "vouched"  # offsets went on: keep it
    UNCHECKED = "unchecked"  # first write to this partition: a metadata check must vouch
    STALE = "stale"  # sent before a loss was found: write it again
    LOST = "lost"  # offsets went back: the broker lost the partition's log


@dataclass(frozen=True, slots=True)
class Cluster:
    """What one metadata answer says: the cluster id and each topic's partition count."""

    cluster_id: str | None
    partitions: dict[str, int]


_NOT_CHECKED = "Kafka not checked yet"


@dataclass
class Integrity:
    """`topics`: the bridge's output topics, which must exist for any write to be kept.

    Starts holding: nothing is written before one metadata answer showed the topics (a write
    to a missing topic would have Tansu create it with its own partition count)."""

    topics: tuple[str, ...]
    cluster_id: str | None = None
    partitions: dict[str, int] = field(default_factory=dict)
    # The end offset (last offset + 1) of the confirmed writes, per partition.
    ends: dict[TopicPartition, int] = field(default_factory=dict)
    epoch: int = 0
    lost_reason: str | None = _NOT_CHECKED
    losses: int = 0
    # Partition counts that differ from the baseline after the last recovery (for the log).
    changed: list[str] = field(default_factory=list)

    @property
    def is_intact(self) -> bool:
        return self.lost_reason is None

    @property
    def has_baseline(self) -> bool:
        return bool(self.partitions)

    def floor(self, tp: TopicPartition) -> int | None:
        """The offset a new write to `tp` must reach; None when nothing was confirmed there."""
        return self.ends.get(tp)

    def judge(self, tp: TopicPartition, floor: int | None, epoch: int, base_offset: int) -> Verdict:
        """One write's answer. `floor` and `epoch` as they were when it was sent: a write
        confirmed by another lane after ours was sent can only have pushed offsets higher."""
        if epoch != self.epoch:
            return Verdict.STALE
        if floor is None:
            return Verdict.UNCHECKED
        if base_offset < floor:
            return Verdict.LOST
        return Verdict.VOUCHED

    def confirm(self, tp: TopicPartition, base_offset: int, count: int) -> None:
        self.ends[tp] = max(self.ends.get(tp, 0), base_offset + count)

    @staticmethod
    def went_back(tp: TopicPartition, floor: int, base_offset: int) -> str:
        return (
            f"the log end of {tp[0]}/{tp[1]} went back from {floor} to {base_offset}: "
            "the broker lost that partition's data"
        )

    def check(self, seen: Cluster) -> str | None:
        """Why this metadata (taken while intact) shows a broker that lost data, or None."""
        if seen.cluster_id != self.cluster_id:
            return f"the cluster id changed from {self.cluster_id!r} to {seen.cluster_id!r}"
        missing = [t for t in self.topics if t not in seen.partitions]
        if missing:
            return f"topics vanished: {', '.join(missing)}"
        # Another partition count: the topic was deleted and created anew, with nothing in it.
        wrong = [
            f"{t} has {seen.partitions[t]} partitions, it had {self.partitions[t]}"
            for t in self.topics
            if seen.partitions[t] != self.partitions.get(t, seen.partitions[t])
        ]
        return f"topics created anew: {'; '.join(wrong)}" if wrong else None

    def mark_lost(self, reason: str) -> bool:
        """Start holding; True when this is news (not holding already)."""
        if self.lost_reason is not None:
            return False
        self.lost_reason = reason
        self.epoch += 1
        self.losses += 1
        return True

    def recover(self, seen: Cluster) -> str | None:
        """While holding: None once every output topic exists (again), else why the bridge
        keeps holding. Offsets start afresh then, and the partition counts seen become the
        baseline: a topic created anew with another count (Tansu creates a missing topic on
        first use with its own) still keeps what is written to it; `changed` names it, for
        the operator to recreate it as the topic table says before the workers need it."""
        if self.lost_reason is None:
            return None
        missing = [t for t in self.topics if t not in seen.partitions]
        if missing:
            return f"waiting for topics {', '.join(missing)} (`firewatch topics` creates them)"
        self.changed = [
            f"{t} has {seen.partitions[t]} partitions, it had {self.partitions[t]}"
            for t in self.topics
            if t in self.partitions and seen.partitions[t] != self.partitions[t]
        ]
        self.cluster_id = seen.cluster_id
        self.partitions = {t: seen.partitions[t] for t in self.topics}
        self.ends.clear()
        self.lost_reason = None
        return None
