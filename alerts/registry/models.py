"""Registry models: stations, members, shift rosters, compounds, streets, districts.

Invariants checked on load (DOMAIN.md §2, 公消〔2015〕301号): a community station has a chief
and at least 5 members, 24 h duty and at least 3 on each shift; every id a record refers to
exists; coordinates are real latitudes and longitudes.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from alerts.registry.places import ChargingShed, Exit, FloorPlan, Gate, Id, PointKind

Lat = Annotated[float, Field(ge=-90.0, le=90.0)]
Lon = Annotated[float, Field(ge=-180.0, le=180.0)]

# 301号 (V): >= 3 on each shift; chief + >= 5 members per community station.
MIN_ON_SHIFT = 3
MIN_STATION_MEMBERS = 5


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Role(StrEnum):
    CHIEF = "chief"
    MEMBER = "member"
    CONTROL_ROOM = "control_room"
    GRID_WORKER = "grid_worker"
    STREET_OFFICER = "street_officer"


class ContactChannel(StrEnum):
    CONSOLE = "console"
    SMS = "sms"
    VOICE = "voice"
    WEBHOOK = "webhook"
    MQTT_TERMINAL = "mqtt_terminal"


class Contact(_Frozen):
    channel: ContactChannel
    address: str = Field(default="", max_length=500)


class Member(_Frozen):
    member_id: Id
    name: str = Field(max_length=100)
    role: Role
    contacts: tuple[Contact, ...] = (Contact(channel=ContactChannel.CONSOLE),)
    # "scrypt$n$r$p$salt_hex$hash_hex" (alerts.console.passwords); None = cannot sign in.
    password_scrypt: str | None = None


class Shift(_Frozen):
    """A daily shift in the station's local time; `backup` are called on no acknowledgement."""

    name: str
    start: time
    hours: float = Field(gt=0.0, le=24.0)
    members: tuple[Id, ...]
    backup: tuple[Id, ...] = ()

    def covers(self, local: datetime) -> bool:
        start = local.replace(hour=self.start.hour, minute=self.start.minute, second=0)
        start = start.replace(microsecond=0)
        for day in (0, -1):  # a night shift that started yesterday
            begin = start + timedelta(days=day)
            if begin <= local < begin + timedelta(hours=self.hours):
                return True
        return False


class Station(_Frozen):
    station_id: Id
    name: str = Field(max_length=100)
    name_en: str = Field(default="", max_length=100)
    lat: Lat
    lon: Lon
    street_id: Id
    timezone: str = "Asia/Shanghai"
    compounds: tuple[Id, ...] = ()
    # The station's MQTT terminal (fw/v1/terminals/{terminal_id}/page), when it has one.
    terminal_id: Id | None = None
    chief_id: Id
    members: tuple[Member, ...]
    shifts: tuple[Shift, ...]

    @model_validator(mode="after")
    def _check_roster(self) -> Station:
        ids = {m.member_id for m in self.members}
        where = f"station {self.station_id}"
        if self.chief_id not in ids:
            raise ValueError(f"{where}: chief_id {self.chief_id!r} is not one of its members")
        if len(ids) - 1 < MIN_STATION_MEMBERS:
            raise ValueError(
                f"{where}: {len(ids) - 1} members besides the chief, 301号 asks >= "
                f"{MIN_STATION_MEMBERS}"
            )
        if not self.shifts:
            raise ValueError(f"{where}: no shifts (24 h duty, 301号)")
        for shift in self.shifts:
            unknown = sorted(set(shift.members + shift.backup) - ids)
            if unknown:
                raise ValueError(f"{where} shift {shift.name}: unknown members {unknown}")
            if len(set(shift.members)) < MIN_ON_SHIFT:
                raise ValueError(
                    f"{where} shift {shift.name}: {len(set(shift.members))} on shift, "
                    f"301号 asks >= {MIN_ON_SHIFT}"
                )
        ZoneInfo(self.timezone)
        return self

    def member(self, member_id: str) -> Member:
        return next(m for m in self.members if m.member_id == member_id)

    def shift_at(self, at: datetime) -> Shift | None:
        local = at.astimezone(ZoneInfo(self.timezone))
        return next((s for s in self.shifts if s.covers(local)), None)


class DoorRef(_Frozen):
    """An evacuation-route access-control device and the gateway that reaches it."""

    gateway_id: Id
    device_id: Id


class Building(_Frozen):
    """Site-plan rectangle in metres from the compound's south-west corner (x east, y north).
    `name` is the name people use on site (1号楼); `name_en` the English console's."""

    building_id: Id
    name: str = Field(max_length=100)
    name_en: str = Field(default="", max_length=100)
    x_m: float
    y_m: float
    width_m: float = Field(gt=0.0)
    depth_m: float = Field(gt=0.0)
    floors: int = Field(default=1, ge=1, le=200)
    gateway_id: Id | None = None  # the gateway of the typical floor's device points
    floor_plan: FloorPlan | None = None
    exits: tuple[Exit, ...] = ()
    # Released on a confirmed fire in the building (GB 55024-2022 §5.3.6). Left out, it is the
    # building's evacuation exits.
    evacuation_doors: tuple[DoorRef, ...] = ()

    @model_validator(mode="after")
    def _check_places(self) -> Building:
        if self.floor_plan is not None and self.floor_plan.points and self.gateway_id is None:
            raise ValueError(f"building {self.building_id}: floor_plan points need a gateway_id")
        if self.floor_plan is not None:
            suffixes = [p.suffix for p in self.floor_plan.points]
            if len(set(suffixes)) != len(suffixes):
                raise ValueError(f"building {self.building_id}: duplicate point suffixes")
        if not self.evacuation_doors:
            doors = tuple(
                DoorRef(gateway_id=e.gateway_id, device_id=e.device_id)
                for e in self.exits
                if e.kind is PointKind.EVACUATION_EXIT
            )
            # Frozen model: set once here, during validation, before anyone can read it.
            object.__setattr__(self, "evacuation_doors", doors)
        return self


class Compound(_Frozen):
    compound_id: Id
    name: str = Field(max_length=100)
    name_en: str = Field(default="", max_length=100)
    lat: Lat
    lon: Lon
    street_id: Id
    # The console shows times in the compound's zone (issue 11: the duty staff's clock).
    timezone: str = "Asia/Shanghai"
    width_m: float = Field(default=200.0, gt=0.0)
    depth_m: float = Field(default=200.0, gt=0.0)
    gateways: tuple[Id, ...] = ()
    buildings: tuple[Building, ...] = ()
    gates: tuple[Gate, ...] = ()
    charging_sheds: tuple[ChargingShed, ...] = ()
    # The property control room (GB 25201: >= 2 per shift) and the grid worker (网格员).
    duty: tuple[Member, ...] = ()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    def building(self, building_id: str | None) -> Building | None:
        return next((b for b in self.buildings if b.building_id == building_id), None)

    def shed(self, shed_id: str | None) -> ChargingShed | None:
        return next((s for s in self.charging_sheds if s.shed_id == shed_id), None)


class Street(_Frozen):
    street_id: Id
    name: str = Field(max_length=100)
    name_en: str = Field(default="", max_length=100)
    district_id: Id
    officers: tuple[Member, ...] = ()


class District(_Frozen):
    district_id: Id
    name: str = Field(max_length=100)
    name_en: str = Field(default="", max_length=100)
