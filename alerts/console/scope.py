"""Who sees what on the console (pure): a station sees its own incidents, street level sees its
stations' and compounds', a compound control room and grid worker see their compound's.

Every read goes through a Scope (issue 12.4): incidents, site and floor plans, the live stream.
A station also sees the plans of the compounds it covers and of any compound whose incident it
was sent to (the nearest on-duty station may come from elsewhere).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from alerts.lifecycle import Incident
from alerts.registry.registry import Registry


@dataclass(frozen=True, slots=True)
class Scope:
    kind: str  # station | street | compound
    scope_id: str
    station_ids: frozenset[str]
    compound_ids: frozenset[str]
    member_id: str = ""  # the member themself: an incident assigned to them is theirs to see

    def sees(self, inc: Incident) -> bool:
        # A station the ladder paged (mutual aid) sees the incident it was called to.
        mine = inc.station_id in self.station_ids or bool(inc.paged_stations & self.station_ids)
        mine = mine or bool(self.member_id and inc.assignee == self.member_id)
        if self.kind == "station":
            return mine
        return mine or inc.compound_id in self.compound_ids

    def sees_compound(self, compound_id: str, incidents: Iterable[Incident]) -> bool:
        if compound_id in self.compound_ids:
            return True
        return any(i.compound_id == compound_id and self.sees(i) for i in incidents)


def scope_of(registry: Registry, member_id: str) -> Scope | None:
    home = registry.home_of(member_id)
    if home is None:
        return None
    kind, ident = home
    if kind == "station":
        covered = frozenset(registry.station(ident).compounds)
        return Scope(kind, ident, frozenset({ident}), covered, member_id)
    if kind == "compound":
        return Scope(kind, ident, frozenset(), frozenset({ident}), member_id)
    stations = [s for s in registry.stations if s.street_id == ident]
    compounds = {c.compound_id for c in registry.compounds if c.street_id == ident}
    compounds |= {c for s in stations for c in s.compounds}
    station_ids = frozenset(s.station_id for s in stations)
    return Scope(kind, ident, station_ids, frozenset(compounds), member_id)
