"""The pure core: validation, reasons, routing and the received_at stamp, with a fake clock."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from events.codec import decode_reading, header_value
from events.deadletter import DeadLetter, DeadLetterReason
from events.topics import Topics
from ingest.bridge import _only
from ingest.config import IngestConfig
from ingest.core import Accepted, InboundMessage, IngestCore, Rejected
from tests.ingest.corpus import BAD, GOOD, MAX_PAYLOAD_BYTES, REGISTRY, TOPIC
from tests.ingest.support import OBSERVED_AT, smoke, telemetry_topic

NOW = OBSERVED_AT + timedelta(minutes=1)


def _core(registry: frozenset[str] | None = REGISTRY) -> IngestCore:
    config = IngestConfig(
        bridge_id="b-test",
        max_payload_bytes=MAX_PAYLOAD_BYTES,
        max_future_skew_s=300,
        max_age_s=7 * 86400,
    )
    return IngestCore(config, registry)


@pytest.mark.parametrize(("name", "topic", "payload", "reason"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_dead_lettered_with_its_reason_and_bytes(
    name: str, topic: str, payload: bytes, reason: DeadLetterReason
) -> None:
    outcome = _core().process(InboundMessage(topic, payload), NOW)
    assert isinstance(outcome, Rejected), name
    assert outcome.dead_letter.reason is reason, outcome.dead_letter.message
    assert outcome.dead_letter.message
    assert outcome.record.topic == Topics.DEAD_LETTER
    assert outcome.record.key == topic.encode()
    letter = DeadLetter.model_validate_json(outcome.record.value)
    assert letter.payload_size_bytes == len(payload)
    if reason is DeadLetterReason.OVERSIZED:  # kept up to the limit, so it stays writable
        assert letter.original_payload() == payload[:MAX_PAYLOAD_BYTES]
    else:
        assert letter.original_payload() == payload
    assert (letter.origin, letter.mqtt_topic, letter.producer) == ("mqtt", topic, "b-test")
    assert header_value(outcome.record.headers, "schema_version") == DeadLetter.SCHEMA_VERSION


@pytest.mark.parametrize(
    "payload",
    [
        b"[" * 1000 + b"]" * 1000,
        b"[" * 50_000,
        b'{"a":' * 2000 + b"1" + b"}" * 2000,
        b'{"kind": "smoke", "x": ' + b"[" * 3000 + b"]" * 3000 + b"}",
    ],
    ids=["array 1,000", "unclosed 50,000", "object 2,000", "inside a reading"],
)
def test_deep_nesting_is_invalid_json_without_a_traceback(
    payload: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 19: 1,000+ levels became bridge_error with two tracebacks per message."""
    core = IngestCore(IngestConfig(bridge_id="b-test"))
    outcome = core.process(InboundMessage(TOPIC, payload), NOW)
    assert isinstance(outcome, Rejected)
    assert outcome.dead_letter.reason is DeadLetterReason.INVALID_JSON
    assert "nested" in outcome.dead_letter.message or "recursion" in outcome.dead_letter.message
    assert not caplog.records


def test_readings_go_to_readings_and_alarms_to_priority_keyed_by_device() -> None:
    core = _core()
    outcomes = [core.process(InboundMessage(t, p), NOW) for t, p in GOOD]
    assert all(isinstance(o, Accepted) for o in outcomes)
    assert [(o.record.topic, o.record.key) for o in outcomes] == [
        (Topics.READINGS, b"sd-0001"),
        (Topics.PRIORITY, b"sd-0002"),
    ]
    assert header_value(outcomes[1].record.headers, "event_id") == "sd-0002:7"
    assert header_value(outcomes[1].record.headers, "producer") == "b-test"


def test_the_bridge_stamps_received_at_and_keeps_the_reading() -> None:
    body = smoke("sd-0001", 3)
    outcome = _core().process(
        InboundMessage(telemetry_topic("sd-0001"), json.dumps(body).encode()), NOW
    )
    assert isinstance(outcome, Accepted)
    sent = json.loads(outcome.record.value)
    assert sent["received_at"] == NOW.isoformat()
    assert {k: sent[k] for k in body} == body


def test_a_device_supplied_received_at_is_replaced_by_the_bridge_clock() -> None:
    body = smoke("sd-0001", 3, received_at=(NOW - timedelta(days=1)).isoformat())
    outcome = _core().process(
        InboundMessage(telemetry_topic("sd-0001"), json.dumps(body).encode()), NOW
    )
    assert isinstance(outcome, Accepted)
    assert json.loads(outcome.record.value)["received_at"].startswith(NOW.isoformat()[:19])


def test_a_device_supplied_null_received_at_is_stamped_once() -> None:
    """`"received_at": null` validates as None: stamped by splicing, the record would carry
    the key twice and every consumer would reject it (codec: duplicate_key)."""
    body = smoke("sd-0001", 3, received_at=None)
    outcome = _core().process(
        InboundMessage(telemetry_topic("sd-0001"), json.dumps(body).encode()), NOW
    )
    assert isinstance(outcome, Accepted)
    assert outcome.record.value.count(b'"received_at"') == 1
    assert decode_reading(outcome.record.value).received_at == NOW


def test_without_a_registry_every_device_is_accepted() -> None:
    payload = json.dumps(smoke("sd-9999", 1)).encode()
    outcome = _core(registry=None).process(InboundMessage(telemetry_topic("sd-9999"), payload), NOW)
    assert isinstance(outcome, Accepted)


def test_a_retained_old_gateway_status_is_not_too_old_and_not_sequence_checked() -> None:
    body = {
        "kind": "gateway_status",
        "device_id": "gw1",
        "compound_id": "c1",
        "gateway_id": "gw1",
        "seq": 0,
        "observed_at": (NOW - timedelta(days=60)).isoformat(),
        "state": "offline",
        "is_last_will": True,
    }
    msg = InboundMessage("fw/v1/c1/gw1/status", json.dumps(body).encode(), is_retained=True)
    outcome = _core().process(msg, NOW)
    assert isinstance(outcome, Accepted)
    assert not outcome.is_sequence_checked
    fresh = _core().process(
        InboundMessage(telemetry_topic("sd-0001"), json.dumps(smoke("sd-0001", 1)).encode()), NOW
    )
    assert isinstance(fresh, Accepted)
    assert fresh.is_sequence_checked


def test_a_redelivered_reject_has_the_same_event_id() -> None:
    core = _core()
    msg = InboundMessage(telemetry_topic("sd-0001"), b"not json")
    first, second = core.process(msg, NOW), core.process(msg, NOW + timedelta(seconds=5))
    assert isinstance(first, Rejected)
    assert isinstance(second, Rejected)
    assert header_value(first.record.headers, "event_id") == header_value(
        second.record.headers, "event_id"
    )


def test_per_compound_filters_narrow_both_lanes() -> None:
    assert _only(["fw/v1/+/+/+/alarm", "$share/g/fw/v1/+/+/status"], ("c1", "c2")) == [
        "fw/v1/c1/+/+/alarm",
        "$share/g/fw/v1/c1/+/status",
        "fw/v1/c2/+/+/alarm",
        "$share/g/fw/v1/c2/+/status",
    ]
    assert _only(["fw/v1/+/+/+/alarm"], ()) == ["fw/v1/+/+/+/alarm"]
    assert _only(["fw/v1/#", "$share/g/fw/v1/#"], ("c1",)) == ["fw/v1/c1/#", "$share/g/fw/v1/c1/#"]
