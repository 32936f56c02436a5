"""Alert records dispatch cannot read, as dead letters v2 (events.deadletter): by their Kafka
position, so the record is found again and a replayed reject deduplicates (its event id is
that position)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError

from events.codec import kafka_headers
from events.deadletter import DeadLetter, DeadLetterReason

PRODUCER = "dispatch"


def rejected_alert(record: Any, exc: ValidationError, now: datetime) -> DeadLetter:
    """`record`: the aiokafka ConsumerRecord; `exc`: why it is not an Alert."""
    first = exc.errors(include_url=False)[0]
    is_json = first["type"] == "json_invalid"
    return DeadLetter.from_kafka(
        reason=DeadLetterReason.INVALID_JSON if is_json else DeadLetterReason.WRONG_TYPE,
        message=f"alert record rejected by dispatch: {first['msg']}",
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        payload=record.value or b"",
        received_at=now,
        producer=PRODUCER,
    )


def dead_letter_headers(letter: DeadLetter) -> list[tuple[str, bytes]]:
    return kafka_headers(
        "dead_letter", f"dl:{letter.source}", letter.producer, DeadLetter.SCHEMA_VERSION
    )
