"""Readings -> line protocol: agrees with influxdb-client's own encoder, names units, is exact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from influxdb_client.client.write.point import Point
from influxdb_client.domain.write_precision import WritePrecision

from events.readings import ChargingPortReading, DeviceAlarm, DeviceAlarmType, Heartbeat
from streams.telemetry.lines import (
    TAG_KEYS,
    TelemetryPoint,
    time_ns,
    to_line_by_field,
    to_point,
)
from streams.telemetry.templates import to_line
from tests.telemetry.scenario import compound_telemetry


def _library_line(point: TelemetryPoint) -> str:
    lib = Point(point.measurement).time(  # type: ignore[no-untyped-call]  # influxdb-client
        point.time_ns, WritePrecision.NS
    )
    for key, tag in point.tags:
        lib = lib.tag(key, tag)
    for key, field in point.fields:
        lib = lib.field(key, field)
    return str(lib.to_line_protocol())


def test_every_reading_of_a_scenario_encodes_like_the_library() -> None:
    readings = compound_telemetry(seed=3, seconds=300)
    assert {r.kind for r in readings} == {
        "smoke",
        "charging_port",
        "door",
        "heartbeat",
        "gateway_status",
        "device_alarm",
    }
    for reading in readings:
        point = to_point(reading)
        assert point.to_line() == _library_line(point)
        assert to_line(reading) == point.to_line()  # the hot path says the same
        assert to_line_by_field(reading) == point.to_line()  # and so does its fallback


def test_awkward_strings_are_escaped_like_the_library() -> None:
    at = datetime(2025, 1, 1, tzinfo=UTC)
    alarm = Heartbeat(
        device_id="d-1",
        compound_id="c-1",
        gateway_id="g-1",
        seq=1,
        observed_at=at,
        interval_s=60.0,
        firmware='v1 "beta", path C:\\fw\\x=1',
    )
    point = to_point(alarm)
    assert point.to_line() == _library_line(point)
    assert r'firmware="v1 \"beta\", path C:\\fw\\x=1"' in point.to_line()


def test_one_measurement_per_kind_with_placement_tags_and_unit_fields() -> None:
    smoke, port = compound_telemetry(seed=1, seconds=10)[0], compound_telemetry(1, 10)[4]
    assert isinstance(port, ChargingPortReading)
    smoke_point, port_point = to_point(smoke), to_point(port)
    assert smoke_point.measurement == "smoke"
    assert dict(smoke_point.tags) == {
        "building": smoke.building_id,
        "compound": "c-0001",
        "device": smoke.device_id,
        "gateway": "c-0001-gw1",
    }
    fields = dict(port_point.fields)
    assert port_point.measurement == "charging_port"
    assert dict(port_point.tags)["port"] == "0"
    assert dict(port_point.tags)["station"] == "st-1"
    for name in ("voltage_v", "current_a", "power_w", "energy_wh", "socket_temp_c", "leakage_ma"):
        assert isinstance(fields[name], float), name
    assert fields["seq"] == port.seq
    assert fields["port_state"] == port.port_state.value  # enums as their stable string codes
    assert not set(TAG_KEYS) & set(fields)  # a tag is never also a field


def test_time_is_exact_nanoseconds_and_transit_is_milliseconds() -> None:
    at = datetime(2025, 6, 1, 12, 0, 0, 123456, tzinfo=UTC)
    assert time_ns(at) == 1748779200123456000
    alarm = DeviceAlarm(
        device_id="d",
        compound_id="c",
        gateway_id="g",
        seq=9,
        observed_at=at,
        received_at=at + timedelta(milliseconds=250),
        alarm_type=DeviceAlarmType.SMOKE,
        detail="free text stays out of the time series",
    )
    point = to_point(alarm)
    assert point.time_ns == 1748779200123456000
    assert dict(point.fields)["transit_ms"] == pytest.approx(250.0)
    assert "detail" not in dict(point.fields)
    assert dict(point.tags)["alarm_type"] == "smoke"


def test_a_redelivered_reading_gives_the_identical_line() -> None:
    reading = compound_telemetry(seed=5, seconds=10)[2]
    copy = type(reading).model_validate_json(reading.model_dump_json())
    assert to_line(copy) == to_line(reading)
