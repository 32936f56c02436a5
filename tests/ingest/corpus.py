"""Bad input, each with the dead-letter reason it must get. Used by unit and integration tests."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from events.deadletter import DeadLetterReason
from tests.ingest.support import OBSERVED_AT, alarm, smoke, telemetry_topic

REGISTRY = frozenset({"sd-0001", "sd-0002", "gw1"})
MAX_PAYLOAD_BYTES = 1024
TOPIC = telemetry_topic("sd-0001")


def _j(body: Any) -> bytes:
    return json.dumps(body).encode()


def _raw_smoke(**over: Any) -> dict[str, Any]:
    body = smoke("sd-0001", 1)
    body.update(over)
    return body


def _without(field: str) -> dict[str, Any]:
    body = smoke("sd-0001", 1)
    del body[field]
    return body


BAD: list[tuple[str, str, bytes, DeadLetterReason]] = [
    ("invalid json", TOPIC, b'{"kind": "smoke", ', DeadLetterReason.INVALID_JSON),
    ("not utf-8", TOPIC, b'{"kind": "smoke\xff\xfe"}', DeadLetterReason.NOT_UTF8),
    ("json array", TOPIC, b"[1, 2, 3]", DeadLetterReason.NOT_AN_OBJECT),
    ("wrong type", TOPIC, _j(_raw_smoke(temperature_c="hot")), DeadLetterReason.WRONG_TYPE),
    ("missing field", TOPIC, _j(_without("battery_pct")), DeadLetterReason.MISSING_FIELD),
    ("missing kind", TOPIC, _j(_without("kind")), DeadLetterReason.MISSING_FIELD),
    ("nan", TOPIC, _j(_raw_smoke(temperature_c=float("nan"))), DeadLetterReason.NON_FINITE_NUMBER),
    (
        "infinity",
        TOPIC,
        _j(_raw_smoke(obscuration_db_per_m=float("inf"))),
        DeadLetterReason.NON_FINITE_NUMBER,
    ),
    ("impossible", TOPIC, _j(_raw_smoke(battery_pct=180)), DeadLetterReason.OUT_OF_RANGE),
    ("unknown kind", TOPIC, _j(_raw_smoke(kind="toaster")), DeadLetterReason.UNKNOWN_KIND),
    (
        "other compound",
        TOPIC,
        _j(_raw_smoke(compound_id="c2")),
        DeadLetterReason.TOPIC_MISMATCH,
    ),
    ("other gateway", TOPIC, _j(_raw_smoke(gateway_id="gw9")), DeadLetterReason.TOPIC_MISMATCH),
    ("other device", TOPIC, _j(_raw_smoke(device_id="sd-0002")), DeadLetterReason.TOPIC_MISMATCH),
    (
        "telemetry on alarm channel",
        "fw/v1/c1/gw1/sd-0001/alarm",
        _j(_raw_smoke()),
        DeadLetterReason.TOPIC_MISMATCH,
    ),
    (
        "oversized",
        TOPIC,
        _j(_raw_smoke(padding="x" * MAX_PAYLOAD_BYTES)),
        DeadLetterReason.OVERSIZED,
    ),
    (
        "far future",
        TOPIC,
        _j(_raw_smoke(observed_at=(OBSERVED_AT + timedelta(hours=2)).isoformat())),
        DeadLetterReason.TIMESTAMP_IN_FUTURE,
    ),
    (
        "far past",
        TOPIC,
        _j(_raw_smoke(observed_at=(OBSERVED_AT - timedelta(days=30)).isoformat())),
        DeadLetterReason.TIMESTAMP_TOO_OLD,
    ),
    (
        "unknown device",
        telemetry_topic("sd-9999"),
        _j(smoke("sd-9999", 1)),
        DeadLetterReason.UNKNOWN_DEVICE,
    ),
    ("bad topic", "fw/v1/c1/gw1/sd-0001/toast", _j(_raw_smoke()), DeadLetterReason.BAD_TOPIC),
    (
        "extra level",
        "fw/v1/c1/gw1/sd-0001/telemetry/x",
        _j(_raw_smoke()),
        DeadLetterReason.BAD_TOPIC,
    ),
    # Issue 19's corners: each its own reason, one log line at most, never a traceback.
    # (Deeper nesting, beyond this corpus's payload limit: tests/ingest/test_core.py.)
    ("nested 500 levels", TOPIC, b"[" * 500 + b"]" * 500, DeadLetterReason.INVALID_JSON),
    ("seq true", TOPIC, _j(_raw_smoke(seq=True)), DeadLetterReason.WRONG_TYPE),
    ("number as text", TOPIC, _j(_raw_smoke(battery_pct="90")), DeadLetterReason.WRONG_TYPE),
    ("seq as float", TOPIC, _j(_raw_smoke(seq=1.0)), DeadLetterReason.WRONG_TYPE),
    (
        "duplicate key",
        TOPIC,
        _j(_raw_smoke())[:-1] + b', "temperature_c": 99.0}',
        DeadLetterReason.DUPLICATE_KEY,
    ),
    (
        "duplicate device id",
        TOPIC,
        b'{"device_id": "sd-0002", ' + _j(_raw_smoke())[1:],
        DeadLetterReason.DUPLICATE_KEY,
    ),
]

GOOD: list[tuple[str, bytes]] = [
    (TOPIC, _j(smoke("sd-0001", 1))),
    ("fw/v1/c1/gw1/sd-0002/alarm", _j(alarm("sd-0002", 7))),
]
