"""Dead letters, schema version 2: an MQTT origin keeps the MQTT facts, a Kafka origin its
real position; version-1 records (Kafka positions squeezed into mqtt_topic) still read."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from events.codec import encode_model
from events.deadletter import DeadLetter, DeadLetterOrigin, DeadLetterReason
from events.schema_export import generate

AT = datetime(2027, 1, 15, 8, 0, tzinfo=UTC)
V1_FIELDS = {
    "kind": "dead_letter",
    "reason": "invalid_json",
    "message": "invalid JSON: EOF",
    "payload_b64": "e25vdA==",
    "payload_size_bytes": 5,
    "qos": 1,
    "is_retained": False,
    "is_dup": False,
    "received_at": AT.isoformat(),
}


def test_an_mqtt_letter_keeps_the_mqtt_facts_and_the_cut_size() -> None:
    letter = DeadLetter.from_mqtt(
        reason=DeadLetterReason.OVERSIZED,
        message="too big",
        topic="fw/v1/c1/gw1/sd1/telemetry",
        payload=b"x" * 10,
        qos=1,
        is_retained=False,
        is_dup=True,
        received_at=AT,
        producer="ingest-1",
        original_size_bytes=70_000,
    )
    assert letter.origin is DeadLetterOrigin.MQTT
    assert (letter.qos, letter.is_dup, letter.payload_size_bytes) == (1, True, 70_000)
    assert letter.kafka_topic is None
    assert letter.source == "fw/v1/c1/gw1/sd1/telemetry"


def test_a_kafka_letter_has_its_position_in_fields_of_its_own() -> None:
    letter = DeadLetter.from_kafka(
        reason=DeadLetterReason.WORKER_ERROR,
        message="a detector bug",
        topic="fw.readings.v1",
        partition=3,
        offset=42,
        payload=b"{}",
        received_at=AT,
        producer="firewatch-streams",
    )
    wire = json.loads(encode_model(letter))
    assert wire["origin"] == "kafka"
    assert (wire["kafka_topic"], wire["kafka_partition"], wire["kafka_offset"]) == (
        "fw.readings.v1",
        3,
        42,
    )
    assert "mqtt_topic" not in wire  # no MQTT facts invented for a Kafka record
    assert "qos" not in wire
    assert DeadLetter.model_validate(wire) == letter
    assert letter.source == "kafka:fw.readings.v1/3@42"


def test_a_version_1_mqtt_letter_reads_as_version_2() -> None:
    v1 = {**V1_FIELDS, "mqtt_topic": "fw/v1/c1/gw1/sd1/telemetry", "bridge_id": "ingest-1"}
    letter = DeadLetter.model_validate(v1)
    assert (letter.origin, letter.producer) == (DeadLetterOrigin.MQTT, "ingest-1")
    assert letter.original_payload() == b"{not"


@pytest.mark.parametrize(
    ("squeezed", "position"),
    [
        ("kafka:fw.readings.v1/3@2", ("fw.readings.v1", 3, 2)),
        ("kafka:fw.alerts.v1", ("fw.alerts.v1", None, None)),  # dispatch's v1 letters
    ],
)
def test_a_version_1_kafka_position_moves_into_the_kafka_fields(
    squeezed: str, position: tuple[str, int | None, int | None]
) -> None:
    letter = DeadLetter.model_validate({**V1_FIELDS, "mqtt_topic": squeezed, "bridge_id": "w"})
    assert letter.origin is DeadLetterOrigin.KAFKA
    assert (letter.kafka_topic, letter.kafka_partition, letter.kafka_offset) == position
    assert (letter.mqtt_topic, letter.qos) == (None, None)


def test_the_version_1_builder_still_used_by_dispatch_makes_version_2_letters() -> None:
    letter = DeadLetter.of(
        reason=DeadLetterReason.WRONG_TYPE,
        message="alert record rejected by dispatch",
        mqtt_topic="kafka:fw.alerts.v1",
        payload=b"{}",
        qos=0,
        is_retained=False,
        is_dup=False,
        received_at=AT,
        bridge_id="dispatch",
    )
    assert (letter.origin, letter.kafka_topic, letter.producer) == (
        "kafka",
        "fw.alerts.v1",
        "dispatch",
    )


def test_a_letter_without_the_facts_of_its_origin_is_refused() -> None:
    with pytest.raises(ValidationError, match="needs kafka_topic"):
        DeadLetter.model_validate({**V1_FIELDS, "origin": "kafka", "producer": "w"})
    with pytest.raises(ValidationError, match="needs mqtt_topic"):
        DeadLetter.model_validate({**V1_FIELDS, "origin": "mqtt", "producer": "w"})


def test_the_published_schema_says_version_2() -> None:
    assert generate()["dead_letter"]["x-schema-version"] == DeadLetter.SCHEMA_VERSION == "2"
