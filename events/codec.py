"""Bytes <-> models, and the error classification that names why a payload was rejected.

Parsing happens once, at the edge (the ingest bridge). The fast path is pydantic-core's JSON
validator; the reasons are worked out only when it fails.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from events.deadletter import DeadLetterReason
from events.errors import ContractViolation
from events.readings import Reading

SCHEMA_VERSION = "1"

_READING = TypeAdapter[Reading](Reading)
# The adapter's own validate_json re-checks its keyword options on every call: a tenth of the
# cost of a reading in the sink and the bridge. Its validator takes the bytes directly.
_VALIDATE_READING_JSON = _READING.validator.validate_json

# pydantic error types -> our reason codes. Order matters: the first error decides.
_REASON_BY_ERROR_TYPE: dict[str, DeadLetterReason] = {
    "missing": DeadLetterReason.MISSING_FIELD,
    "union_tag_not_found": DeadLetterReason.MISSING_FIELD,
    "union_tag_invalid": DeadLetterReason.UNKNOWN_KIND,
    "finite_number": DeadLetterReason.NON_FINITE_NUMBER,
    "greater_than": DeadLetterReason.OUT_OF_RANGE,
    "greater_than_equal": DeadLetterReason.OUT_OF_RANGE,
    "less_than": DeadLetterReason.OUT_OF_RANGE,
    "less_than_equal": DeadLetterReason.OUT_OF_RANGE,
    "model_attributes_type": DeadLetterReason.NOT_AN_OBJECT,
    "model_type": DeadLetterReason.NOT_AN_OBJECT,
    "dict_type": DeadLetterReason.NOT_AN_OBJECT,
}


def event_id(device_id: str, seq: int) -> str:
    """The id every consumer deduplicates by: a device never reuses a seq."""
    return f"{device_id}:{seq}"


def decode_reading(payload: bytes) -> Reading:
    """Validate one device payload; raise ContractViolation with a reason code on any fault.

    Strict JSON types: a number must be a JSON number and a flag a JSON boolean. Lax
    validation read `"seq": true` as seq 1 and `"battery_pct": "90"` as 90.0 (issue 19): a
    device that sends those is broken, and its readings are not measurements to pass on."""
    try:
        reading: Reading = _VALIDATE_READING_JSON(payload, strict=True)  # typed Any
    except ValidationError as exc:
        raise _classify(payload, exc) from None
    if _keys_are_counted_distinct(payload, reading.model_fields_set):
        return reading
    repeated = repeated_key(payload)
    if repeated is not None:
        # JSON parsers keep the last of two equal keys (RFC 8259 §4: "names SHOULD be
        # unique"), so a reading with two device_ids or two temperatures would pass on one
        # of them silently. Which one the device meant is unknowable: reject it.
        raise ContractViolation(
            DeadLetterReason.DUPLICATE_KEY, f"key {repeated!r} appears more than once"
        )
    return reading


def _keys_are_counted_distinct(payload: bytes, fields_set: set[str]) -> bool:
    """True when counting proves that no key of this validated payload repeats (about 0.5 us,
    a tenth of `repeated_key`); False proves nothing: `repeated_key` decides.

    Without whitespace, every key is written `"name":`, and `":` appears nowhere else but
    escaped inside a string (a string's unescaped `"` ends it; a value is never followed by
    `:`), so count(`":`) >= the keys, at every depth. Each model field set came from its own
    top-level key. count == len(fields_set) leaves no room for a second copy of any key (nor
    for an ignored or nested one)."""
    return len(payload.split(maxsplit=1)) == 1 and payload.count(b'":') == len(fields_set)


# A key of a flat JSON object without escapes: `"name"` followed by a colon. Only used on
# payloads with one `{` and no backslash, where no string value can hold a quote.
_FLAT_KEY = re.compile(rb'"([^"\\]*)"\s*:')


def repeated_key(payload: bytes) -> str | None:
    """The first key that appears twice in one object of this valid JSON payload, or None.
    Readings are flat objects: a regex over the keys (about 2.5 us) serves them; anything
    nested or escaped goes through the exact parser (about 6.5 us)."""
    if b"\\" not in payload and payload.count(b"{") == 1:
        keys = _FLAT_KEY.findall(payload)
        if len(keys) == len(set(keys)):
            return None
        seen: set[bytes] = set()
        for key in keys:
            if key in seen:
                return str(key.decode("utf-8", errors="replace"))
            seen.add(key)
    return _repeated_key_exact(payload)


def _repeated_key_exact(payload: bytes) -> str | None:
    found: list[str] = []

    def check(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        names = [name for name, _ in pairs]
        if len(names) != len(set(names)) and not found:
            found.append(next(n for i, n in enumerate(names) if n in names[:i]))
        return dict(pairs)

    try:
        json.loads(payload, object_pairs_hook=check)
    except (ValueError, RecursionError):
        return None  # validated already: pydantic's parser read it, so this cannot happen
    return found[0] if found else None


def _classify(payload: bytes, exc: ValidationError) -> ContractViolation:
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as err:
        return ContractViolation(
            DeadLetterReason.NOT_UTF8, f"payload is not UTF-8 (byte {err.start}: {err.reason})"
        )
    errors = exc.errors(include_url=False)
    first = errors[0]
    if first["type"] == "json_invalid":
        return _classify_json(text, str(first.get("ctx", {}).get("error", first["msg"])))
    reason = _REASON_BY_ERROR_TYPE.get(first["type"], DeadLetterReason.WRONG_TYPE)
    if first["type"] == "union_tag_not_found":
        return ContractViolation(reason, "field 'kind' is missing")
    parts = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors[:5]]
    more = f" (+{len(errors) - 5} more)" if len(errors) > 5 else ""
    field, value = _out_of_range(first) if reason is DeadLetterReason.OUT_OF_RANGE else (None, None)
    return ContractViolation(reason, "; ".join(parts) + more, field=field, value=value)


def _out_of_range(error: Any) -> tuple[str | None, float | None]:
    """The field and number of a range error: a failed sensor is named by what it read."""
    loc = [str(p) for p in error["loc"]]
    value = error.get("input")
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    # The union's tag comes first in loc ("smoke", "temperature_c"): the field is the last part.
    return (loc[-1] if loc else None), (float(value) if is_number else None)


def _classify_json(text: str, detail: str) -> ContractViolation:
    invalid = ContractViolation(DeadLetterReason.INVALID_JSON, f"invalid JSON: {detail}")
    if "recursion limit" in detail:
        # pydantic's parser stops at about 200 levels; Python's would go on (and at 1,000
        # raise RecursionError, a traceback per message in the bridge's log: issue 19).
        return invalid
    # Python's json accepts NaN/Infinity: if it parses, the JSON was valid except for them.
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return invalid
    return ContractViolation(
        DeadLetterReason.NON_FINITE_NUMBER, "NaN or Infinity is not a measurement"
    )


def encode_model(model: BaseModel) -> bytes:
    """Compact JSON, no None fields: what goes on Kafka and MQTT."""
    return model.model_dump_json(exclude_none=True).encode("utf-8")


def kafka_headers(
    schema: str, event: str, producer: str, version: str = SCHEMA_VERSION
) -> list[tuple[str, bytes]]:
    """Headers on every Kafka record (ARCHITECTURE.md, contracts). Never a Python import path.
    `version`: the schema's own version where it moved on (alerts and incidents are at 2,
    events.alerts; DeadLetter.SCHEMA_VERSION)."""
    return [
        ("schema", schema.encode()),
        ("schema_version", version.encode()),
        ("event_id", event.encode()),
        ("producer", producer.encode()),
    ]


def header_value(headers: Any, name: str) -> str | None:
    """Read one header from aiokafka's sequence of (key, bytes) pairs."""
    for key, value in headers or ():
        if key == name:
            return bytes(value).decode() if value is not None else None
    return None
