"""Station choice: the nearest station that is on duty and not busy, falling back to the next.

Nearest = shortest surveyed travel time when the registry has one for the compound, else the
haversine distance. The decision keeps every candidate with the reason it was taken or skipped,
so the dispatch record explains itself (issue 5, item 2).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from alerts.geo import haversine_m
from alerts.registry.registry import Registry


@dataclass(frozen=True, slots=True)
class Candidate:
    station_id: str
    distance_m: float
    travel_time_s: float | None
    on_duty: tuple[str, ...]
    shift: str | None
    skipped: str | None  # None = eligible


@dataclass(frozen=True, slots=True)
class DispatchDecision:
    station_id: str | None
    ranked_by: str  # "travel_time" | "distance"
    candidates: tuple[Candidate, ...]
    note: str

    def explain(self) -> str:
        parts = [self.note]
        for c in self.candidates:
            dist = f"{c.distance_m:.0f} m"
            if c.travel_time_s is not None:
                dist += f", {c.travel_time_s:.0f} s"
            status = "chosen" if c.station_id == self.station_id else (c.skipped or "eligible")
            parts.append(f"{c.station_id} ({dist}; on duty {list(c.on_duty)}): {status}")
        return "; ".join(parts)


def route(
    registry: Registry,
    compound_id: str,
    at: datetime,
    busy: Mapping[str, str] | None = None,
) -> DispatchDecision:
    """`busy` maps station id -> the incident keeping it busy."""
    busy = busy or {}
    compound = registry.compound(compound_id)
    if compound is None:
        return DispatchDecision(None, "distance", (), f"unknown compound {compound_id!r}")
    table = registry.travel_time_s.get(compound_id, {})
    ranked_by = "travel_time" if table else "distance"
    candidates = []
    for st in registry.stations:
        shift = st.shift_at(at)
        on_duty = shift.members if shift else ()
        skipped = None
        if shift is None:
            skipped = "skipped: no shift on duty"
        elif st.station_id in busy:
            skipped = f"skipped: busy with {busy[st.station_id]}"
        elif table and st.station_id not in table:
            skipped = "skipped: no travel time surveyed"
        candidates.append(
            Candidate(
                station_id=st.station_id,
                distance_m=haversine_m(compound.lat, compound.lon, st.lat, st.lon),
                travel_time_s=table.get(st.station_id),
                on_duty=tuple(on_duty),
                shift=shift.name if shift else None,
                skipped=skipped,
            )
        )
    inf = float("inf")
    if table:
        candidates.sort(key=lambda c: (c.travel_time_s or inf, c.distance_m))
    else:
        candidates.sort(key=lambda c: c.distance_m)
    return _choose(tuple(candidates), ranked_by, busy)


def _choose(
    candidates: tuple[Candidate, ...], ranked_by: str, busy: Mapping[str, str]
) -> DispatchDecision:
    chosen = next((c for c in candidates if c.skipped is None), None)
    if chosen is not None:
        return DispatchDecision(chosen.station_id, ranked_by, candidates, f"nearest by {ranked_by}")
    # Every on-duty station is busy: a busy station still beats nobody (its backup members
    # and the street level are paged by escalation).
    busy_on_duty = next((c for c in candidates if c.on_duty and c.station_id in busy), None)
    if busy_on_duty is not None:
        return DispatchDecision(
            busy_on_duty.station_id,
            ranked_by,
            candidates,
            "all on-duty stations busy: nearest busy station",
        )
    return DispatchDecision(None, ranked_by, candidates, "no station on duty")
