"""Bytes from Kafka to models, defensively: the bridge validated, but a bad record must become
a dead letter with a reason, never a crashed worker."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pydantic import TypeAdapter, ValidationError
from pydantic_core import from_json, to_json

from events.codec import decode_reading
from events.deadletter import DeadLetter, DeadLetterReason
from events.errors import ContractViolation
from events.readings import Reading
from events.sequence import SequenceAnomaly
from streams.detectors.model import Signal

_READING = TypeAdapter[Reading](Reading)
# The adapter's own validator: `TypeAdapter.validate_json` re-checks its keyword options on
# every call (about 0.4 us of the worker's ~3 us decode). Lax, as before: the bridge was strict.
_VALIDATE_JSON = _READING.validator.validate_json


def read(payload: bytes) -> Reading:
    """Fast path: pydantic-core's JSON validator; the classifying decoder only on failure."""
    try:
        reading: Reading = _VALIDATE_JSON(payload)  # typed Any
        return reading
    except ValidationError:
        return decode_reading(payload)  # raises ContractViolation with a reason


def read_anomaly(payload: bytes) -> SequenceAnomaly:
    return SequenceAnomaly.model_validate_json(payload)


def read_signal(payload: bytes) -> Signal:
    """An internal record, written by write_signal: bad bytes here mean a bug or a stranger
    writing to the topic, named as the bridge would name them."""
    try:
        # pydantic-core's parser: ~3x json.loads; bad JSON or UTF-8 is a ValueError as there.
        data = from_json(payload)
    except ValueError as err:
        raise ContractViolation(DeadLetterReason.INVALID_JSON, str(err)) from err
    if not isinstance(data, dict):
        raise ContractViolation(DeadLetterReason.NOT_AN_OBJECT, type(data).__name__)
    try:
        return Signal.from_dict(data)
    except (KeyError, TypeError, ValueError) as err:
        raise ContractViolation(DeadLetterReason.MISSING_FIELD, repr(err)) from err


def write_signal(signal: Signal) -> bytes:
    """Compact JSON, as json.dumps(separators=(",", ":")) wrote it (the fields are ASCII
    identifiers, numbers and booleans), at a quarter of its cost: one per signal."""
    return to_json(signal.to_dict())


def signal_records(signals: Iterable[Signal]) -> list[tuple[str, bytes]]:
    """The signals topic's (key, value) records: keyed by compound, so a compound's signals
    stay in order on one partition, where its compound state lives."""
    return [(s.place.compound_id, write_signal(s)) for s in signals]


def dead_letter(
    err: Exception,
    *,
    topic: str,
    partition: int,
    offset: int,
    payload: bytes,
    producer: str,
    now: datetime,
    reason: DeadLetterReason | None = None,
) -> DeadLetter:
    """A record the worker could not use, by its Kafka position. `reason` overrides the
    error's own (a ContractViolation's, else wrong_type)."""
    if reason is None and isinstance(err, ContractViolation):
        reason = err.reason
    return DeadLetter.from_kafka(
        reason=reason or DeadLetterReason.WRONG_TYPE,
        message=str(err)[:500],
        topic=topic,
        partition=partition,
        offset=offset,
        payload=payload,
        received_at=now,
        producer=producer,
    )
