"""What the public pages may show of the registry: compounds, buildings (with their floors)
and patrol checkpoints. The composition root builds it from the dispatch registry, so this
stage never reads the registry's files or imports the dispatch stage."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class BuildingPlace:
    building_id: str
    name: str
    name_en: str
    floors: int

    def label(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name


@dataclass(frozen=True, slots=True)
class CompoundPlace:
    compound_id: str
    name: str
    name_en: str
    buildings: tuple[BuildingPlace, ...]

    def building(self, building_id: str | None) -> BuildingPlace | None:
        return next((b for b in self.buildings if b.building_id == building_id), None)

    def label(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name


@dataclass(frozen=True, slots=True)
class CheckpointPlace:
    checkpoint_id: str
    round_id: str
    round_name: str
    round_name_en: str
    compound_id: str
    name: str
    name_en: str
    building_id: str | None
    floor: int | None
    patrollers: frozenset[str]

    def label(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name

    def round_label(self, lang: str) -> str:
        return self.round_name_en if lang == "en" and self.round_name_en else self.round_name


@dataclass(frozen=True)
class PlaceDirectory:
    compounds: dict[str, CompoundPlace] = field(default_factory=dict)
    checkpoints: dict[str, CheckpointPlace] = field(default_factory=dict)

    def compound(self, compound_id: str) -> CompoundPlace | None:
        return self.compounds.get(compound_id)
