"""Which readings end the telemetry hold (ingest/urgency.py): the ones that may start a P1."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from events.codec import decode_reading
from events.readings import Reading
from ingest.urgency import is_urgent

AT = datetime(2026, 12, 5, 2, 0, tzinfo=UTC).isoformat()
BASE: dict[str, Any] = {"compound_id": "c1", "gateway_id": "gw1", "seq": 1, "observed_at": AT}


def _smoke(**extra: Any) -> Reading:
    body = BASE | {
        "kind": "smoke",
        "device_id": "sd-1",
        "obscuration_db_per_m": 0.01,
        "temperature_c": 22.0,
        "battery_pct": 90.0,
    }
    return decode_reading(json_of(body | extra))


def _port(**extra: Any) -> Reading:
    body = BASE | {
        "kind": "charging_port",
        "device_id": "cp-1",
        "station_id": "st-1",
        "port_no": 1,
        "voltage_v": 48.0,
        "current_a": 2.0,
        "power_w": 96.0,
        "energy_wh": 10.0,
        "socket_temp_c": 31.0,
        "leakage_ma": 0.0,
        "port_state": "charging",
        "relay_state": "on",
    }
    return decode_reading(json_of(body | extra))


def json_of(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


@pytest.mark.parametrize(
    ("reading", "expected"),
    [
        (_smoke(), False),
        (_smoke(obscuration_db_per_m=0.05), True),  # GB 4715 type A response
        (_smoke(temperature_c=54.0), True),  # EN 54-5 class A1
        (_smoke(co_ppm=60.0), True),
        (_smoke(alarm_state="pre_alarm"), True),
        (_port(), False),
        (_port(socket_temp_c=49.9), False),
        (_port(socket_temp_c=50.0), True),
        (_port(port_state="fault"), True),
        (_port(voc_ppm=12.0), True),
        (_port(co_ppm=55.0), True),
        (_port(h2_ppm=900.0), False),  # hydrogen alone is not a Li-ion sign (runaway.py)
    ],
)
def test_urgent_readings(reading: Reading, expected: bool) -> None:
    assert is_urgent(reading) is expected
