"""Places inside a compound: the typical floor (标准层) of a building with its units, corridor,
stairs and device points, the ground-floor exits, the compound's gates and its charging sheds.

Geometry is in metres, x east and y north: floor plans from the building's south-west corner,
gates and sheds from the compound's. Device ids follow the simulator fleet's scheme
(`{compound}-{building}-f{floor}-{suffix}`, `{compound}-{shed}-smk`, `{compound}-{charger}-pNN`)
so one registry describes what the detectors report; tests/alerts/test_registry_places.py
proves the example fleet and the example registry agree device by device.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
Metres = Annotated[float, Field(ge=0.0, le=10_000.0)]
Size = Annotated[float, Field(gt=0.0, le=10_000.0)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Room(StrEnum):
    """Where in a unit or building a device hangs (words in the console's catalogues)."""

    BEDROOM = "bedroom"
    LIVING_ROOM = "living_room"
    KITCHEN = "kitchen"
    CORRIDOR = "corridor"
    STAIRWELL = "stairwell"
    LOBBY = "lobby"
    SHED = "shed"
    OUTDOOR = "outdoor"


class PointKind(StrEnum):
    SMOKE = "smoke"
    FIRE_DOOR = "fire_door"
    EVACUATION_EXIT = "evacuation_exit"
    UNIT_ENTRANCE = "unit_entrance"
    GATE = "gate"
    CHARGING_PORT = "charging_port"


class Rect(_Frozen):
    x_m: Metres
    y_m: Metres
    width_m: Size
    depth_m: Size

    @property
    def centre(self) -> tuple[float, float]:
        return (self.x_m + self.width_m / 2, self.y_m + self.depth_m / 2)


class UnitPlan(Rect):
    """A unit (单元) on the typical floor."""

    unit: int = Field(ge=1, le=99)


class PointPlan(_Frozen):
    """A device on every floor of the typical floor: id `{compound}-{building}-f{floor}-{suffix}`.
    `area` is the suffix of the detection area (`u1` -> `{compound}-{building}-f{floor}-u1`):
    two detectors in one area confirm a fire (GB 50116-2013 §4.1.6); None = the device alone."""

    suffix: Id
    kind: PointKind
    room: Room
    unit: int | None = Field(default=None, ge=1, le=99)
    area: Id | None = None
    x_m: Metres
    y_m: Metres


class FloorPlan(_Frozen):
    """The typical floor, drawn for every floor of the building. `svg` names an imported
    drawing (a file beside the registry YAML) laid under the registry's points."""

    units: tuple[UnitPlan, ...] = ()
    corridor: Rect | None = None
    stairs: tuple[Rect, ...] = ()
    points: tuple[PointPlan, ...] = ()
    svg: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]+\.svg$")


class Exit(_Frozen):
    """An access-controlled door on the ground floor (floor 1), building-local position."""

    device_id: Id
    gateway_id: Id
    kind: PointKind = PointKind.EVACUATION_EXIT
    name: str = Field(default="", max_length=100)
    name_en: str = Field(default="", max_length=100)
    x_m: Metres
    y_m: Metres


class Gate(_Frozen):
    """A compound gate (小区大门) with access control, compound-local position."""

    device_id: Id
    gateway_id: Id
    name: str = Field(default="", max_length=100)
    name_en: str = Field(default="", max_length=100)
    x_m: Metres
    y_m: Metres


class Charger(_Frozen):
    """A charging station (充电桩) in a shed: ports `{compound}-{charger_id}-p01` ..."""

    charger_id: Id
    ports: int = Field(ge=1, le=64)
    x_m: Metres = 0.0
    y_m: Metres = 0.0


class ChargingShed(Rect):
    """A centralised e-bike charging shed (集中充电棚); one detection area with its smoke
    detector `{compound}-{shed_id}-smk`, so smoke near charging ports matches by area."""

    shed_id: Id
    name: str = Field(max_length=100)
    name_en: str = Field(default="", max_length=100)
    gateway_id: Id
    has_smoke: bool = True
    chargers: tuple[Charger, ...] = ()
