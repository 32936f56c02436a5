"""The telemetry hold (IngestConfig.telemetry_hold_ms): readings wait in the bridge to go to
Kafka in fewer, larger batches; an alarm never waits behind them, and a backlog drains at the
window's pace, not a window per hold. On the real brokers."""

from __future__ import annotations

import asyncio
import json

import pytest

from firewatch.embedded.mosquitto import MosquittoBroker
from tests.ingest.conftest import BridgeFactory
from tests.ingest.support import (
    alarm,
    alarm_topic,
    publish_all,
    smoke,
    stream,
    telemetry_topic,
    wait_for,
)

pytestmark = pytest.mark.integration


async def test_held_readings_go_in_one_write_and_the_alarm_does_not_wait(
    mosquitto: MosquittoBroker, make_bridge: BridgeFactory
) -> None:
    bridge = await make_bridge(bridge_id="hold", telemetry_hold_ms=3000)
    telemetry, priority = bridge.stats.lanes["telemetry"], bridge.stats.lanes["priority"]
    await asyncio.to_thread(publish_all, mosquitto.port, stream(devices=5, per_device=2))
    await wait_for(lambda: telemetry.received == 10, 30, "the readings read")
    body = alarm("sd-00001", 1) | {"observed_at": bridge.clock.now().isoformat()}
    await asyncio.to_thread(
        publish_all, mosquitto.port, [(alarm_topic("sd-00001"), json.dumps(body).encode())]
    )
    await wait_for(lambda: priority.published == 1, 30, "the alarm on Kafka")
    readings_written_before_the_alarm = telemetry.published
    # The telemetry lane reads the alarm too (its wildcard), and acks it unwritten: skipped.
    await wait_for(
        lambda: telemetry.published == 10 and telemetry.in_flight == 0, 30, "readings acked"
    )
    assert readings_written_before_the_alarm == 0  # read first, held; the alarm went at once
    assert (telemetry.writes, telemetry.held_writes) == (1, 1)  # ten readings, one write
    assert priority.held_writes == 0


async def test_a_backlog_drains_at_the_windows_pace_not_a_window_per_hold(
    mosquitto: MosquittoBroker, make_bridge: BridgeFactory
) -> None:
    """1,000 queued readings through a window of 100: holding each window for the 5 s hold
    would take 50 s; a half-full window writes at once."""
    first = await make_bridge(bridge_id="hold-backlog", receive_maximum=100)
    await first.stop()  # the session stays: the broker queues the backlog for it
    await asyncio.to_thread(publish_all, mosquitto.port, stream(devices=20, per_device=50))
    bridge = await make_bridge(
        bridge_id="hold-backlog", receive_maximum=100, telemetry_hold_ms=5000
    )
    telemetry = bridge.stats.lanes["telemetry"]
    await wait_for(lambda: telemetry.acked == 1000, 20, "the backlog drained")
    assert telemetry.in_flight_peak <= 100
    assert telemetry.writes >= 10  # at most a window per write


async def test_a_reading_that_may_start_a_p1_ends_the_hold(
    mosquitto: MosquittoBroker, make_bridge: BridgeFactory
) -> None:
    hold_s = 5.0
    bridge = await make_bridge(bridge_id="hold-urgent", telemetry_hold_ms=int(hold_s * 1000))
    telemetry = bridge.stats.lanes["telemetry"]
    loop = asyncio.get_running_loop()
    started = loop.time()
    await asyncio.to_thread(publish_all, mosquitto.port, stream(devices=5, per_device=2))
    await wait_for(lambda: telemetry.received == 10, 30, "the readings read")
    now = bridge.clock.now().isoformat()
    smoky = smoke("sd-smoky", 1, observed_at=now, obscuration_db_per_m=0.2)
    await asyncio.to_thread(
        publish_all, mosquitto.port, [(telemetry_topic("sd-smoky"), json.dumps(smoky).encode())]
    )
    await wait_for(lambda: telemetry.published == 11, 30, "all eleven written")
    # Written long before the hold would have let the first ten go (a generous bound: the
    # write takes milliseconds), in one write with the smoky reading.
    assert loop.time() - started < hold_s
    assert telemetry.urgent == 1
    assert telemetry.writes == 1
