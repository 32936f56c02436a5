"""People as sensors: what residents and patrols report (topic `fw.reports.v1`, keyed by
compound). The public side (`community/`) is the only edge where these are parsed from people's
input; dispatch (`alerts/hazards/`) consumes them, idempotent by `report_id` / `checkin_id`.

Photos never travel on Kafka: a report names them by the SHA-256 of the re-encoded JPEG, and
the photo store (a directory the console can read) holds them at `photo_relpath(photo_id)`.
Schema version 1 (docs/PEOPLE.md).
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from events.deadletter import DeadLetterReason
from events.errors import ContractViolation

REPORT_SCHEMA_VERSION = "1"
MAX_PHOTOS = 3
_PHOTO_ID = re.compile(r"^[0-9a-f]{64}$")

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
PhotoId = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class HazardCategory(StrEnum):
    """The hazards people see and sensors cannot (issue 18; 消防法 §28, 公安部令第61号 §21)."""

    BLOCKED_ROUTE = "blocked_route"  # 占用、堵塞疏散通道或安全出口
    EBIKE_INDOORS = "ebike_indoors"  # 电动自行车在楼道、楼梯间停放或充电
    FLYING_WIRE = "flying_wire"  # 飞线充电、电气线路私拉乱接
    FIRE_EQUIPMENT = "fire_equipment"  # 消火栓、灭火器缺失或未维护
    MIXED_USE = "mixed_use"  # 下店上宅、仓住合一 (人员住宿与经营、仓储合用)
    OTHER = "other"


# What people read: (zh-CN, en). The public page, the console and the feeds' titles use these.
CATEGORY_LABELS: dict[HazardCategory, tuple[str, str]] = {
    HazardCategory.BLOCKED_ROUTE: ("堵塞疏散通道、安全出口", "Blocked corridor or fire exit"),
    HazardCategory.EBIKE_INDOORS: ("楼道停放或充电电动自行车", "E-bike parked or charged indoors"),
    HazardCategory.FLYING_WIRE: ("飞线充电、私拉乱接电线", "Flying-wire charging, illegal wiring"),
    HazardCategory.FIRE_EQUIPMENT: ("消火栓、灭火器缺失或损坏", "Hydrant or extinguisher missing"),
    HazardCategory.MIXED_USE: ("下店上宅、仓住合一", "Shop or warehouse with people living in"),
    HazardCategory.OTHER: ("其他隐患", "Other hazard"),
}


class ReportSource(StrEnum):
    RESIDENT = "resident"  # anyone with the building's QR code, no sign-in
    PATROL = "patrol"  # a signed-in grid worker or station member on a round


class ReportPlace(BaseModel):
    """Where, picked from the registry: building and floor are the registry's; the unit (单元 /
    室) is free text because the registry does not list units."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    compound_id: Id
    building_id: Id | None = None
    floor: int | None = Field(default=None, ge=-5, le=200)  # negative = basement levels
    unit: str | None = Field(default=None, max_length=16)
    checkpoint_id: Id | None = None
    detail: str = Field(default="", max_length=200)  # "by the lift on the east side"


class PhotoRef(BaseModel):
    """A photo as stored: re-encoded JPEG without metadata, named by its SHA-256."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    photo_id: PhotoId
    content_type: Literal["image/jpeg"] = "image/jpeg"
    width_px: int = Field(ge=1, le=20_000)
    height_px: int = Field(ge=1, le=20_000)
    size_bytes: int = Field(ge=1)


class ReporterContact(BaseModel):
    """Only when the reporter chose to leave it and ticked the consent box (PIPL 个人信息保护法
    §13-14: consent, for a stated purpose: being called back about this report)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(default="", max_length=40)
    phone: str = Field(pattern=r"^\+?[0-9][0-9 -]{5,19}$")
    consent_at: AwareDatetime


class HazardReport(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["hazard_report"] = "hazard_report"
    report_id: Id
    source: ReportSource
    category: HazardCategory
    place: ReportPlace
    description: str = Field(default="", max_length=500)
    photos: tuple[PhotoRef, ...] = Field(default=(), max_length=MAX_PHOTOS)
    contact: ReporterContact | None = None
    # A patrol's member id; None for residents (anonymous unless they leave a contact).
    reporter_id: Id | None = None
    round_id: Id | None = None
    reported_at: AwareDatetime
    # From where, without the resident's address (data minimisation): "resident-web" or
    # "patrol-web 10.0.0.7" for signed-in staff.
    received_via: str = Field(max_length=100)

    @property
    def event_id(self) -> str:
        return self.report_id


class PatrolCheckIn(BaseModel):
    """A patrol member scanned a checkpoint's QR code and checked it (巡查打卡)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["patrol_checkin"] = "patrol_checkin"
    checkin_id: Id
    round_id: Id
    checkpoint_id: Id
    compound_id: Id
    member_id: Id
    at: AwareDatetime
    is_ok: bool  # False: something was found, see finding_report_id
    finding_report_id: Id | None = None
    note: str = Field(default="", max_length=200)
    received_via: str = Field(max_length=100)

    @property
    def event_id(self) -> str:
        return self.checkin_id


FieldReport = Annotated[HazardReport | PatrolCheckIn, Field(discriminator="kind")]
FIELD_REPORT: TypeAdapter[HazardReport | PatrolCheckIn] = TypeAdapter(FieldReport)


def decode_field_report(payload: bytes) -> HazardReport | PatrolCheckIn:
    """Validate one record of `fw.reports.v1`; ContractViolation names what is wrong."""
    try:
        return FIELD_REPORT.validate_json(payload)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        reason = _REASONS.get(errors[0]["type"], DeadLetterReason.WRONG_TYPE)
        where = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors[:3])
        raise ContractViolation(reason, f"field report rejected: {where}") from None


_REASONS = {
    "json_invalid": DeadLetterReason.INVALID_JSON,
    "missing": DeadLetterReason.MISSING_FIELD,
    "union_tag_not_found": DeadLetterReason.MISSING_FIELD,
    "union_tag_invalid": DeadLetterReason.UNKNOWN_KIND,
    "model_attributes_type": DeadLetterReason.NOT_AN_OBJECT,
}


def photo_relpath(photo_id: str) -> str:
    """Where a photo lives under the photo store's root: `ab/abcdef....jpg` (content-addressed,
    so the same photo sent twice is stored once and a name can never point elsewhere)."""
    if not _PHOTO_ID.match(photo_id):
        raise ValueError(f"not a photo id: {photo_id!r}")
    return f"{photo_id[:2]}/{photo_id}.jpg"
