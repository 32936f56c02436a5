"""What a lane reads between two writes, and how batches that queued up become one write.

A batch belongs to one MQTT connection (`generation`): its packet ids are acknowledged only
on that connection, so batches of two connections are never merged.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from ingest.core import OutboundRecord
from ingest.kafka_writer import Send


@dataclass
class Batch:
    generation: int
    mids: list[int] = field(default_factory=list)
    records: list[OutboundRecord] = field(default_factory=list)
    messages: int = 0  # MQTT messages read (any QoS): what the window counts
    published: int = 0
    dead_lettered: int = 0
    skipped: int = 0
    sends: list[Send] = field(default_factory=list)
    read_at: float = 0.0  # the event loop's time when the lane handed it to the writer
    is_urgent: bool = False  # holds a reading that may start a P1: never held

    def absorb(self, later: Batch) -> None:
        """Take a later batch of the same connection: one Kafka write for both."""
        self.mids += later.mids
        self.records += later.records
        self.messages += later.messages
        self.published += later.published
        self.dead_lettered += later.dead_lettered
        self.skipped += later.skipped
        self.is_urgent = self.is_urgent or later.is_urgent


def coalesce(first: Batch, queued: asyncio.Queue[Batch]) -> Batch | None:
    """Absorb into `first` every batch of its connection waiting in `queued`; the first
    batch of another connection, if one came, is returned to be written next on its own."""
    while not queued.empty():
        nxt = queued.get_nowait()
        if nxt.generation != first.generation:
            return nxt
        first.absorb(nxt)
    return None
