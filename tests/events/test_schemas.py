from __future__ import annotations

from events import schema_export


def test_committed_json_schemas_are_current() -> None:
    assert schema_export.stale() == [], "run `firewatch schemas --write` and commit the result"


def test_reading_schema_is_a_discriminated_union() -> None:
    schema = schema_export.generate()["reading"]
    assert schema["discriminator"]["propertyName"] == "kind"
    assert set(schema["discriminator"]["mapping"]) == {
        "smoke",
        "charging_port",
        "door",
        "gateway_status",
        "heartbeat",
        "device_alarm",
    }
