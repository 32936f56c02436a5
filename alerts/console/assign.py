"""一键派单 (issue 11.6), pure: who may put a member in charge of an incident, and whom.

Who may assign: the station chief (站长, runs the station's people), the compound control
room (消防控制室, the one watching the panel who sees the fire first: GB 25506-2010 §4.2 makes
it the first to organise the response) and the street officer (街道值班, the street's
coordinator). A station member or a grid worker is sent, and does not send others.

Whom: anyone who can act on the incident -- members of the dispatched station, of a station
the ladder paged (mutual aid), the compound's own duty people (control room, grid workers) --
and, for a street officer, every station of the street. Reassigning is assigning again.
"""

from __future__ import annotations

from alerts.console.scope import Scope
from alerts.lifecycle import Incident
from alerts.registry.models import Member, Role
from alerts.registry.registry import Registry

ASSIGNERS = frozenset({Role.CHIEF, Role.CONTROL_ROOM, Role.STREET_OFFICER})


def may_assign(registry: Registry, member_id: str) -> bool:
    member = registry.member(member_id)
    return member is not None and member.role in ASSIGNERS


def candidates(registry: Registry, scope: Scope, inc: Incident) -> list[Member]:
    """The members the caller may assign this incident to, station by station."""
    stations = {inc.station_id} | inc.paged_stations
    if scope.kind == "street":
        stations |= scope.station_ids
    out: list[Member] = []
    for station in registry.stations:
        if station.station_id in stations:
            out += station.members
    compound = registry.compound(inc.compound_id)
    if compound is not None:
        out += compound.duty
    unique: dict[str, Member] = {}
    for member in out:
        unique.setdefault(member.member_id, member)
    return list(unique.values())


def may_assign_to(registry: Registry, scope: Scope, inc: Incident, assignee: str) -> bool:
    return any(m.member_id == assignee for m in candidates(registry, scope, inc))
