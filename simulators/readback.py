"""What became of a replay (pure): which of the published messages the bridge accepted and which
it dead-lettered, and why. The Kafka reading is done by the caller (firewatch/commands).

A message counts as accepted when a reading with its event id (device_id:seq, the id every
consumer deduplicates by) arrived after the replay started; as dead-lettered when a dead letter
carries its exact bytes. Both topics may hold other runs: the start time and the ids keep them
apart (a replay beside live devices with the same ids needs --remap, as for the bridge).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

_DEVICE = re.compile(rb'"device_id"\s*:\s*"([^"]{1,64})"')
_SEQ = re.compile(rb'"seq"\s*:\s*(\d{1,20})')


def _digest(payload: bytes) -> bytes:
    return hashlib.blake2b(payload, digest_size=8).digest()


def event_id_of(payload: bytes) -> str | None:
    """device_id:seq of a device payload (events.codec.event_id), None when it has none."""
    device, seq = _DEVICE.search(payload), _SEQ.search(payload)
    if device is None or seq is None:
        return None
    return f"{device.group(1).decode('utf-8', errors='replace')}:{int(seq.group(1))}"


@dataclass
class Readback:
    """The published messages, and the tally of what the pipeline made of them."""

    published: int = 0
    started_ms: int = 0
    _ids: set[str] = field(default_factory=set)
    _digests: set[bytes] = field(default_factory=set)
    accepted: int = 0
    dead_lettered: Counter[str] = field(default_factory=Counter)

    @classmethod
    def of(cls, payloads: Iterable[bytes], started_ms: int) -> Readback:
        out = cls(started_ms=started_ms)
        for payload in payloads:
            out.published += 1
            out._digests.add(_digest(payload))
            eid = event_id_of(payload)
            if eid is not None:
                out._ids.add(eid)
        return out

    @property
    def is_complete(self) -> bool:
        return self.accepted + sum(self.dead_lettered.values()) >= self.published

    def reading(self, timestamp_ms: int, event_id: str | None) -> None:
        """A record of the readings or priority topic."""
        if timestamp_ms >= self.started_ms and event_id in self._ids:
            self.accepted += 1

    def dead_letter(self, timestamp_ms: int, value: bytes) -> None:
        """A record of the dead-letter topic (events.deadletter.DeadLetter as JSON)."""
        if timestamp_ms < self.started_ms:
            return
        try:
            letter = json.loads(value)
            original = base64.b64decode(letter["payload_b64"])
        except (ValueError, KeyError, TypeError):
            return  # not a dead letter of ours to count
        if _digest(original) in self._digests:
            self.dead_lettered[str(letter.get("reason", "unknown"))] += 1

    def summary(self) -> dict[str, object]:
        dead = sum(self.dead_lettered.values())
        return {
            "accepted": self.accepted,
            "dead_lettered": dead,
            "dead_letter_reasons": dict(self.dead_lettered.most_common()),
            "unaccounted": max(0, self.published - self.accepted - dead),
        }
