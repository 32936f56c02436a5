"""A device's own alarm is not served after the telemetry queued before it (issue #17: an alarm
on the priority topic waited behind the readings in the worker's one fetch loop).

Behaviour, not time: every readings partition holds a backlog that ends in a hot reading, so
the fire it raises marks that partition's backlog consumed. All of them and the priority
alarm belong to one compound, so their alerts share one partition of the alerts topic, whose
offsets are the order the worker published them in."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from events.codec import encode_model
from events.topics import Topics
from firewatch.embedded.process import ManagedProcess
from firewatch.embedded.tansu import TansuBroker
from runtime.partitioner import partition_for
from tests.polling import wait_for
from tests.streams.fixtures import smoke

READINGS_PARTITIONS = 12
DEVICES = [f"bk-{i:02d}" for i in range(36)]  # three backlogged devices per readings partition
QUIET_EACH = 400  # quiet readings per device before its hot one: ~14k records in all
P1_DEVICE = "p1-smoke"


async def _queue_backlog_then_alarm(bootstrap: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20)
    await producer.start()
    try:
        for seq in range(1, QUIET_EACH + 2):
            hot = seq == QUIET_EACH + 1
            for device in DEVICES:
                reading = smoke(device, seq, float(seq), temp_c=80.0 if hot else 21.0)
                await producer.send(Topics.READINGS, encode_model(reading), key=device.encode())
        await producer.flush()
        alarm = smoke(P1_DEVICE, 1, float(QUIET_EACH + 2), temp_c=80.0)
        await producer.send_and_wait(Topics.PRIORITY, encode_model(alarm), key=P1_DEVICE.encode())
    finally:
        await producer.stop()


async def _fires_in_publish_order(bootstrap: str, count: int) -> list[str]:
    """The first `count` devices with a fire alert, in the worker's publish order (a device
    may have more than one revision; the compound stage's building fire names no device)."""
    consumer = AIOKafkaConsumer(
        Topics.ALERTS, bootstrap_servers=bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    seen: dict[str, int] = {}  # device -> partition of its first fire alert, in order
    try:

        async def enough() -> bool:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for rec in records:
                    alert = json.loads(rec.value or b"{}")
                    device = alert.get("device_id")
                    if device and alert.get("kind") == "fire" and device not in seen:
                        seen[device] = rec.partition
            return len(seen) >= count

        await wait_for(enough, 180, what=f"{count} devices on fire", every_s=0.1)
    finally:
        await consumer.stop()
    assert len(set(seen.values())) == 1  # one compound, one partition: offsets are an order
    return list(seen)


@pytest.mark.integration
async def test_an_alarm_is_alerted_before_the_telemetry_queued_ahead_of_it(
    kafka: TansuBroker, tmp_path: Path
) -> None:
    covered = {partition_for(d, READINGS_PARTITIONS) for d in DEVICES}
    assert covered == set(range(READINGS_PARTITIONS))  # a backlog in every readings partition
    await _queue_backlog_then_alarm(kafka.bootstrap)  # all on Kafka before the worker starts
    flags = f"--bootstrap {kafka.bootstrap} --flavour tansu --app-id fw-it-p1-first"
    argv = [sys.executable, "-m", "firewatch", "--log-level", "WARNING", "worker", *flags.split()]
    argv += ["--data-dir", str(tmp_path / "worker")]
    worker = ManagedProcess("worker", argv, log_path=tmp_path / "worker.log").start()
    try:
        order = await _fires_in_publish_order(kafka.bootstrap, len(DEVICES) + 1)
    finally:
        worker.stop()
    assert sorted(order) == sorted([*DEVICES, P1_DEVICE])
    # The alarm is fetched with the backlogs' first batches: served first, its fire comes
    # before any backlog's. Without an urgent lane it came after those fetched with it (27
    # of the 36 backlogs in two runs).
    assert order[0] == P1_DEVICE, order
