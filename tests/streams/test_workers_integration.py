"""Two `firewatch worker` processes in one group on the embedded Kafka: kill one mid-scenario;
no alert is lost and no incident is paged twice (replays included)."""

from __future__ import annotations

import asyncio
import sys
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from events.alerts import Alert, AlertKind, AlertStatus
from events.codec import encode_model
from events.topics import Topics
from firewatch.embedded.process import ManagedProcess, free_port
from firewatch.embedded.tansu import TansuBroker
from tests.polling import wait_for
from tests.streams.fixtures import resolution, smoke

pytestmark = pytest.mark.integration


def _worker(kafka: TansuBroker, tmp: Path, name: str, metrics_port: int) -> ManagedProcess:
    argv = [
        sys.executable,
        "-m",
        "firewatch",
        "--log-level",
        "WARNING",
        "worker",
        "--bootstrap",
        kafka.bootstrap,
        "--flavour",
        "tansu",
        "--app-id",
        "fw-it-workers",
        "--data-dir",
        str(tmp / name),
        "--metrics-port",
        str(metrics_port),
    ]
    return ManagedProcess(name, argv, log_path=tmp / f"{name}.log").start()


@pytest.fixture
def workers(kafka: TansuBroker, tmp_path: Path) -> Iterator[list[ManagedProcess]]:
    procs = [_worker(kafka, tmp_path, name, free_port()) for name in ("worker-a", "worker-b")]
    try:
        yield procs
    finally:
        for proc in procs:
            proc.stop()


class AlertLog:
    def __init__(self, bootstrap: str) -> None:
        self.consumer = AIOKafkaConsumer(
            Topics.ALERTS,
            bootstrap_servers=bootstrap,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=20,
        )
        self.alerts: list[Alert] = []

    async def until_fire_for(
        self, devices: set[str], timeout_s: float, status: AlertStatus = AlertStatus.RAISED
    ) -> None:
        async with asyncio.timeout(timeout_s):
            while not devices <= self.fire_devices(status):
                for records in (await self.consumer.getmany(timeout_ms=200)).values():
                    self.alerts.extend(Alert.model_validate_json(r.value) for r in records)

    def fire_devices(self, status: AlertStatus) -> set[str]:
        return {
            a.device_id or ""
            for a in self.alerts
            if a.kind is AlertKind.FIRE and a.status is status
        }


async def _send(producer: AIOKafkaProducer, readings: list[bytes], keys: list[str]) -> None:
    for key, value in zip(keys, readings, strict=True):
        await producer.send(Topics.READINGS, value=value, key=key.encode())
    await producer.flush()


async def test_kill_one_worker_no_alert_lost_none_paged_twice(
    kafka: TansuBroker, workers: list[ManagedProcess]
) -> None:
    first = [f"it-a{i:02d}" for i in range(24)]  # spread over the 12 partitions
    second = [f"it-b{i:02d}" for i in range(24)]
    hot = {d: encode_model(smoke(d, 1, 0.0, temp_c=80.0)) for d in first + second}
    log = AlertLog(kafka.bootstrap)
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap)
    await log.consumer.start()
    await producer.start()
    try:
        await _send(producer, [hot[d] for d in first], first)
        await log.until_fire_for(set(first), timeout_s=120)
        workers[0].kill()  # SIGKILL mid-scenario: no clean shutdown, no last commit
        assert not workers[0].is_running()
        # Replays of everything already alerted, then new fires only the survivor can see.
        await _send(producer, [hot[d] for d in first], first)
        await _send(producer, [hot[d] for d in second], second)
        await log.until_fire_for(set(second), timeout_s=120)
        await _send(producer, [hot[d] for d in first], first)  # replayed once more
        await asyncio.sleep(0)  # nothing to wait for: duplicates must produce nothing
    finally:
        await producer.stop()
    raised: dict[str, set[str]] = defaultdict(set)
    for alert in log.alerts:
        if alert.status is AlertStatus.RAISED:
            raised[alert.condition_key].add(alert.alert_id)
    fire_devices = {a.device_id for a in log.alerts if a.kind is AlertKind.FIRE}
    assert fire_devices >= set(first + second)  # none lost
    # Dispatch pages once per alert id (condition#revision): a second id would be a 2nd page.
    assert all(len(ids) == 1 for ids in raised.values()), raised
    await log.consumer.stop()


def _devices_held(worker: ManagedProcess) -> float:
    """The worker's firewatch_streams_devices gauge: device states it holds now."""
    port = worker.argv[worker.argv.index("--metrics-port") + 1]
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as resp:
            text = resp.read().decode()
    except OSError:
        return 0.0
    lines = [ln for ln in text.splitlines() if ln.startswith("firewatch_streams_devices ")]
    return float(lines[0].split()[1]) if lines else 0.0


async def test_a_resolution_unlatches_fires_held_by_either_worker(
    kafka: TansuBroker, workers: list[ManagedProcess]
) -> None:
    # One compound: its transitions are read by one worker, its devices' fires are held by
    # both (24 devices over the 12 readings partitions).
    devices = [f"it-r{i:02d}" for i in range(24)]
    log = AlertLog(kafka.bootstrap)
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap)
    await log.consumer.start()
    await producer.start()
    try:
        hot = [encode_model(smoke(d, 1, 0.0, temp_c=80.0)) for d in devices]
        await _send(producer, hot, devices)
        # "" stands for the area fire (no device): two detectors in a1, the compound stage.
        subjects = {*devices, ""}
        await log.until_fire_for(subjects, timeout_s=120)
        held: list[float] = []

        async def both_hold_fires() -> bool:  # the group settled: each worker holds some
            held[:] = [await asyncio.to_thread(_devices_held, w) for w in workers]
            return all(held)

        await wait_for(both_hold_fires, 60, what="both workers holding devices", every_s=0.5)
        fires = [a for a in log.alerts if a.kind is AlertKind.FIRE]
        assert {a.compound_id for a in fires} == {"c1"}
        # One incident owns them all (one building): its resolution lists every condition.
        update = encode_model(resolution(fires))
        await producer.send(Topics.INCIDENTS, value=update, key=b"c1")
        await producer.flush()
        try:
            await log.until_fire_for(subjects, timeout_s=60, status=AlertStatus.CLEARED)
        except TimeoutError:
            missing = subjects - log.fire_devices(AlertStatus.CLEARED)
            logs = [str(w.log_path) for w in workers]
            pytest.fail(f"not cleared: {sorted(missing)}; devices held {held}; logs {logs}")
    finally:
        await producer.stop()
        await log.consumer.stop()
    cleared = [a.condition_key for a in log.alerts if a.status is AlertStatus.CLEARED]
    # Every fire condition, the devices' and the area's (two detectors in a1), cleared once.
    assert sorted(cleared) == sorted({a.condition_key for a in fires})
    assert any(a.device_id is None for a in fires)  # the area condition, compound stage


async def test_lane_offsets_are_committed_to_the_group(kafka: TansuBroker, tmp_path: Path) -> None:
    """The lanes ack into Faust's own bookkeeping: a restarted worker must resume where this
    one stopped, not replay the topic (dedup would hide a replay; the committed offsets do not)."""
    devices = [f"it-c{i:02d}" for i in range(24)]
    readings = [encode_model(smoke(d, seq, seq * 10.0)) for seq in range(20) for d in devices]
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap)
    await producer.start()
    try:
        await _send(producer, readings, devices * 20)
    finally:
        await producer.stop()
    worker = _worker(kafka, tmp_path, "worker-c", free_port())
    group = AIOKafkaConsumer(bootstrap_servers=kafka.bootstrap, group_id="fw-it-workers")
    await group.start()
    committed = 0

    async def all_committed() -> bool:  # Faust commits every 2.8 s
        nonlocal committed
        tps = [TopicPartition(Topics.READINGS, p) for p in range(12)]
        committed = sum([await group.committed(tp) or 0 for tp in tps])
        return committed >= len(readings)

    try:
        await wait_for(all_committed, 90, what="readings offsets committed", every_s=0.5)
    finally:
        await group.stop()
        worker.stop()
    assert committed == len(readings)
