"""Station choice (pure): the nearest covering station that is on duty and not busy.

Route once, only to stations whose coverage includes the compound (stations.yaml `compounds`,
or a surveyed travel time): a station that does not cover a compound has no roster, keys or
plans for it. A busy station's turn passes to another covering station only for a *different*
event (an event already dispatched is never routed again: alerts.grouping keeps it on its
incident). When every covering station is busy the nearest of them still takes it (its
backup members and the street level come by escalation); when none is on duty the ladder's
mutual-aid step calls the nearest other station at once (alerts.escalation). Nearest =
shortest surveyed travel time when the registry has one for the compound, else haversine.
The decision keeps every candidate and why it was taken or skipped (reason codes + words).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from alerts.geo import haversine_m
from alerts.registry.models import Station
from alerts.registry.registry import Registry
from events.incidents import DispatchNote, DispatchReason


class Skip(StrEnum):
    """Why a candidate station was not chosen."""

    NOT_COVERING = "not_covering"
    NO_SHIFT = "no_shift_on_duty"
    BUSY = "busy"
    NEARER_CHOSEN = "nearer_chosen"


@dataclass(frozen=True, slots=True)
class Candidate:
    station_id: str
    distance_m: float
    travel_time_s: float | None
    on_duty: tuple[str, ...]
    skipped: Skip | None  # None = eligible
    busy_with: str | None = None

    def words(self, chosen: str | None) -> str:
        dist = f"{self.distance_m:.0f} m"
        if self.travel_time_s is not None:
            dist += f", {self.travel_time_s:.0f} s"
        if self.station_id == chosen:
            status = "chosen" + (f" although busy with {self.busy_with}" if self.busy_with else "")
        elif self.skipped is Skip.BUSY:
            status = f"busy with {self.busy_with}"
        else:
            status = (self.skipped or Skip.NEARER_CHOSEN).value.replace("_", " ")
        return f"{self.station_id} ({dist}; on duty {list(self.on_duty)}): {status}"


_WORDS = {
    DispatchReason.NEAREST_COVERING: "nearest covering station on duty",
    DispatchReason.COVERING_NOT_BUSY: "nearest covering station is busy with another event: "
    "the next covering station",
    DispatchReason.ALL_COVERING_BUSY: "every covering station is busy: the nearest of them",
    DispatchReason.NO_COVERING_ON_DUTY: "no covering station on duty: mutual aid by escalation",
    DispatchReason.UNKNOWN_COMPOUND: "compound not in the registry",
}


@dataclass(frozen=True, slots=True)
class DispatchDecision:
    station_id: str | None
    reason: DispatchReason
    ranked_by: str  # "travel_time" | "distance"
    candidates: tuple[Candidate, ...]

    def note(self) -> DispatchNote:
        parts = [f"{_WORDS[self.reason]} (by {self.ranked_by})"]
        parts += [c.words(self.station_id) for c in self.candidates]
        return DispatchNote(station_id=self.station_id, reason=self.reason, text="; ".join(parts))


def covers(registry: Registry, station: Station, compound_id: str) -> bool:
    surveyed = registry.travel_time_s.get(compound_id, {})
    return compound_id in station.compounds or station.station_id in surveyed


def route(
    registry: Registry, compound_id: str, at: datetime, busy: Mapping[str, str] | None = None
) -> DispatchDecision:
    """`busy` maps station id -> the incident keeping it busy (never this event's own)."""
    busy = busy or {}
    candidates, ranked_by = _ranked(registry, compound_id, at, busy)
    if registry.compound(compound_id) is None:
        return DispatchDecision(None, DispatchReason.UNKNOWN_COMPOUND, ranked_by, ())
    covering = [c for c in candidates if c.skipped is not Skip.NOT_COVERING]
    free = next((c for c in covering if c.skipped is None), None)
    if free is not None:
        is_first = free is next((c for c in covering if c.on_duty), None)
        reason = DispatchReason.NEAREST_COVERING if is_first else DispatchReason.COVERING_NOT_BUSY
        return DispatchDecision(free.station_id, reason, ranked_by, candidates)
    busy_on_duty = next((c for c in covering if c.skipped is Skip.BUSY), None)
    if busy_on_duty is not None:
        reason = DispatchReason.ALL_COVERING_BUSY
        return DispatchDecision(busy_on_duty.station_id, reason, ranked_by, candidates)
    return DispatchDecision(None, DispatchReason.NO_COVERING_ON_DUTY, ranked_by, candidates)


def mutual_aid(
    registry: Registry, compound_id: str, at: datetime, exclude: str | None
) -> Station | None:
    """The nearest other station on duty, covering or not: the ladder's mutual-aid step
    ("1-3-5": neighbouring forces at 3 min, DOMAIN.md §2)."""
    candidates, _ = _ranked(registry, compound_id, at, {})
    chosen = next((c for c in candidates if c.on_duty and c.station_id != exclude), None)
    return registry.station(chosen.station_id) if chosen else None


def _ranked(
    registry: Registry, compound_id: str, at: datetime, busy: Mapping[str, str]
) -> tuple[tuple[Candidate, ...], str]:
    compound = registry.compound(compound_id)
    if compound is None:
        return (), "distance"
    table = registry.travel_time_s.get(compound_id, {})
    ranked_by = "travel_time" if table else "distance"
    out = []
    for st in registry.stations:
        shift = st.shift_at(at)
        skipped = None
        if not covers(registry, st, compound_id):
            skipped = Skip.NOT_COVERING
        elif shift is None:
            skipped = Skip.NO_SHIFT
        elif st.station_id in busy:
            skipped = Skip.BUSY
        out.append(
            Candidate(
                station_id=st.station_id,
                distance_m=haversine_m(compound.lat, compound.lon, st.lat, st.lon),
                travel_time_s=table.get(st.station_id),
                on_duty=tuple(shift.members) if shift else (),
                skipped=skipped,
                busy_with=busy.get(st.station_id),
            )
        )
    inf = float("inf")
    out.sort(key=lambda c: (c.travel_time_s or inf, c.distance_m))
    return tuple(out), ranked_by
