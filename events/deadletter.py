"""Dead-letter records: the original bytes of a rejected message, where it came from, and why."""

from __future__ import annotations

import base64
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class DeadLetterReason(StrEnum):
    """Why a message was rejected. Stable codes: counters and dashboards key on them."""

    NOT_UTF8 = "not_utf8"
    INVALID_JSON = "invalid_json"
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


class DeadLetter(BaseModel):
    """One rejected MQTT message. `payload_b64` holds the original bytes, untouched."""

    model_config = ConfigDict(frozen=True)

    kind: str = "dead_letter"
    reason: DeadLetterReason
    message: str
    mqtt_topic: str
    payload_b64: str
    payload_size_bytes: int
    qos: int
    is_retained: bool
    is_dup: bool
    received_at: datetime
    bridge_id: str

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
        return cls(
            reason=reason,
            message=message,
            mqtt_topic=mqtt_topic,
            payload_b64=base64.b64encode(payload).decode("ascii"),
            payload_size_bytes=len(payload),
            qos=qos,
            is_retained=is_retained,
            is_dup=is_dup,
            received_at=received_at,
            bridge_id=bridge_id,
        )

    def original_payload(self) -> bytes:
        return base64.b64decode(self.payload_b64)
