"""The bridge on real brokers where they misbehave (issue 19): a Mosquitto that sends beyond
the receive window, a Kafka that restarted without its data, a reading the broker lost and
the gateway resent."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from datetime import UTC, datetime

import pytest

from events.connections import MqttConnection
from events.sequence import AnomalyType
from events.topics import Topics
from firewatch.embedded.mosquitto import MosquittoBroker
from firewatch.embedded.tansu import TansuBroker, start_tansu
from firewatch.kafka_admin import ensure_topics
from ingest.lane_session import reconnect_delays
from simulators.mqtt.pool import GatewayPool
from tests.ingest.conftest import BridgeFactory
from tests.ingest.support import KafkaReader, publish_all, smoke, stream, telemetry_topic
from tests.polling import wait_for

pytestmark = pytest.mark.integration


async def test_in_flight_never_exceeds_the_window_though_mosquitto_sends_more(
    mosquitto: MosquittoBroker, kafka: TansuBroker, make_bridge: BridgeFactory
) -> None:
    """Mosquitto 2.0.11 releases up to a window per PUBACK once a queue waits
    (test_broker_pins.py): draining a backlog took the bridge to 98,000 in flight."""
    window = 200
    first = await make_bridge(bridge_id="win", receive_maximum=window)
    await first.stop()  # the session stays: the broker queues the backlog for it
    await asyncio.to_thread(publish_all, mosquitto.port, stream(100, 100))
    bridge = await make_bridge(bridge_id="win", receive_maximum=window)
    telemetry = bridge.stats.lanes["telemetry"]
    await wait_for(lambda: telemetry.acked == 10_000, 120, what="the backlog acknowledged")
    assert telemetry.in_flight_peak <= window
    assert telemetry.holds > 0  # the broker did send beyond the window: the gate held it
    async with KafkaReader(kafka.bootstrap, Topics.READINGS) as reader:
        await wait_for(lambda: reader.count(Topics.READINGS) >= 10_000, 60, what="on Kafka")
        got = reader.seqs_by_device(Topics.READINGS)
    assert all(seqs == set(range(100)) for seqs in got.values())
    assert len(got) == 100


async def test_a_kafka_that_lost_its_data_is_never_trusted_with_an_ack(
    mosquitto: MosquittoBroker,
    kafka: TansuBroker,
    make_bridge: BridgeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Tansu keeps topics in memory: restarted, it acknowledged writes that could never be
    read (issue 19: 15,875). The bridge holds every message, loudly, until the topics are
    back, then writes them again."""
    bridge = await make_bridge(kafka_request_timeout_ms=2000, retry_backoff_s=0.1)
    telemetry = bridge.stats.lanes["telemetry"]
    await asyncio.to_thread(publish_all, mosquitto.port, stream(20, 10))
    await wait_for(lambda: telemetry.acked == 200, 30, what="the first 200 acknowledged")
    kafka.process.stop()
    restarted = start_tansu(kafka.port, log_path=kafka.process.log_path)
    try:
        after = stream(20, 10, first_seq=10)
        await asyncio.to_thread(publish_all, mosquitto.port, after)
        await wait_for(lambda: bridge.stats.kafka_losses >= 1, 30, what="the loss found")
        assert "kafka.intact" in bridge.health.readiness().failing
        assert not bridge.stats.is_kafka_intact
        lost = [r for r in caplog.records if r.levelno == logging.CRITICAL]
        assert any("KAFKA LOST DATA" in r.getMessage() for r in lost)
        assert telemetry.acked == 200  # nothing acknowledged into the broker that lost it
        await ensure_topics(restarted.bootstrap)  # the operator recreates the topics
        await wait_for(lambda: telemetry.acked == 400, 60, what="the held messages written")
        assert bridge.health.readiness().ok
        async with KafkaReader(restarted.bootstrap, Topics.READINGS) as reader:

            def complete() -> bool:
                got = reader.seqs_by_device(Topics.READINGS)
                return len(got) == 20 and all(s >= set(range(10, 20)) for s in got.values())

            await wait_for(complete, 60, what="every held message in the new Kafka")
    finally:
        await bridge.stop()
        restarted.process.stop()


async def test_a_gap_is_asked_for_resent_by_the_gateway_and_recorded_healed(
    mosquitto: MosquittoBroker, kafka: TansuBroker, make_bridge: BridgeFactory
) -> None:
    bridge = await make_bridge(bridge_id="repair")
    pool = GatewayPool(MqttConnection(port=mosquitto.port), client_prefix="repair-gw")
    gw, topic = ("c1", "gw1"), telemetry_topic("sd-1")
    now = datetime.now(UTC).isoformat()
    payloads = [json.dumps(smoke("sd-1", seq, observed_at=now)).encode() for seq in range(21)]
    try:
        for seq in range(10):
            await pool.publish(gw, topic, payloads[seq], 1, False)
        # 10..14 left the gateway and the broker lost them (a crash before its save): the
        # gateway still holds them, as a real one holds its recent readings.
        for seq in range(10, 15):
            pool.gateways[gw].buffer.keep("sd-1", seq, topic, payloads[seq], 1)
        for seq in range(15, 21):
            await pool.publish(gw, topic, payloads[seq], 1, False)
        await wait_for(lambda: pool.resent == 5, 30, what="the gateway resending 10..14")
        async with KafkaReader(kafka.bootstrap, Topics.READINGS, Topics.SEQUENCE) as reader:

            def healed() -> list[str]:
                return [
                    json.loads(r.value)["anomaly"]
                    for r in reader.records[Topics.SEQUENCE]
                    if json.loads(r.value)["device_id"] == "sd-1"
                ]

            await wait_for(lambda: AnomalyType.HEALED.value in healed(), 30, what="healed")
            await wait_for(
                lambda: reader.seqs_by_device(Topics.READINGS).get("sd-1") == set(range(21)),
                30,
                what="every seq in Kafka",
            )
        assert healed()[0] == AnomalyType.GAP.value
        assert bridge.stats.resend_requests == 1
        assert pool.resend_requests == 1
    finally:
        await pool.close()


def test_the_reconnect_back_off_is_fast_and_never_grows_past_half_a_second() -> None:
    """Until it re-subscribes, a broker that lost the bridge's session acknowledges device
    traffic to nobody: issue 19's back-off had grown to 3.2 s and 5,055 readings were lost."""
    delays = list(itertools.islice(reconnect_delays(), 50))
    assert delays[:5] == [0.05, 0.1, 0.2, 0.4, 0.5]
    assert max(delays) == 0.5


async def test_a_stop_with_kafka_frozen_ends_within_its_deadline(
    mosquitto: MosquittoBroker, kafka: TansuBroker, make_bridge: BridgeFactory
) -> None:
    """A supervisor kills what overstays (10 s): with writes that cannot finish, the bridge
    still stops within its drain and close bounds, acknowledging nothing unwritten."""
    bridge = await make_bridge(drain_timeout_s=1.0, producer_close_timeout_s=1.0)
    kafka.process.pause()
    try:
        await asyncio.to_thread(publish_all, mosquitto.port, stream(10, 5))
        telemetry = bridge.stats.lanes["telemetry"]
        await wait_for(lambda: telemetry.in_flight == 50, 30, what="50 read, none written")
        started = time.monotonic()
        await bridge.stop()
        assert time.monotonic() - started < 8.0  # 1 s drain + 1 s per producer close + slack
        assert bridge.stats.acked == 0
    finally:
        kafka.process.resume()
