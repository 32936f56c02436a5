"""Who a ladder step pages (pure): tiers resolved against the registry and the roster."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from alerts.escalation import Tier
from alerts.registry.models import Member, Role
from alerts.registry.registry import Registry
from alerts.routing import mutual_aid


@dataclass(frozen=True, slots=True)
class Recipients:
    members: tuple[Member, ...]
    terminals: tuple[str, ...]
    is_forward_119: bool


def resolve(
    registry: Registry,
    tiers: tuple[Tier, ...],
    compound_id: str,
    station_id: str | None,
    at: datetime,
) -> Recipients:
    station = registry.station(station_id) if station_id else None
    shift = station.shift_at(at) if station else None
    compound = registry.compound(compound_id)
    ids: list[str] = []
    terminals = [station.terminal_id] if station and station.terminal_id else []
    for tier in tiers:
        if tier is Tier.ON_DUTY and shift is not None:
            ids += shift.members
        elif tier is Tier.BACKUP and shift is not None:
            ids += shift.backup
        elif tier is Tier.CHIEF and station is not None:
            ids.append(station.chief_id)
        elif tier in (Tier.CONTROL_ROOM, Tier.GRID_WORKER) and compound is not None:
            role = Role.CONTROL_ROOM if tier is Tier.CONTROL_ROOM else Role.GRID_WORKER
            ids += [m.member_id for m in compound.duty if m.role is role]
        elif tier is Tier.STREET:
            ids += _street_officers(registry, compound_id, station_id)
        elif tier is Tier.MUTUAL_AID:
            aid = mutual_aid(registry, compound_id, at, exclude=station_id)
            aid_shift = aid.shift_at(at) if aid else None
            ids += aid_shift.members if aid_shift else ()
            terminals += [aid.terminal_id] if aid and aid.terminal_id else []
    members = []
    for member_id in dict.fromkeys(ids):  # one page per recipient, ladder order kept
        member = registry.member(member_id)
        if member is not None:
            members.append(member)
    return Recipients(tuple(members), tuple(dict.fromkeys(terminals)), Tier.FORWARD_119 in tiers)


def _street_officers(registry: Registry, compound_id: str, station_id: str | None) -> list[str]:
    compound = registry.compound(compound_id)
    street_id = compound.street_id if compound else None
    if street_id is None and station_id:
        street_id = registry.station(station_id).street_id
    if street_id is None:
        return []
    return [m.member_id for m in registry.street(street_id).officers]
