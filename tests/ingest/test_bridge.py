"""The bridge on real brokers: completeness, reconciliation, bad input, priority, frozen Kafka."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import timedelta

import pytest
from aiokafka.partitioner import DefaultPartitioner

from events.deadletter import DeadLetterReason
from events.sequence import AnomalyType
from events.topics import Topics, topic_spec
from firewatch.embedded.mosquitto import MosquittoBroker, restart
from firewatch.embedded.tansu import TansuBroker
from runtime.clock import ManualClock
from tests.ingest.conftest import BridgeFactory
from tests.ingest.corpus import BAD, GOOD, MAX_PAYLOAD_BYTES, REGISTRY
from tests.ingest.support import (
    OBSERVED_AT,
    KafkaReader,
    alarm,
    alarm_topic,
    publish_all,
    stream,
    wait_for,
)

pytestmark = pytest.mark.integration


def _complete(reader: KafkaReader, devices: int, seqs: range) -> bool:
    got = reader.seqs_by_device(Topics.READINGS)
    return len(got) == devices and all(s == set(seqs) for s in got.values())


async def test_10k_qos1_messages_all_arrive_and_counts_reconcile(
    mosquitto: MosquittoBroker, kafka: TansuBroker, make_bridge: BridgeFactory
) -> None:
    bridge = await make_bridge()
    messages = stream(devices=100, per_device=100)
    await asyncio.to_thread(publish_all, mosquitto.port, messages)
    await wait_for(lambda: bridge.stats.acked == 10_000, 120, "10k acks")
    stats = bridge.stats
    assert (stats.received, stats.published, stats.dead_lettered) == (10_000, 10_000, 0)
    assert stats.as_dict()["reconciled"] is True
    assert sum(stats.anomalies.values()) == 0
    async with KafkaReader(kafka.bootstrap, Topics.READINGS) as reader:
        await wait_for(lambda: reader.count(Topics.READINGS) >= 10_000, 60, "10k on Kafka")
        assert _complete(reader, 100, range(100))
        first = json.loads(reader.records[Topics.READINGS][0].value)
        assert "received_at" in first
        # Key = device id, partition as Kafka's default partitioner puts it (murmur2).
        partitions = list(range(topic_spec(Topics.READINGS).partitions))
        assert all(
            r.partition == DefaultPartitioner()(r.key, partitions, partitions)
            for r in reader.records[Topics.READINGS]
        )


async def test_bad_input_is_dead_lettered_with_reason_and_original_bytes(
    mosquitto: MosquittoBroker,
    kafka: TansuBroker,
    make_bridge: BridgeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = ManualClock(OBSERVED_AT + timedelta(minutes=1))
    bridge = await make_bridge(clock=clock, registry=REGISTRY, max_payload_bytes=MAX_PAYLOAD_BYTES)
    bad = BAD  # bad topics too: the telemetry lane reads all of fw/v1/#
    sent = [(t, p) for _, t, p, _ in bad] + GOOD
    # This broker has no ACL, so the telemetry lane also receives the alarm channel: it
    # skips those (acknowledged, not forwarded), the priority lane forwards them.
    on_alarm = sum(t.endswith("/alarm") for t, _ in sent)
    await asyncio.to_thread(publish_all, mosquitto.port, sent)
    await wait_for(lambda: bridge.stats.acked == len(sent) + on_alarm, 30, "all acked")
    assert bridge.stats.dead_lettered == len(bad)
    assert bridge.stats.published == len(GOOD)
    assert bridge.stats.skipped == on_alarm
    assert bridge.stats.as_dict()["reconciled"] is True
    # No traceback, and one line per reason at most (a flood must not amplify the log).
    assert not [r for r in caplog.records if r.exc_info], "a traceback for bad input"
    lines = [r.getMessage() for r in caplog.records if "dead-lettered" in r.getMessage()]
    kinds = [line.split(" on ")[0] for line in lines]  # "{lane}: dead-lettered: {reason}"
    assert lines
    assert len(kinds) == len(set(kinds))
    async with KafkaReader(kafka.bootstrap, Topics.DEAD_LETTER) as reader:
        await wait_for(lambda: reader.count(Topics.DEAD_LETTER) >= len(bad), 30, "dead letters")
        letters = [json.loads(r.value) for r in reader.records[Topics.DEAD_LETTER]]
    by_bytes = {(d["mqtt_topic"], base64.b64decode(d["payload_b64"])): d for d in letters}
    for name, topic, payload, reason in bad:
        is_cut = reason is DeadLetterReason.OVERSIZED  # kept up to the limit
        letter = by_bytes[topic, payload[:MAX_PAYLOAD_BYTES] if is_cut else payload]
        assert letter["payload_size_bytes"] == len(payload), name
        assert (letter["reason"], letter["mqtt_topic"]) == (reason.value, topic), name
        assert letter["message"], name


async def test_an_alarm_behind_a_5000_message_backlog_overtakes_it(
    mosquitto: MosquittoBroker, kafka: TansuBroker, make_bridge: BridgeFactory
) -> None:
    first = await make_bridge(bridge_id="prio")
    await first.stop()  # the persistent sessions stay: the broker queues for them
    backlog = stream(devices=50, per_device=100)
    now = first.clock.now()
    body = alarm("sd-00001", 1000) | {"observed_at": now.isoformat()}
    await asyncio.to_thread(
        publish_all,
        mosquitto.port,
        [*backlog, (alarm_topic("sd-00001"), json.dumps(body).encode())],
    )
    bridge = await make_bridge(bridge_id="prio")
    lanes = bridge.stats.lanes
    await wait_for(lambda: lanes["priority"].published == 1, 30, "the alarm on Kafka")
    telemetry_done_when_alarm_written = lanes["telemetry"].published
    await wait_for(lambda: lanes["telemetry"].published == 5000, 60, "the backlog")
    assert telemetry_done_when_alarm_written < 5000
    async with KafkaReader(kafka.bootstrap, Topics.READINGS, Topics.PRIORITY) as reader:
        await wait_for(lambda: reader.count(Topics.READINGS) >= 5000, 30, "backlog on Kafka")
        await wait_for(lambda: reader.count(Topics.PRIORITY) >= 1, 30, "alarm on Kafka")
        alarm_ts = reader.records[Topics.PRIORITY][0].timestamp
        last_ts = max(r.timestamp for r in reader.records[Topics.READINGS])
    assert alarm_ts < last_ts


async def test_a_frozen_kafka_stops_the_acks_and_nothing_is_lost(
    mosquitto: MosquittoBroker, kafka: TansuBroker, make_bridge: BridgeFactory
) -> None:
    window = 200
    bridge = await make_bridge(
        receive_maximum=window, kafka_request_timeout_ms=2000, retry_backoff_s=0.2
    )
    telemetry = bridge.stats.lanes["telemetry"]
    await asyncio.to_thread(publish_all, mosquitto.port, stream(50, 10))
    await wait_for(lambda: telemetry.acked == 500, 30, "the first 500 acked")
    kafka.process.pause()
    try:
        await asyncio.to_thread(publish_all, mosquitto.port, stream(50, 60, first_seq=10))
        # MQTT v5 Receive Maximum: the broker stops sending once `window` are unacked.
        await wait_for(lambda: telemetry.in_flight == window, 30, "the in-flight window full")
        assert telemetry.acked == 500
        assert telemetry.received == 500 + window
        # The writes time out while Kafka is frozen: retried, never dropped, never acked.
        await wait_for(lambda: bridge.stats.kafka_retries > 0, 30, "a timed-out write retried")
        assert telemetry.acked == 500
    finally:
        kafka.process.resume()
    await wait_for(lambda: telemetry.acked == 3500, 90, "everything acked after the thaw")
    async with KafkaReader(kafka.bootstrap, Topics.READINGS) as reader:
        await wait_for(lambda: _complete(reader, 50, range(70)), 60, "every seq on Kafka")


async def test_a_broker_restart_with_writes_in_flight_loses_nothing(
    mosquitto: MosquittoBroker, kafka: TansuBroker, make_bridge: BridgeFactory
) -> None:
    window = 100
    bridge = await make_bridge(receive_maximum=window)
    telemetry = bridge.stats.lanes["telemetry"]
    # Freeze Kafka so `window` messages are read but unacknowledged when the broker goes.
    kafka.process.pause()
    try:
        await asyncio.to_thread(publish_all, mosquitto.port, stream(50, 40))
        await wait_for(lambda: telemetry.in_flight == window, 30, "the window full")
        # Persistence on: the broker saves the session and its queue when it stops.
        restarted = await asyncio.to_thread(restart, mosquitto)
    finally:
        kafka.process.resume()
    try:
        await wait_for(lambda: telemetry.connects >= 2, 30, "the reconnect")
        await asyncio.to_thread(publish_all, restarted.port, stream(50, 20, first_seq=40))
        async with KafkaReader(kafka.bootstrap, Topics.READINGS) as reader:
            await wait_for(lambda: _complete(reader, 50, range(60)), 60, "every seq on Kafka")
        await wait_for(lambda: telemetry.acked >= 3000, 30, "all acked")
        await wait_for(lambda: telemetry.in_flight == 0, 30, "nothing in flight")
        stats = bridge.stats
        # The window's messages came again (DUP flag): duplicates, not resets, and no gap.
        assert stats.anomalies == {AnomalyType.DUPLICATE: window}
        # The in-flight writes of the old connection were not acked: redelivered, so more
        # received than published, and still every message accounted for.
        assert stats.received > 3000
        assert stats.received == stats.published + stats.dead_lettered
    finally:
        await bridge.stop()
        restarted.process.stop()


async def test_two_bridges_in_a_share_group_split_the_load_and_miss_nothing(
    mosquitto: MosquittoBroker, kafka: TansuBroker, make_bridge: BridgeFactory
) -> None:
    first = await make_bridge(bridge_id="shared-a", share_group="ingest")
    second = await make_bridge(bridge_id="shared-b", share_group="ingest")
    assert first.lanes[1].spec.subscriptions[0].startswith("$share/ingest/")
    await asyncio.to_thread(publish_all, mosquitto.port, stream(20, 100))
    await wait_for(lambda: first.stats.acked + second.stats.acked == 2000, 60, "2000 acked")
    # Each message went to exactly one bridge, and both took a share.
    assert first.stats.received + second.stats.received == 2000
    assert first.stats.received > 0
    assert second.stats.received > 0
    async with KafkaReader(kafka.bootstrap, Topics.READINGS) as reader:
        await wait_for(lambda: _complete(reader, 20, range(100)), 30, "every seq on Kafka")


async def test_a_dead_confirmer_is_reported_and_nothing_is_acked(
    mosquitto: MosquittoBroker, make_bridge: BridgeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    bridge = await make_bridge()
    telemetry_lane = bridge.lanes[1]

    async def broken(sends: object) -> None:
        raise RuntimeError("a bug in the writer")

    monkeypatch.setattr(telemetry_lane.kafka, "until_written", broken)
    await asyncio.to_thread(publish_all, mosquitto.port, stream(1, 1))
    await asyncio.wait_for(bridge.wait_failed(), 10)
    assert bridge.stats.acked == 0
    await bridge.stop(drain_timeout_s=0.1)  # the message stays unacked: nothing to wait for
