"""The stage lanes: decode, detect, publish, dedupe, dead-letter (the reset agents go through
Faust's test_context() in test_incident_resets)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any
from unittest.mock import AsyncMock, patch

import pytest

from events.alerts import Alert, AlertKind, AlertStatus
from events.codec import encode_model
from events.connections import KafkaConnection
from events.deadletter import DeadLetter
from events.topics import Topics
from runtime.clock import ManualClock
from streams.app import Worker, build_app
from streams.codec import write_signal
from streams.config import StreamsConfig
from streams.detectors.engine import DeviceEngine
from streams.detectors.state import DeviceState
from tests.streams.fixtures import T0, one_by_one, recording, records, smoke

CLOCK = ManualClock.at_epoch_s(T0)


@pytest.fixture(scope="module")
def worker() -> Iterator[Worker]:
    """The app with its changelog writes recorded instead of produced (no broker here)."""
    built = build_app(StreamsConfig(app_id="fw-test-agents"), KafkaConnection(), clock=CLOCK)
    stores = [
        built.readings.store,
        built.priority.store,
        built.sequence.store,
        built.compound.store,
    ]
    with ExitStack() as stack:
        for store in stores:
            stack.enter_context(patch.object(store, "drain", AsyncMock(return_value=None)))
        stack.enter_context(patch.object(built.sender, "send_batches", one_by_one(built)))
        yield built


def _sent(send: AsyncMock, topic: str) -> list[bytes]:
    return [c.args[2] for c in send.call_args_list if c.args[0] == topic]


def _alerts(send: AsyncMock) -> list[Alert]:
    return [Alert.model_validate_json(v) for v in _sent(send, Topics.ALERTS)]


def _signalling_mock() -> tuple[AsyncMock, dict[str, asyncio.Event]]:
    """A recording sender that sets a per-topic event on every send: tests wait on it."""
    sent: dict[str, asyncio.Event] = {}

    def _record(topic: str, *_: Any, **__: Any) -> asyncio.Future[None]:
        sent.setdefault(topic, asyncio.Event()).set()
        delivered: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        delivered.set_result(None)
        return delivered  # what the producer returns: the future of the broker's ack

    for topic in (Topics.ALERTS, Topics.DEAD_LETTER):
        sent[topic] = asyncio.Event()
    return AsyncMock(side_effect=_record), sent


async def _wait(event: asyncio.Event) -> None:
    async with asyncio.timeout(10):
        await event.wait()
    event.clear()


async def test_readings_lane_raises_one_condition_and_drops_replays(worker: Worker) -> None:
    send, _ = _signalling_mock()
    hot = encode_model(smoke("a1", 7, 0.0, temp_c=80.0))
    bad = b'{"kind": "smoke"}'
    with recording(worker, send):
        # One fetched batch: the reading, its replay, and bad input, in offset order.
        await worker.lanes["readings"](records(Topics.READINGS, [hot, hot, bad], partition=3))
    fires = [a for a in _alerts(send) if a.kind is AlertKind.FIRE]
    assert len(fires) == 1
    assert fires[0].status is AlertStatus.RAISED
    assert fires[0].evidence[0].event_id == "a1:7"
    assert worker.readings.duplicates == 1
    assert len(_sent(send, "fw.streams.signals.v1")) == 1  # fire level to the compound stage
    assert worker.readings.store.get("a1") is not None  # mirrored to the table at once
    (letter,) = [DeadLetter.model_validate_json(v) for v in _sent(send, Topics.DEAD_LETTER)]
    # Where the bad record was, as a Kafka position (schema 2: no longer in mqtt_topic).
    assert (letter.origin, letter.mqtt_topic) == ("kafka", None)
    assert (letter.kafka_topic, letter.kafka_partition, letter.kafka_offset) == (
        Topics.READINGS,
        3,
        2,
    )
    assert letter.producer == "fw-test-agents"


async def test_a_detector_failure_dead_letters_that_reading_and_the_batch_goes_on(
    worker: Worker,
) -> None:
    send, _ = _signalling_mock()
    engine = worker.readings.engine
    real = engine.apply_reading

    def fails_for_b1(state: DeviceState, r: Any, now_s: float, out: Any) -> Any:
        if r.device_id == "b1":
            raise ZeroDivisionError("a detector bug")
        return real(state, r, now_s, out)

    batch = [encode_model(smoke("b1", 1, 0.0)), encode_model(smoke("b2", 1, 0.0, temp_c=80.0))]
    with (
        recording(worker, send),
        patch.object(engine, "apply_reading", fails_for_b1),
    ):
        await worker.lanes["readings"](records(Topics.READINGS, batch, partition=5))
    (letter,) = [DeadLetter.model_validate_json(v) for v in _sent(send, Topics.DEAD_LETTER)]
    assert (letter.reason, letter.source) == ("worker_error", f"kafka:{Topics.READINGS}/5@0")
    assert "a detector bug" in letter.message
    assert [a.device_id for a in _alerts(send) if a.kind is AlertKind.FIRE] == ["b2"]


async def test_compound_lane_confirms_two_detectors(worker: Worker) -> None:
    engine = DeviceEngine()
    signals = []
    for dev in ("s1", "s2"):
        out = engine.on_reading(DeviceState(device_id=dev), smoke(dev, 0, 0.0, obs=0.1), T0)
        assert out
        signals.extend(out.signals)
    send, _ = _signalling_mock()
    batch = [write_signal(s) for s in signals] + [b"not a signal"]
    with recording(worker, send):
        await worker.lanes["compound"](records("fw.streams.signals.v1", batch))
    (letter,) = [DeadLetter.model_validate_json(v) for v in _sent(send, Topics.DEAD_LETTER)]
    assert letter.reason == "invalid_json"
    fires = [a for a in _alerts(send) if a.kind is AlertKind.FIRE]
    assert [a.condition_key for a in fires] == ["c1/b1/fire/area:a1"]
