"""The %-template hot path says exactly what influxdb-client says for the same point, whichever
optional fields are present, and hands text it cannot say verbatim to the by-field encoder."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone

import pytest
from influxdb_client.client.write.point import Point
from influxdb_client.domain.write_precision import WritePrecision

from events.codec import decode_reading, encode_model
from events.readings import (
    ChargingPortReading,
    DeviceAlarm,
    DeviceAlarmType,
    DoorEvent,
    DoorEventType,
    DoorType,
    Heartbeat,
    PortState,
    RelayState,
    SmokeReading,
)
from streams.telemetry import templates
from streams.telemetry.lines import time_ns, to_line_by_field, to_point
from streams.telemetry.slots import slots_of
from streams.telemetry.templates import to_line

AT = datetime(2025, 6, 1, 12, 0, 0, 123456, tzinfo=UTC)
BASE = {"device_id": "d-1", "compound_id": "c-1", "gateway_id": "g-1", "seq": 7, "observed_at": AT}


def _library_line(reading: object) -> str:
    point = to_point(reading)  # type: ignore[arg-type]  # any reading model
    lib = Point(point.measurement).time(  # type: ignore[no-untyped-call]  # influxdb-client
        point.time_ns, WritePrecision.NS
    )
    for key, tag in point.tags:
        lib = lib.tag(key, tag)
    for key, value in point.fields:
        lib = lib.field(key, value)
    return str(lib.to_line_protocol())


def _is_templated(reading: object) -> bool:
    values = reading.__dict__
    shape = templates._templates_of(type(reading)).shape(values)  # type: ignore[arg-type]  # any reading model
    return shape is not None and shape.is_plain(values)


def _port(**changes: object) -> ChargingPortReading:
    fields: dict[str, object] = {
        **BASE,
        "station_id": "st-1",
        "port_no": 3,
        "voltage_v": 47.94,
        "current_a": 3.5,
        "power_w": 164.6,
        "energy_wh": 10.0,
        "socket_temp_c": -0.0,
        "leakage_ma": 1e-05,
        "port_state": PortState.CHARGING,
        "relay_state": RelayState.ON,
        **changes,
    }
    return ChargingPortReading.model_validate(fields)


OPTIONAL_PORT_FIELDS = {
    "received_at": AT + timedelta(milliseconds=250, microseconds=7),
    "building_id": "b-2",
    "floor": -1,
    "area_id": "a.0",
    "session_id": "s.0",
    "pack_voltage_v": 52.0,
    "h2_ppm": 1e5,
    "co_ppm": 0.1,
    "voc_ppm": 12.25,
}


def test_every_set_of_optional_fields_is_encoded_like_the_library() -> None:
    names = sorted(OPTIONAL_PORT_FIELDS)
    for present in itertools.product((False, True), repeat=len(names)):
        chosen = [name for name, is_in in zip(names, present, strict=True) if is_in]
        changes = {name: OPTIONAL_PORT_FIELDS[name] for name in chosen}
        reading = _port(**changes)
        assert _is_templated(reading)
        assert to_line(reading) == _library_line(reading) == to_line_by_field(reading)


def test_whole_floats_bools_and_identifiers_with_dots_are_exact() -> None:
    # "10.0," loses its ".0" (as the library's does); an id "x.0" in a tag or a string field
    # and the bools keep theirs; -0.0 and 1e-05 stay as Python writes them.
    door = DoorEvent(
        **{**BASE, "device_id": "door.0", "gateway_id": "g.0"},
        door_type=DoorType.FIRE_DOOR_NC,
        event=DoorEventType.OPENED,
        is_open=True,
        are_locks_released=False,
        card_id="card.0",
        is_ebike_in_lift=False,
    )
    smoke = SmokeReading(
        **BASE,
        obscuration_db_per_m=0.0,
        temperature_c=-10.0,
        battery_pct=100.0,
        is_tampered=True,
    )
    alarm = DeviceAlarm(**BASE, alarm_type=DeviceAlarmType.HEAT, value=1e16)
    for reading in (door, smoke, alarm, _port()):
        assert _is_templated(reading)
        assert to_line(reading) == _library_line(reading)
    assert ",device=door.0," in to_line(door)
    assert 'card_id="card.0",' in to_line(door)
    assert "is_open=true," in to_line(door)
    assert "temperature_c=-10 " in to_line(smoke)  # the last field: trimmed at the end too
    assert "value=1e+16 " in to_line(alarm)
    assert "energy_wh=10," in to_line(_port())


@pytest.mark.parametrize(
    "firmware",
    ['v1 "beta", path C:\\fw\\x=1', "1.0,rc=True,", "trailing\\", ""],
)
def test_text_to_escape_takes_the_by_field_path_and_still_matches(firmware: str) -> None:
    beat = Heartbeat(**BASE, interval_s=60.0, firmware=firmware)
    assert not _is_templated(beat) or firmware == ""
    assert to_line(beat) == _library_line(beat)


def test_the_model_decides_which_text_needs_checking() -> None:
    port, beat = slots_of(ChargingPortReading), slots_of(Heartbeat)
    # Identifiers (one character class without anything to escape) and enum codes are safe.
    assert port["device_id"].is_safe
    assert port["session_id"].is_safe
    assert port["session_id"].may_be_none
    assert port["port_state"].is_safe
    assert port["voltage_v"].kind is float
    assert not port["voltage_v"].is_text
    assert beat["firmware"].is_text
    assert not beat["firmware"].is_safe


def test_a_decoded_reading_in_another_offset_gives_the_same_time() -> None:
    reading = _port(received_at=OPTIONAL_PORT_FIELDS["received_at"])
    shanghai = timezone(timedelta(hours=8))
    moved = reading.model_copy(
        update={
            "observed_at": AT.astimezone(shanghai),
            "received_at": reading.received_at.astimezone(shanghai),  # type: ignore[union-attr]  # stamped
        }
    )
    decoded = decode_reading(encode_model(moved))  # pydantic's own fixed-offset tzinfo
    assert time_ns(decoded.observed_at) == time_ns(AT) == 1748779200123456000
    assert to_line(decoded) == to_line(reading) == _library_line(reading)


def test_the_head_kept_per_placement_follows_the_tags_and_stays_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The measurement-and-tags text is kept per tuple of tag values: the same values under
    other tag keys (another shape), a device that moved, many devices past the bound: each
    line is still the library's."""
    budget = templates._Budget(left=3)
    monkeypatch.setattr(templates, "_HEADS_BUDGET", budget)
    in_building = _port(building_id="x-1")
    in_area = _port(area_id="x-1")  # the same tag values, another key
    moved = _port(building_id="x-2")
    others = [_port(building_id="x-1", device_id=f"d-{n}") for n in range(6)]
    port = templates._templates_of(ChargingPortReading)
    port.shapes.clear()  # earlier tests filled the class's shapes up to their bound
    shapes = [port.shape(in_building.__dict__), port.shape(in_area.__dict__)]
    for reading in [in_building, in_area, moved, *others, in_building, *others]:
        assert to_line(reading) == _library_line(reading)
    assert ",building=x-1," in to_line(in_building)
    assert ",area=x-1," in to_line(in_area)
    # The budget is over every shape: spent, and no more kept.
    assert sum(len(shape.heads) for shape in shapes if shape) == 3
    assert budget.left == 0


def test_a_shape_past_the_bound_keeps_no_heads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the shapes bound a shape serves one reading: it spends none of the heads' budget."""
    budget = templates._Budget(left=3)
    monkeypatch.setattr(templates, "_HEADS_BUDGET", budget)
    monkeypatch.setattr(templates, "_MAX_SHAPES_PER_CLASS", 0)
    templates._templates_of(ChargingPortReading).shapes.clear()
    for n in range(5):
        reading = _port(building_id=f"b-{n}")
        assert to_line(reading) == _library_line(reading)
    assert budget.left == 3
