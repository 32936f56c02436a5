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

from pydantic import BaseModel, ConfigDict, Field, model_validator

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
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
    name: str
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
    name: str
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
    """Site-plan rectangle in metres from the compound's south-west corner (x east, y north)."""

    building_id: Id
    name: str
    x_m: float
    y_m: float
    width_m: float = Field(gt=0.0)
    depth_m: float = Field(gt=0.0)
    floors: int = Field(default=1, ge=1, le=200)
    # Released on a confirmed fire in the building (GB 55024-2022 §5.3.6).
    evacuation_doors: tuple[DoorRef, ...] = ()


class Compound(_Frozen):
    compound_id: Id
    name: str
    lat: Lat
    lon: Lon
    street_id: Id
    width_m: float = Field(default=200.0, gt=0.0)
    depth_m: float = Field(default=200.0, gt=0.0)
    buildings: tuple[Building, ...] = ()
    # The property control room (GB 25201: >= 2 per shift) and the grid worker (网格员).
    duty: tuple[Member, ...] = ()


class Street(_Frozen):
    street_id: Id
    name: str
    district_id: Id
    officers: tuple[Member, ...] = ()


class District(_Frozen):
    district_id: Id
    name: str
