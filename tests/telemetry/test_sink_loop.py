"""The sink loop with an in-memory consumer and a flaky database: commit after write, pause while
the database is down, catch up afterwards, name what is not a reading. No broker, no sleeps."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Mapping

import pytest
from prometheus_client import CollectorRegistry

from events.codec import decode_reading, encode_model
from events.readings import Reading
from runtime.health import Health
from streams.telemetry.config import SinkConfig
from streams.telemetry.metrics import SinkMetrics
from streams.telemetry.sink import _DECODE_SLICE, TelemetrySink
from streams.telemetry.templates import to_line
from tests.telemetry.fakes import TP, FakeConsumer, FlakyDatabase, Record, SteppingClock
from tests.telemetry.scenario import compound_telemetry

CONFIG = SinkConfig(url="http://fake", batch_size=50, flush_interval_s=0.5, retry_max_s=2.0)


def _setup(failures: int = 0) -> tuple[FakeConsumer, FlakyDatabase, list[str], SinkMetrics]:
    clock = SteppingClock()
    consumer = FakeConsumer(clock)
    expected: list[str] = []
    for reading in compound_telemetry(seed=11, seconds=300):
        tp = TP("fw.readings.v1", hash(reading.device_id) % 3)
        consumer.append(tp, encode_model(reading))
        expected.append(to_line(reading))
    database = FlakyDatabase(consumer, failures_left=failures)
    database.stop_after_lines = len(expected)
    return consumer, database, expected, SinkMetrics(CollectorRegistry())


def _sink(consumer: FakeConsumer, database: FlakyDatabase, metrics: SinkMetrics) -> TelemetrySink:
    return TelemetrySink(
        CONFIG,
        consumer,
        database,
        metrics,
        clock=consumer.clock,
        rng=random.Random(2),
        sleep=consumer.clock.sleep,
    )


def _value(metrics: SinkMetrics, name: str, labels: dict[str, str] | None = None) -> float:
    value = metrics.registry.get_sample_value(name, labels or {})
    return float(value or 0.0)


async def test_everything_written_once_and_committed_only_after_its_write() -> None:
    consumer, database, expected, metrics = _setup()
    await asyncio.wait_for(_sink(consumer, database, metrics).run(database.stop), 10)
    assert sorted(database.lines) == sorted(expected)
    assert len(database.lines) == len(set(database.lines))
    assert consumer.committed == {tp: len(log) for tp, log in consumer.logs.items()}
    # At each write, what was committed is already in the database: never ahead of it.
    written_before = 0
    for committed in database.committed_at_write:
        assert sum(committed.values()) <= written_before
        written_before = len(database.lines)  # upper bound after this write
    assert _value(metrics, "firewatch_sink_points_written_total", {"measurement": "smoke"}) == sum(
        1 for line in expected if line.startswith("smoke,")
    )


async def test_database_down_pauses_consumption_and_catches_up_without_loss() -> None:
    consumer, database, expected, metrics = _setup(failures=6)
    sink = _sink(consumer, database, metrics)
    await asyncio.wait_for(sink.run(database.stop), 10)
    assert database.paused_during_failures[1:] == [True] * 5  # paused from the first failure on
    assert consumer.polls_while_paused > 0  # kept polling: the group keeps the member
    assert sorted(database.lines) == sorted(expected)
    assert not consumer.paused
    assert not sink.is_stalled
    assert _value(metrics, "firewatch_sink_write_retries_total", {"error": "connection"}) == 6
    assert _value(metrics, "firewatch_sink_stalled") == 0


async def test_stop_while_down_commits_nothing_unwritten() -> None:
    consumer, database, _, metrics = _setup(failures=10**6)
    sink = _sink(consumer, database, metrics)
    task = asyncio.create_task(sink.run(database.stop))
    for _ in range(10_000):  # bounded: the fake database counts attempts, no real time passes
        if database.attempts >= 3:
            break
        await asyncio.sleep(0)
    assert sink.is_stalled
    assert _value(metrics, "firewatch_sink_stalled") == 1
    health = Health()
    sink.register_health(health)
    assert health.readiness().failing == ["influx.writing"]  # /readyz names the database
    assert health.liveness().ok  # a database outage is no reason to restart the sink
    # Bounded while down: the batch being retried and the next one, no more.
    assert sum(consumer.positions.values()) <= 2 * CONFIG.batch_size
    assert consumer.paused == consumer.assignment()
    database.stop.set()
    await asyncio.wait_for(task, 10)
    assert database.lines == []
    assert consumer.committed == {}  # re-read from the start by the next sink


async def test_a_record_that_is_not_a_reading_is_named_and_passed() -> None:
    consumer, database, expected, metrics = _setup()
    tp = TP("fw.readings.v1", 0)
    consumer.append(tp, b'{"kind": "smoke", "device_id": ')
    consumer.append(tp, None)
    await asyncio.wait_for(_sink(consumer, database, metrics).run(database.stop), 10)
    assert sorted(database.lines) == sorted(expected)
    assert consumer.committed[tp] == len(consumer.logs[tp])
    assert _value(metrics, "firewatch_sink_records_skipped_total", {"reason": "invalid_json"}) == 1
    assert _value(metrics, "firewatch_sink_records_skipped_total", {"reason": "empty"}) == 1


async def test_a_compact_record_with_a_repeated_key_is_named_not_written() -> None:
    """The counted fast path (events.codec) vouches only for readings whose keys are all
    distinct: compact records with a key twice, or an ignored key, are still decided exactly."""
    consumer, database, expected, metrics = _setup()
    tp = TP("fw.readings.v1", 0)
    valid = encode_model(decode_reading(consumer.logs[tp][0].value or b""))
    twice = valid[:-1] + b',"device_id":"other"}'
    extra = valid[:-1] + b',"note":{"a":1}}'  # ignored (extra="ignore"): a reading still
    consumer.append(tp, twice)
    consumer.append(tp, extra)
    database.stop_after_lines = len(expected) + 1  # and the reading with an ignored key
    await asyncio.wait_for(_sink(consumer, database, metrics).run(database.stop), 10)
    assert sorted(database.lines) == sorted([*expected, to_line(decode_reading(valid))])
    assert consumer.committed[tp] == len(consumer.logs[tp])
    skipped = {"reason": "duplicate_key"}
    assert _value(metrics, "firewatch_sink_records_skipped_total", skipped) == 1


async def test_a_batch_given_up_at_stop_blocks_every_later_commit() -> None:
    consumer, database, _, metrics = _setup(failures=10**6)
    sink = _sink(consumer, database, metrics)
    task = asyncio.create_task(sink.run(database.stop))
    for _ in range(10_000):
        if database.attempts >= 3:
            break
        await asyncio.sleep(0)
    # The database fails the in-flight batch's last attempt, then would take the next batch:
    # writing and committing that one would commit past the records of the first.
    database.failures_left = 1
    database.stop.set()
    await asyncio.wait_for(task, 10)
    assert database.failures_left == 0
    assert database.lines == []
    assert consumer.committed == {}


class EagerConsumer(FakeConsumer):
    """Like aiokafka with records already fetched: getmany returns without yielding."""

    async def getmany(
        self, *, timeout_ms: int, max_records: int | None
    ) -> Mapping[TP, list[Record]]:
        budget = max_records or 1_000_000
        out: dict[TP, list[Record]] = {}
        for tp, log in self.logs.items():
            taken = [] if tp in self.paused else log[self.positions[tp] :][:budget]
            if taken:
                out[tp] = taken
                self.positions[tp] += len(taken)
                budget -= len(taken)
        if not out:
            await self.clock.sleep(timeout_ms / 1000)
        return out


async def test_the_loop_turns_while_a_large_poll_decodes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The write in flight sends its request (and aiokafka's own tasks run) while the next
    batch decodes: never more than one slice of records between two turns of the loop."""
    config = CONFIG.model_copy(update={"batch_size": 3_000})
    clock = SteppingClock()
    consumer = EagerConsumer(clock)
    readings = compound_telemetry(seed=4, seconds=3_000)  # about 2,300 records
    for reading in readings * 3:
        consumer.append(TP("fw.readings.v1", 0), encode_model(reading))
    database = FlakyDatabase(consumer)
    database.stop_after_lines = len(readings) * 3
    decoded_since_turn, most_between_turns = [0], [0]

    def counting_decode(payload: bytes) -> Reading:
        decoded_since_turn[0] += 1
        most_between_turns[0] = max(most_between_turns[0], decoded_since_turn[0])
        return decode_reading(payload)

    async def turns() -> None:
        while not database.stop.is_set():
            decoded_since_turn[0] = 0
            await asyncio.sleep(0)

    monkeypatch.setattr("streams.telemetry.sink.decode_reading", counting_decode)
    sink = TelemetrySink(
        config, consumer, database, SinkMetrics(CollectorRegistry()), clock=clock, sleep=clock.sleep
    )
    ticker = asyncio.create_task(turns())
    await asyncio.wait_for(sink.run(database.stop), 20)
    await ticker
    assert len(database.lines) == len(readings) * 3
    assert config.batch_size > _DECODE_SLICE  # so one poll is several slices
    assert 0 < most_between_turns[0] <= _DECODE_SLICE
