"""Dead-letter records: the original bytes of a rejected message, where it came from, and why.

Schema version 2 (Kafka header `schema_version`, and `x-schema-version` in
events/schemas/dead_letter.schema.json). Upgrade from 1: a letter now says its `origin`.
An MQTT origin keeps `mqtt_topic`, `qos`, `is_retained`, `is_dup`; a Kafka origin (a record a
worker or dispatch could not use) has `kafka_topic`, `kafka_partition`, `kafka_offset` where
version 1 squeezed `kafka:<topic>/<partition>@<offset>` into `mqtt_topic`. `bridge_id` became
`producer` (a worker or dispatch writes dead letters too). Version-1 records still validate:
they are read as version 2 (see `_upgrade_v1`).
"""

from __future__ import annotations

import base64
import re
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, model_validator


class DeadLetterReason(StrEnum):
    """Why a message was rejected. Stable codes: counters and dashboards key on them."""

    NOT_UTF8 = "not_utf8"
    INVALID_JSON = "invalid_json"
    DUPLICATE_KEY = "duplicate_key"  # one key twice in an object: which value counts is unknowable
    NOT_AN_OBJECT = "not_an_object"
    MISSING_FIELD = "missing_field"
    WRONG_TYPE = "wrong_type"
    NON_FINITE_NUMBER = "non_finite_number"
    OUT_OF_RANGE = "out_of_range"
    UNKNOWN_KIND = "unknown_kind"
    BAD_TOPIC = "bad_topic"
    TOPIC_MISMATCH = "topic_mismatch"
    OVERSIZED = "oversized"
    TIMESTAMP_IN_FUTURE = "timestamp_in_future"
    TIMESTAMP_TOO_OLD = "timestamp_too_old"
    UNKNOWN_DEVICE = "unknown_device"
    BRIDGE_ERROR = "bridge_error"  # the bridge failed on this message: a bug, kept not lost
    WORKER_ERROR = "worker_error"  # a stream worker's detectors failed on it: a bug, kept


class DeadLetterOrigin(StrEnum):
    MQTT = "mqtt"  # a message the bridge read from the MQTT broker
    KAFKA = "kafka"  # a record a consumer (stream worker, dispatch) read from Kafka


# Version 1's squeezed Kafka position: "kafka:<topic>" or "kafka:<topic>/<partition>@<offset>".
_V1_KAFKA_TOPIC = re.compile(r"^kafka:(?P<topic>[^/@]+)(?:/(?P<partition>\d+)@(?P<offset>\d+))?$")


class DeadLetter(BaseModel):
    """One rejected message. `payload_b64` holds the original bytes, untouched (cut at the
    limit only for an oversized one: `payload_size_bytes` keeps the original size)."""

    model_config = ConfigDict(frozen=True, json_schema_extra={"x-schema-version": "2"})

    SCHEMA_VERSION: ClassVar[str] = "2"

    kind: str = "dead_letter"
    reason: DeadLetterReason
    message: str
    origin: DeadLetterOrigin
    producer: str
    received_at: datetime
    payload_b64: str
    payload_size_bytes: int
    # origin mqtt
    mqtt_topic: str | None = None
    qos: int | None = None
    is_retained: bool | None = None
    is_dup: bool | None = None
    # origin kafka (partition and offset unknown only in upgraded version-1 letters)
    kafka_topic: str | None = None
    kafka_partition: int | None = None
    kafka_offset: int | None = None

    @classmethod
    def from_mqtt(
        cls,
        *,
        reason: DeadLetterReason,
        message: str,
        topic: str,
        payload: bytes,
        qos: int,
        is_retained: bool,
        is_dup: bool,
        received_at: datetime,
        producer: str,
        original_size_bytes: int | None = None,
    ) -> DeadLetter:
        """A message from the MQTT broker; `original_size_bytes` when `payload` was cut."""
        return cls(
            reason=reason,
            message=message,
            origin=DeadLetterOrigin.MQTT,
            producer=producer,
            received_at=received_at,
            payload_b64=_b64(payload),
            payload_size_bytes=len(payload) if original_size_bytes is None else original_size_bytes,
            mqtt_topic=topic,
            qos=qos,
            is_retained=is_retained,
            is_dup=is_dup,
        )

    @classmethod
    def from_kafka(
        cls,
        *,
        reason: DeadLetterReason,
        message: str,
        topic: str,
        partition: int,
        offset: int,
        payload: bytes,
        received_at: datetime,
        producer: str,
    ) -> DeadLetter:
        """A Kafka record a consumer could not use, by its position."""
        return cls(
            reason=reason,
            message=message,
            origin=DeadLetterOrigin.KAFKA,
            producer=producer,
            received_at=received_at,
            payload_b64=_b64(payload),
            payload_size_bytes=len(payload),
            kafka_topic=topic,
            kafka_partition=partition,
            kafka_offset=offset,
        )

    @classmethod
    def of(
        cls,
        *,
        reason: DeadLetterReason,
        message: str,
        mqtt_topic: str,
        payload: bytes,
        qos: int,
        is_retained: bool,
        is_dup: bool,
        received_at: datetime,
        bridge_id: str,
    ) -> DeadLetter:
        """Version 1's builder, kept until its last caller (alerts/service/runner.py) moves
        to `from_kafka`; a `kafka:<topic>` in `mqtt_topic` becomes a Kafka origin."""
        fields = {
            "reason": reason,
            "message": message,
            "mqtt_topic": mqtt_topic,
            "payload_b64": _b64(payload),
            "payload_size_bytes": len(payload),
            "qos": qos,
            "is_retained": is_retained,
            "is_dup": is_dup,
            "received_at": received_at,
            "bridge_id": bridge_id,
        }
        return cls.model_validate(fields)

    @model_validator(mode="before")
    @classmethod
    def _upgrade_v1(cls, data: Any) -> Any:
        """A version-1 letter (no `origin`) read as version 2."""
        if not isinstance(data, dict) or "origin" in data:
            return data
        upgraded = dict(data)
        if "bridge_id" in upgraded:
            upgraded.setdefault("producer", upgraded.pop("bridge_id"))
        squeezed = _V1_KAFKA_TOPIC.match(str(upgraded.get("mqtt_topic", "")))
        if squeezed is None:
            upgraded["origin"] = DeadLetterOrigin.MQTT
            return upgraded
        for key in ("mqtt_topic", "qos", "is_retained", "is_dup"):
            upgraded.pop(key, None)
        upgraded["origin"] = DeadLetterOrigin.KAFKA
        upgraded["kafka_topic"] = squeezed["topic"]
        if squeezed["partition"] is not None:
            upgraded["kafka_partition"] = int(squeezed["partition"])
            upgraded["kafka_offset"] = int(squeezed["offset"])
        return upgraded

    @model_validator(mode="after")
    def _has_its_origin(self) -> DeadLetter:
        if self.origin is DeadLetterOrigin.MQTT and self.mqtt_topic is None:
            raise ValueError("an MQTT dead letter needs mqtt_topic")
        if self.origin is DeadLetterOrigin.KAFKA and self.kafka_topic is None:
            raise ValueError("a Kafka dead letter needs kafka_topic")
        return self

    @property
    def source(self) -> str:
        """Where the message was, in one string: the MQTT topic, or `kafka:<topic>/<p>@<o>`."""
        if self.origin is DeadLetterOrigin.MQTT:
            return str(self.mqtt_topic)
        return f"kafka:{self.kafka_topic}/{self.kafka_partition}@{self.kafka_offset}"

    def original_payload(self) -> bytes:
        return base64.b64decode(self.payload_b64)


def _b64(payload: bytes) -> str:
    return base64.b64encode(payload).decode("ascii")
