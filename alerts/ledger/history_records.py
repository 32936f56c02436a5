"""The 台账 export's records and sheet columns (pure): one dataclass per sheet, with the
column headers in zh-CN and en (alerts/ledger/history.py fills them from the ledger)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class IncidentRecord:
    incident_key: str
    compound_id: str
    building_id: str | None
    place_scope: str
    place_id: str
    title: str
    kinds: tuple[str, ...]  # its conditions' kinds, first raised first
    devices: tuple[str, ...]
    severity: str
    state: str
    station_id: str | None
    opened_at: datetime
    acknowledged_at: datetime | None
    on_scene_at: datetime | None
    resolved_at: datetime | None
    ack_s: float | None
    scene_s: float | None
    outcome: str | None
    false_alarm_cause: str | None
    handled_by: tuple[str, ...]  # who acknowledged, went, assessed, resolved

    def as_dict(self) -> dict[str, Any]:
        return _plain(asdict(self))


@dataclass(frozen=True, slots=True)
class HazardRecord:
    hazard_id: str
    compound_id: str
    street_id: str | None
    building_id: str | None
    floor: int | None
    unit: str | None
    category: str
    severity: str | None
    state: str
    title: str
    owner_kind: str | None
    owner_name: str | None
    assignee: str | None
    found_at: datetime
    deadline_at: datetime | None
    rectified_at: datetime | None
    rectified_by: str | None
    closed_at: datetime | None
    escalation: str
    whistled_department: str | None
    reports: int
    is_overdue: bool  # not rectified by its deadline (late or still open past it)
    handled_by: tuple[str, ...] = ()  # who triaged, assigned, rectified, re-inspected, closed

    def as_dict(self) -> dict[str, Any]:
        return _plain(asdict(self))


@dataclass(frozen=True, slots=True)
class PatrolRecord:
    checkin_id: str
    round_id: str
    checkpoint_id: str
    compound_id: str
    member_id: str
    at: datetime
    is_ok: bool
    finding_report_id: str | None
    note: str

    def as_dict(self) -> dict[str, Any]:
        return _plain(asdict(self))


INCIDENT_COLUMNS = (
    Column("opened_at", "报警时间", "Time"),
    Column("compound_id", "小区", "Compound"),
    Column("place_id", "部位", "Place"),
    Column("devices", "报警设备", "Device"),
    Column("kinds", "类型", "Kind"),
    Column("severity", "级别", "Severity"),
    Column("handled_by", "处置人", "Handled by"),
    Column("ack_s", "响应用时(秒)", "Time to acknowledge (s)"),
    Column("scene_s", "到场用时(秒)", "Time to scene (s)"),
    Column("outcome", "处置结果", "Outcome"),
    Column("false_alarm_cause", "误报原因", "Cause of false alarm"),
)
HAZARD_COLUMNS = (
    Column("found_at", "发现时间", "Found"),
    Column("compound_id", "小区", "Compound"),
    Column("building_id", "楼栋", "Building"),
    Column("floor", "楼层", "Floor"),
    Column("category", "隐患类别", "Category"),
    Column("severity", "隐患等级", "Severity"),
    Column("owner_name", "整改责任主体", "Owner"),
    Column("deadline_at", "整改期限", "Deadline"),
    Column("rectified_at", "整改完成时间", "Rectified"),
    Column("state", "状态", "State"),
    Column("is_overdue", "是否逾期", "Overdue"),
    Column("whistled_department", "吹哨部门", "Department whistled"),
    Column("handled_by", "处置人", "Handled by"),
)
PATROL_COLUMNS = (
    Column("at", "巡查时间", "Time"),
    Column("compound_id", "小区", "Compound"),
    Column("round_id", "巡查路线", "Round"),
    Column("checkpoint_id", "巡查点", "Checkpoint"),
    Column("member_id", "巡查人", "Patrolled by"),
    Column("is_ok", "是否正常", "OK"),
    Column("note", "情况说明", "Note"),
)


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    """JSON-ready: times as ISO 8601 (UTC), tuples as lists."""
    return {key: _json_value(value) for key, value in data.items()}


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return list(value) if isinstance(value, tuple) else value
