"""Readings -> InfluxDB line protocol. Pure: no client library, no clock.

One measurement per device kind (`smoke`, `charging_port`, `door`, ...). Tags are the placement
(compound, building, gateway, device, ...): few distinct values, indexed. Everything measured is
a field, named as in the model so the unit travels with it (`socket_temp_c`, `current_a`).
The timestamp is the device's `observed_at` in nanoseconds, so a redelivered reading lands on
the same series and time and overwrites itself: at-least-once delivery stays idempotent.
Formatting follows influxdb-client's `Point.to_line_protocol()` (a unit test holds them equal).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum

from pydantic import BaseModel

FieldValue = float | int | bool | str

# Model field -> tag key. Placement only: a tag per value would explode series cardinality.
TAG_KEYS: Mapping[str, str] = {
    "compound_id": "compound",
    "building_id": "building",
    "gateway_id": "gateway",
    "device_id": "device",
    "area_id": "area",
    "floor": "floor",
    "station_id": "station",
    "port_no": "port",
    "door_type": "door_type",
    "alarm_type": "alarm_type",
}
# Never written: the discriminator is the measurement, the times are the timestamp (and
# `transit_ms`), and free text has no place in a time series.
_SKIPPED = frozenset({"kind", "observed_at", "received_at", "detail"})
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_WHITESPACE_ESCAPES = {" ": r"\ ", "\n": r"\n", "\t": r"\t", "\r": r"\r"}
_KEY_ESCAPES = str.maketrans({",": r"\,", "=": r"\=", **_WHITESPACE_ESCAPES})
_MEASUREMENT_ESCAPES = str.maketrans({",": r"\,", **_WHITESPACE_ESCAPES})
_STRING_ESCAPES = str.maketrans({'"': r"\"", "\\": r"\\"})


@dataclass(frozen=True, slots=True)
class TelemetryPoint:
    """One point: measurement, sorted tags, sorted fields, time in ns since the epoch."""

    measurement: str
    tags: tuple[tuple[str, str], ...]
    fields: tuple[tuple[str, FieldValue], ...]
    time_ns: int

    def to_line(self) -> str:
        head = self.measurement.translate(_MEASUREMENT_ESCAPES)
        tags = "".join(f",{k.translate(_KEY_ESCAPES)}={_tag_value(v)}" for k, v in self.tags)
        fields = ",".join(f"{k.translate(_KEY_ESCAPES)}={_field_value(v)}" for k, v in self.fields)
        return f"{head}{tags} {fields} {self.time_ns}"


def time_ns(moment: datetime) -> int:
    """Exact nanoseconds since the epoch (no float rounding of microseconds)."""
    return ((moment - _EPOCH) // timedelta(microseconds=1)) * 1_000


def to_point(reading: BaseModel) -> TelemetryPoint:
    """The point of one reading (any model of `events.readings`)."""
    tags: dict[str, str] = {}
    fields: dict[str, FieldValue] = {}
    for name, value in reading:
        if value is None or name in _SKIPPED:
            continue
        if name in TAG_KEYS:
            tags[TAG_KEYS[name]] = str(value.value if isinstance(value, Enum) else value)
        elif isinstance(value, Enum):
            fields[name] = str(value.value)
        elif isinstance(value, float | int | bool | str):
            fields[name] = value
    observed_at: datetime = getattr(reading, "observed_at")  # noqa: B009 - every reading has it
    received_at: datetime | None = getattr(reading, "received_at", None)
    if received_at is not None:
        # Device -> bridge delay; negative values reveal device clock skew (DOMAIN.md §6).
        fields["transit_ms"] = (received_at - observed_at) / timedelta(milliseconds=1)
    return TelemetryPoint(
        measurement=str(getattr(reading, "kind")),  # noqa: B009 - discriminator of the union
        tags=tuple(sorted(tags.items())),
        fields=tuple(sorted(fields.items())),
        time_ns=time_ns(observed_at),
    )


def to_line(reading: BaseModel) -> str:
    return to_point(reading).to_line()


def _tag_value(value: str) -> str:
    escaped = value.translate(_KEY_ESCAPES)
    # A trailing backslash would escape the separator that follows it.
    return escaped + " " if escaped.endswith("\\") else escaped


def _field_value(value: FieldValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value}i"
    if isinstance(value, float):
        text = str(value)
        return text[:-2] if text.endswith(".0") else text
    return f'"{value.translate(_STRING_ESCAPES)}"'
