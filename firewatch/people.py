"""Composition of the people-as-sensors pieces: the public side (`community/`) sees the
dispatch registry only through the plain views built here, and checks staff passwords through
the registry's scrypt hashes, without importing the dispatch stage itself."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alerts.console.passwords import verify_password
from alerts.hazards.patrols import PatrolRound, load_patrols
from alerts.registry.registry import Registry
from community.places import BuildingPlace, CheckpointPlace, CompoundPlace, PlaceDirectory
from community.staff import StaffMember


def places_from_registry(registry: Registry, rounds: tuple[PatrolRound, ...]) -> PlaceDirectory:
    compounds = {
        c.compound_id: CompoundPlace(
            c.compound_id,
            c.name,
            getattr(c, "name_en", ""),  # arrives with the console's registry (issue 11)
            tuple(
                BuildingPlace(b.building_id, b.name, getattr(b, "name_en", ""), b.floors)
                for b in c.buildings
            ),
        )
        for c in registry.compounds
    }
    checkpoints = {
        cp.checkpoint_id: CheckpointPlace(
            checkpoint_id=cp.checkpoint_id,
            round_id=r.round_id,
            round_name=r.name,
            round_name_en=r.name_en,
            compound_id=r.compound_id,
            name=cp.name,
            name_en=cp.name_en,
            building_id=cp.building_id,
            floor=cp.floor,
            patrollers=frozenset(r.patrollers),
        )
        for r in rounds
        for cp in r.checkpoints
    }
    return PlaceDirectory(compounds, checkpoints)


@dataclass(frozen=True)
class RegistryStaff:
    """Every member who patrols a round, with the registry's password hashes."""

    registry: Registry
    patrollers: frozenset[str]

    def member(self, member_id: str) -> StaffMember | None:
        found = self.registry.member(member_id) if member_id in self.patrollers else None
        return StaffMember(found.member_id, found.name) if found else None

    def verify(self, member_id: str, password: str) -> StaffMember | None:
        found = self.registry.member(member_id) if member_id in self.patrollers else None
        stored = found.password_scrypt if found else None
        if not verify_password(password, stored) or found is None:
            return None
        return StaffMember(found.member_id, found.name)


def load_people(registry_dir: Path, registry: Registry) -> tuple[PlaceDirectory, RegistryStaff]:
    rounds = load_patrols(registry_dir, registry)
    patrollers = frozenset(m for r in rounds for m in r.patrollers)
    return places_from_registry(registry, rounds), RegistryStaff(registry, patrollers)
