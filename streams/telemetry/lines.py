"""Readings -> InfluxDB line protocol. Pure: no client library, no clock.

One measurement per device kind (`smoke`, `charging_port`, `door`, ...). Tags are the placement
(compound, building, gateway, device, ...): few distinct values, indexed. Everything measured is
a field, named as in the model so the unit travels with it (`socket_temp_c`, `current_a`).
The timestamp is the device's `observed_at` in nanoseconds, so a redelivered reading lands on
the same series and time and overwrites itself: at-least-once delivery stays idempotent.
Formatting follows influxdb-client's `Point.to_line_protocol()` (a unit test holds them equal).
The sink's hot path is `templates.to_line`; `to_line_by_field` here is its exact fallback.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from pydantic import BaseModel

from streams.epoch import epoch_in

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
_WHITESPACE_ESCAPES = {" ": r"\ ", "\n": r"\n", "\t": r"\t", "\r": r"\r"}
_KEY_ESCAPES = str.maketrans({",": r"\,", "=": r"\=", **_WHITESPACE_ESCAPES})
_MEASUREMENT_ESCAPES = str.maketrans({",": r"\,", **_WHITESPACE_ESCAPES})
_STRING_ESCAPES = str.maketrans({'"': r"\"", "\\": r"\\"})
_NEEDS_ESCAPE = re.compile(r"[,= \t\r\n\\]")
TRANSIT_FIELD = "transit_ms"
_MILLISECOND = timedelta(milliseconds=1)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class TelemetryPoint:
    """One point: measurement, sorted tags, sorted fields, time in ns since the epoch."""

    measurement: str
    tags: tuple[tuple[str, str], ...]
    fields: tuple[tuple[str, FieldValue], ...]
    time_ns: int

    def to_line(self) -> str:
        head = self.measurement.translate(_MEASUREMENT_ESCAPES)
        tags = "".join(f",{_key(k)}={_tag_value(v)}" for k, v in self.tags)
        fields = ",".join(f"{_key(k)}={_field_value(v)}" for k, v in self.fields)
        return f"{head}{tags} {fields} {self.time_ns}"


@dataclass(frozen=True, slots=True)
class Layout:
    """Per model class, worked out once: which attributes become tags, which fields, in order."""

    head: str  # the escaped measurement: the model's `kind`
    tags: tuple[tuple[str, str], ...]  # (attribute, tag key), sorted by tag key
    fields: tuple[str, ...]  # attribute names sorted, with the computed `transit_ms`


_LAYOUTS: dict[type[BaseModel], Layout] = {}


def layout_of(model: type[BaseModel]) -> Layout:
    layout = _LAYOUTS.get(model)
    if layout is None:
        names = [n for n in model.model_fields if n not in _SKIPPED]
        tags = sorted(((n, TAG_KEYS[n]) for n in names if n in TAG_KEYS), key=lambda t: t[1])
        fields = sorted([n for n in names if n not in TAG_KEYS] + [TRANSIT_FIELD])
        head = str(model.model_fields["kind"].default).translate(_MEASUREMENT_ESCAPES)
        layout = _LAYOUTS[model] = Layout(head, tuple(tags), tuple(fields))
    return layout


def time_ns(moment: datetime) -> int:
    """Exact nanoseconds since the epoch (integers only: no float rounding of microseconds;
    timedelta // timedelta is integer division in C). The epoch in the reading's own tzinfo
    skips pydantic's utcoffset() calls (streams.epoch)."""
    return (moment - epoch_in(moment.tzinfo)) // _MICROSECOND * 1_000


def _field_values(values: dict[str, Any], layout: Layout) -> Iterator[tuple[str, FieldValue]]:
    for name in layout.fields:
        if name == TRANSIT_FIELD:
            received_at: datetime | None = values.get("received_at")
            if received_at is not None:
                # Device -> bridge delay; negative values reveal device clock skew (DOMAIN.md §6).
                yield TRANSIT_FIELD, (received_at - values["observed_at"]) / _MILLISECOND
            continue
        value = values[name]
        if value is not None:
            yield name, _plain(value) if isinstance(value, Enum) else value


def to_point(reading: BaseModel) -> TelemetryPoint:
    """The point of one reading (any model of `events.readings`)."""
    layout = layout_of(type(reading))
    values = reading.__dict__
    return TelemetryPoint(
        measurement=values["kind"],
        tags=tuple(
            (key, _plain(values[name])) for name, key in layout.tags if values[name] is not None
        ),
        fields=tuple(_field_values(values, layout)),
        time_ns=time_ns(values["observed_at"]),
    )


def to_line_by_field(reading: BaseModel) -> str:
    """The same text as `to_point(reading).to_line()`, without the intermediate point, one field
    at a time: what `templates.to_line` falls back on for text that needs escaping."""
    layout = layout_of(type(reading))
    values = reading.__dict__
    parts = [layout.head]
    for name, key in layout.tags:
        tag = values[name]
        if tag is not None:
            parts.append(f",{key}={_tag_value(tag if type(tag) is str else _plain(tag))}")
    separator = " "
    for name in layout.fields:
        if name == TRANSIT_FIELD:
            received_at = values.get("received_at")
            if received_at is None:
                continue
            value: Any = (received_at - values["observed_at"]) / _MILLISECOND
        else:
            value = values[name]
            if value is None:
                continue
        if type(value) is float:  # most fields: formatted inline
            text = str(value)
            parts.append(f"{separator}{name}={text[:-2] if text.endswith('.0') else text}")
        else:
            parts.append(f"{separator}{name}={_field_value(value)}")
        separator = ","
    parts.append(f" {time_ns(values['observed_at'])}")
    return "".join(parts)


def _plain(value: object) -> str:
    return str(value.value) if isinstance(value, Enum) else str(value)


def _key(key: str) -> str:
    return key.translate(_KEY_ESCAPES) if _NEEDS_ESCAPE.search(key) else key


def _tag_value(value: str) -> str:
    if not _NEEDS_ESCAPE.search(value):
        return value  # identifiers (the usual case) need no escaping
    escaped = value.translate(_KEY_ESCAPES)
    # A trailing backslash would escape the separator that follows it.
    return escaped + " " if escaped.endswith("\\") else escaped


def _field_value(value: FieldValue) -> str:
    kind = type(value)
    if kind is float:  # most fields: checked first
        text = str(value)
        return text[:-2] if text.endswith(".0") else text
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return f"{value}i"
    if isinstance(value, Enum):
        value = value.value
    return f'"{str(value).translate(_STRING_ESCAPES)}"'
