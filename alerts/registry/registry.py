"""The loaded registry: cross-checked references and look-ups the cores use."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from alerts.errors import RegistryError
from alerts.registry.models import Compound, District, DoorRef, Member, Station, Street
from alerts.registry.points import DevicePoint, compound_points


@dataclass(frozen=True)
class Registry:
    stations: tuple[Station, ...]
    compounds: tuple[Compound, ...]
    streets: tuple[Street, ...]
    districts: tuple[District, ...]
    # compound_id -> station_id -> travel time in seconds, when surveyed (beats distance).
    travel_time_s: dict[str, dict[str, float]] = field(default_factory=dict)
    # The directory the registry was read from: imported floor-plan drawings live there.
    base_dir: Path | None = None

    _points: dict[str, DevicePoint] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        self._check_unique()
        self._check_references()
        self._index_points()

    def _index_points(self) -> None:
        for c in self.compounds:
            for point in compound_points(c):
                if point.device_id in self._points:
                    raise RegistryError(f"duplicate device id {point.device_id!r}")
                if c.gateways and point.gateway_id not in c.gateways:
                    raise RegistryError(
                        f"compound {c.compound_id}: device {point.device_id} names gateway "
                        f"{point.gateway_id!r}, not one of {list(c.gateways)}"
                    )
                self._points[point.device_id] = point

    def _check_unique(self) -> None:
        for what, ids in (
            ("station", [s.station_id for s in self.stations]),
            ("compound", [c.compound_id for c in self.compounds]),
            ("street", [s.street_id for s in self.streets]),
            ("district", [d.district_id for d in self.districts]),
            ("member", [m.member_id for m in self.all_members()]),
        ):
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            if dupes:
                raise RegistryError(f"duplicate {what} ids: {dupes}")

    def _check_references(self) -> None:
        streets = {s.street_id for s in self.streets}
        compounds = {c.compound_id for c in self.compounds}
        districts = {d.district_id for d in self.districts}
        for st in self.stations:
            if st.street_id not in streets:
                raise RegistryError(f"station {st.station_id}: unknown street {st.street_id!r}")
            missing = sorted(set(st.compounds) - compounds)
            if missing:
                raise RegistryError(f"station {st.station_id}: unknown compounds {missing}")
        for c in self.compounds:
            if c.street_id not in streets:
                raise RegistryError(f"compound {c.compound_id}: unknown street {c.street_id!r}")
        for s in self.streets:
            if s.district_id not in districts:
                raise RegistryError(f"street {s.street_id}: unknown district {s.district_id!r}")
        stations = {s.station_id for s in self.stations}
        for cid, row in self.travel_time_s.items():
            if cid not in compounds or not set(row) <= stations:
                raise RegistryError(f"travel_time_s: unknown compound or stations in {cid!r}")

    def all_members(self) -> list[Member]:
        members = [m for s in self.stations for m in s.members]
        members += [m for c in self.compounds for m in c.duty]
        members += [m for s in self.streets for m in s.officers]
        return members

    def station(self, station_id: str) -> Station:
        return next(s for s in self.stations if s.station_id == station_id)

    def compound(self, compound_id: str) -> Compound | None:
        return next((c for c in self.compounds if c.compound_id == compound_id), None)

    def evacuation_doors(self, compound_id: str, building_id: str | None) -> tuple[DoorRef, ...]:
        compound = self.compound(compound_id)
        if compound is None or building_id is None:
            return ()
        building = next((b for b in compound.buildings if b.building_id == building_id), None)
        return building.evacuation_doors if building else ()

    def device_point(self, device_id: str | None) -> DevicePoint | None:
        return self._points.get(device_id or "")

    def device_points(self, compound_id: str) -> list[DevicePoint]:
        return [p for p in self._points.values() if p.compound_id == compound_id]

    def area_points(self, area_id: str) -> list[DevicePoint]:
        return [p for p in self._points.values() if p.area_id == area_id]

    def plan_drawing(self, compound_id: str, building_id: str) -> Path | None:
        """The imported SVG of a building's typical floor, when the registry has one."""
        compound = self.compound(compound_id)
        building = compound.building(building_id) if compound else None
        plan = building.floor_plan if building else None
        if plan is None or plan.svg is None or self.base_dir is None:
            return None
        return self.base_dir / plan.svg

    def street(self, street_id: str) -> Street:
        return next(s for s in self.streets if s.street_id == street_id)

    def member(self, member_id: str) -> Member | None:
        return next((m for m in self.all_members() if m.member_id == member_id), None)

    def home_of(self, member_id: str) -> tuple[str, str] | None:
        """("station"|"compound"|"street", id) the member belongs to."""
        for s in self.stations:
            if any(m.member_id == member_id for m in s.members):
                return ("station", s.station_id)
        for c in self.compounds:
            if any(m.member_id == member_id for m in c.duty):
                return ("compound", c.compound_id)
        for st in self.streets:
            if any(m.member_id == member_id for m in st.officers):
                return ("street", st.street_id)
        return None
