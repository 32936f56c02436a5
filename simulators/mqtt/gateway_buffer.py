"""A gateway's memory of what it published: its devices' recent readings, bounded, so it can
publish again what the bridge reports missing (events.commands.ResendRequest). Pure.

Real gateways do this with a ring buffer in flash; the simulator's keep the last `capacity`
readings of all their devices together (a busy device pushes out a quiet one's history, as
in a real ring). What is no longer held cannot be resent: the gap stays reported.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from events.commands import ResendRequest


@dataclass(frozen=True, slots=True)
class Held:
    topic: str
    payload: bytes
    qos: int


class ReadingBuffer:
    def __init__(self, capacity: int = 20_000) -> None:
        if capacity < 1:
            raise ValueError("a gateway buffer holds at least one reading")
        self.capacity = capacity
        self._held: OrderedDict[tuple[str, int], Held] = OrderedDict()

    def __len__(self) -> int:
        return len(self._held)

    def keep(self, device_id: str, seq: int, topic: str, payload: bytes, qos: int) -> None:
        key = (device_id, seq)
        self._held[key] = Held(topic, payload, qos)
        self._held.move_to_end(key)
        while len(self._held) > self.capacity:
            self._held.popitem(last=False)

    def take(self, request: ResendRequest) -> list[Held]:
        """What this gateway still holds of the requested range, in seq order (the same
        bytes as first published: the same event ids)."""
        found = (self._held.get((request.device_id, s)) for s in self._seqs(request))
        return [h for h in found if h is not None]

    def _seqs(self, request: ResendRequest) -> range:
        # A request never reaches back further than the buffer could hold.
        last = request.to_seq
        first = max(request.from_seq, last - self.capacity + 1)
        return range(first, last + 1)
