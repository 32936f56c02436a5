"""Patrol coverage and missed rounds (pure): which checkpoints were checked in each slot.

A round's slot (its interval, e.g. one local day) is covered at a checkpoint when one of the
round's patrollers checked in there during the slot. Coverage of a compound over a period is
checked / expected over every slot that ended inside the period. A slot that ended with a
checkpoint unchecked is a missed round: a maintenance item naming the checkpoints left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from alerts.hazards.patrols import PatrolRound


@dataclass(frozen=True, slots=True)
class CheckIn:
    round_id: str
    checkpoint_id: str
    member_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class SlotResult:
    round_id: str
    compound_id: str
    start: datetime
    end: datetime
    expected: tuple[str, ...]
    checked: frozenset[str]

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(c for c in self.expected if c not in self.checked)

    @property
    def is_missed(self) -> bool:
        return bool(self.missing)

    @property
    def item_id(self) -> str:
        """Stable id of the maintenance item of a missed slot: raised once, however often the
        timer looks."""
        return f"missed:{self.round_id}@{self.start.isoformat()}"


@dataclass(frozen=True, slots=True)
class Coverage:
    compound_id: str
    expected: int
    checked: int
    missed_slots: int

    @property
    def ratio(self) -> float | None:
        return self.checked / self.expected if self.expected else None


def slots(
    patrol: PatrolRound, start: datetime, end: datetime
) -> Iterator[tuple[datetime, datetime]]:
    """The round's slots that ended in (start, end]: a slot belongs to the period it ends in,
    so a weekly round that straddles two months counts once."""
    slot_start, slot_end = patrol.slot_of(start)
    while slot_end <= end:
        if slot_end > start:
            yield slot_start, slot_end
        slot_start, slot_end = patrol.slot_of(slot_end)


def longest_slot(rounds: Iterable[PatrolRound]) -> timedelta:
    """How far before a period its check-ins must be read (a slot may begin before it)."""
    return timedelta(hours=max((r.every_h for r in rounds), default=0.0))


def slot_results(
    patrol: PatrolRound, checkins: Iterable[CheckIn], start: datetime, end: datetime
) -> list[SlotResult]:
    allowed = set(patrol.patrollers)
    expected = tuple(cp.checkpoint_id for cp in patrol.checkpoints)
    mine = [
        c
        for c in checkins
        if c.round_id == patrol.round_id and c.member_id in allowed and c.checkpoint_id in expected
    ]
    results = []
    for s, e in slots(patrol, start, end):
        checked = frozenset(c.checkpoint_id for c in mine if s <= c.at < e)
        results.append(SlotResult(patrol.round_id, patrol.compound_id, s, e, expected, checked))
    return results


def coverage(
    rounds: Iterable[PatrolRound], checkins: list[CheckIn], start: datetime, end: datetime
) -> dict[str, Coverage]:
    """Compound id -> its patrol coverage over the slots that ended in [start, end)."""
    totals: dict[str, list[int]] = {}
    for patrol in rounds:
        tally = totals.setdefault(patrol.compound_id, [0, 0, 0])
        for result in slot_results(patrol, checkins, start, end):
            tally[0] += len(result.expected)
            tally[1] += len(result.checked)
            tally[2] += int(result.is_missed)
    return {cid: Coverage(cid, e, c, m) for cid, (e, c, m) in totals.items()}


def missed_slots(
    rounds: Iterable[PatrolRound], checkins: list[CheckIn], start: datetime, end: datetime
) -> list[SlotResult]:
    return [
        result
        for patrol in rounds
        for result in slot_results(patrol, checkins, start, end)
        if result.is_missed
    ]
