"""The wire contract: valid readings parse; each kind of bad input gets its reason code."""

from __future__ import annotations

import json
from typing import Any

import pytest

from events import (
    ChargingPortReading,
    ContractViolation,
    DeadLetterReason,
    SmokeReading,
    decode_reading,
    encode_model,
)


def smoke(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "kind": "smoke",
        "device_id": "sd-1",
        "compound_id": "c1",
        "gateway_id": "gw-1",
        "seq": 7,
        "observed_at": "2026-11-22T02:00:00+08:00",
        "obscuration_db_per_m": 0.02,
        "temperature_c": 22.5,
        "battery_pct": 88,
    }
    payload.update(overrides)
    return payload


def raw(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload).encode()


def test_valid_smoke_reading_parses_with_event_id() -> None:
    reading = decode_reading(raw(smoke()))
    assert isinstance(reading, SmokeReading)
    assert reading.event_id == "sd-1:7"
    assert reading.observed_at.utcoffset() is not None


def test_encode_then_decode_round_trips() -> None:
    reading = decode_reading(raw(smoke(co_ppm=3.0)))
    assert decode_reading(encode_model(reading)) == reading


def test_charging_port_reading_parses() -> None:
    payload = {
        **{
            k: v
            for k, v in smoke().items()
            if k not in {"kind", "obscuration_db_per_m", "temperature_c", "battery_pct"}
        },
        "kind": "charging_port",
        "station_id": "cs-1",
        "port_no": 3,
        "voltage_v": 54.1,
        "current_a": 3.2,
        "power_w": 173.1,
        "energy_wh": 120.0,
        "socket_temp_c": 31.0,
        "leakage_ma": 0.4,
        "port_state": "charging",
        "relay_state": "on",
        "session_id": "s-9",
    }
    assert isinstance(decode_reading(raw(payload)), ChargingPortReading)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"\xff\xfe{}", DeadLetterReason.NOT_UTF8),
        (b'{"kind": "smoke",', DeadLetterReason.INVALID_JSON),
        (b"[1, 2, 3]", DeadLetterReason.NOT_AN_OBJECT),
        (raw(smoke(temperature_c="warm")), DeadLetterReason.WRONG_TYPE),
        (
            raw({k: v for k, v in smoke().items() if k != "battery_pct"}),
            DeadLetterReason.MISSING_FIELD,
        ),
        (raw({k: v for k, v in smoke().items() if k != "kind"}), DeadLetterReason.MISSING_FIELD),
        (raw(smoke(temperature_c=float("nan"))), DeadLetterReason.NON_FINITE_NUMBER),
        (raw(smoke(obscuration_db_per_m=float("inf"))), DeadLetterReason.NON_FINITE_NUMBER),
        (raw(smoke(temperature_c=5000)), DeadLetterReason.OUT_OF_RANGE),
        (raw(smoke(battery_pct=-3)), DeadLetterReason.OUT_OF_RANGE),
        (raw(smoke(kind="laser")), DeadLetterReason.UNKNOWN_KIND),
        (raw(smoke(observed_at="2026-11-22T02:00:00")), DeadLetterReason.WRONG_TYPE),
        (raw(smoke(device_id="a/b")), DeadLetterReason.WRONG_TYPE),
    ],
)
def test_bad_input_is_named(payload: bytes, reason: DeadLetterReason) -> None:
    with pytest.raises(ContractViolation) as caught:
        decode_reading(payload)
    assert caught.value.reason is reason
    assert caught.value.message
