"""Properties of the edge, over generated input (hypothesis): topic parsing, payload
normalisation and the codec. Whatever arrives, the bridge names it (a reading or a dead letter
with a reason) and never raises; what it accepts it passes on unchanged but for received_at."""

from __future__ import annotations

import json
import string
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from events.codec import _repeated_key_exact, decode_reading, encode_model, repeated_key
from events.deadletter import DeadLetterReason
from events.errors import ContractViolation, TopicError
from events.topics import UPLINK_CHANNELS, Channel, MqttTopic, is_downlink
from ingest.config import IngestConfig
from ingest.core import Accepted, InboundMessage, IngestCore, Rejected

# Under CPU contention an example can take long: no deadline, a bounded number of examples.
PROPERTY = settings(deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
NOW = datetime(2026, 11, 22, 2, 1, tzinfo=UTC)
ID_CHARS = string.ascii_letters + string.digits + "_.:-"

ids = st.text(ID_CHARS, min_size=1, max_size=64)
levels = st.text(string.printable + "中文/+#", max_size=20)


@PROPERTY
@given(compound=ids, gateway=ids, device=ids, channel=st.sampled_from(UPLINK_CHANNELS))
def test_every_device_topic_round_trips(
    compound: str, gateway: str, device: str, channel: Channel
) -> None:
    rendered = MqttTopic.device(compound, gateway, device, channel)
    assert MqttTopic.parse(rendered) == MqttTopic(compound, gateway, device, channel)
    assert not is_downlink(rendered)


@PROPERTY
@given(parts=st.lists(levels, min_size=0, max_size=8))
def test_any_topic_parses_to_itself_or_is_a_bad_topic(parts: list[str]) -> None:
    topic = "/".join(["fw", "v1", *parts]) if parts else ""
    assert _topic_reason(topic) in (None, DeadLetterReason.BAD_TOPIC)


def _reason(payload: bytes) -> DeadLetterReason | None:
    """Why the codec rejects this payload; None when it accepts it."""
    try:
        decode_reading(payload)
    except ContractViolation as exc:
        return exc.reason
    return None


def _topic_reason(topic: str) -> DeadLetterReason | None:
    try:
        parsed = MqttTopic.parse(topic)
    except TopicError as exc:
        return exc.reason
    assert parsed.render() == topic
    return None


def _smoke(**values: Any) -> dict[str, Any]:
    return {
        "kind": "smoke",
        "device_id": "sd-1",
        "compound_id": "c1",
        "gateway_id": "gw1",
        "seq": 0,
        "observed_at": (NOW - timedelta(seconds=30)).isoformat(),
        "obscuration_db_per_m": 0.0,
        "temperature_c": 20.0,
        "battery_pct": 50.0,
    } | values


finite = st.floats(allow_nan=False, allow_infinity=False)
smoke_values = st.fixed_dictionaries(
    {
        "seq": st.integers(0, 2**63 - 1),
        "obscuration_db_per_m": st.floats(0.0, 30.0),
        "temperature_c": st.floats(-50.0, 1200.0),
        "battery_pct": st.floats(0.0, 100.0) | st.integers(0, 100),
        "co_ppm": st.none() | st.floats(0.0, 50_000.0),
        "is_tampered": st.booleans(),
        "alarm_state": st.sampled_from(["normal", "pre_alarm", "alarm", "fault"]),
    }
)


@PROPERTY
@given(values=smoke_values, indent=st.none() | st.integers(0, 2))
def test_a_valid_reading_is_accepted_and_passed_on_unchanged_but_for_received_at(
    values: dict[str, Any], indent: int | None
) -> None:
    body = _smoke(**{k: v for k, v in values.items() if v is not None})
    payload = json.dumps(body, indent=indent).encode()
    core = IngestCore(IngestConfig(bridge_id="prop"))
    topic = MqttTopic.device("c1", "gw1", "sd-1", Channel.TELEMETRY)
    outcome = core.process(InboundMessage(topic, payload), NOW)
    assert isinstance(outcome, Accepted)
    sent = json.loads(outcome.record.value)
    assert sent.pop("received_at") == NOW.isoformat()
    assert sent == body
    again = decode_reading(outcome.record.value)
    assert again == outcome.reading.model_copy(update={"received_at": NOW})
    assert decode_reading(encode_model(again)) == again


not_a_number = st.booleans() | st.text(max_size=5) | st.none() | st.lists(st.integers(), max_size=2)


@PROPERTY
@given(
    field=st.sampled_from(["seq", "temperature_c", "battery_pct", "obscuration_db_per_m"]),
    value=not_a_number,
)
def test_a_number_field_takes_json_numbers_only(field: str, value: Any) -> None:
    """Issue 19: `"seq": true` was read as 1; a number must be a JSON number."""
    reason = _reason(json.dumps(_smoke(**{field: value})).encode())
    assert reason in (DeadLetterReason.WRONG_TYPE, DeadLetterReason.MISSING_FIELD)


@PROPERTY
@given(field=st.sampled_from(sorted(_smoke())), value=st.integers(0, 9) | st.text(max_size=3))
def test_a_repeated_key_is_named(field: str, value: Any) -> None:
    body = json.dumps(_smoke()).encode()
    payload = body[:-1] + b", " + json.dumps(field).encode() + b": " + json.dumps(value).encode()
    # The repeated value may break the contract first (a kind or a time that is no such).
    assert _reason(payload + b"}") in (
        DeadLetterReason.DUPLICATE_KEY,
        DeadLetterReason.WRONG_TYPE,
        DeadLetterReason.UNKNOWN_KIND,
        DeadLetterReason.OUT_OF_RANGE,
    )


json_scalars = st.none() | st.booleans() | st.integers() | finite | st.text(max_size=8)
flat_objects = st.lists(st.tuples(st.text(max_size=6), json_scalars), max_size=8)


@PROPERTY
@given(pairs=flat_objects)
def test_the_fast_repeated_key_check_agrees_with_the_exact_parser(
    pairs: list[tuple[str, Any]],
) -> None:
    payload = "{" + ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in pairs) + "}"
    expected = _repeated_key_exact(payload.encode())
    assert repeated_key(payload.encode()) == expected
    names = [k for k, _ in pairs]
    assert (expected is not None) == (len(names) != len(set(names)))


@PROPERTY
@given(payload=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_any_bytes_are_a_reading_or_a_named_reason_never_an_exception(payload: bytes) -> None:
    # A reading (None) or a named reason; an exception of any other kind fails the test.
    assert _reason(payload) is not DeadLetterReason.BRIDGE_ERROR


@PROPERTY
@given(depth=st.integers(1, 20_000), opener=st.sampled_from([b"[", b'{"a":']))
def test_nesting_of_any_depth_is_named(depth: int, opener: bytes) -> None:
    closer = b"]" if opener == b"[" else b"}"
    payload = opener * depth + (b"1" if opener != b"[" else b"") + closer * depth
    reason = _reason(payload)
    assert reason is not None
    # Deeper than pydantic's parser goes (about 200 levels): invalid JSON, never the
    # non_finite_number the fallback parser used to report (nor its RecursionError).
    assert reason is not DeadLetterReason.NON_FINITE_NUMBER
    if depth > 256:
        assert reason is DeadLetterReason.INVALID_JSON


@PROPERTY
@given(topic=levels, payload=st.binary(max_size=200))
def test_the_core_never_raises_whatever_the_topic_and_payload(topic: str, payload: bytes) -> None:
    assume(topic)
    core = IngestCore(IngestConfig(bridge_id="prop"))
    outcome = core.process(InboundMessage(f"fw/v1/{topic}", payload), NOW)
    assert isinstance(outcome, Accepted | Rejected)
    if isinstance(outcome, Rejected):
        assert outcome.dead_letter.reason is not DeadLetterReason.BRIDGE_ERROR
