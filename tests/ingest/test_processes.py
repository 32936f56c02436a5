"""The bridge and the stack as processes: SIGKILL and restart lose nothing; `up` cleans up."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from events.topics import Topics
from firewatch.embedded.mosquitto import MosquittoBroker
from firewatch.embedded.process import ManagedProcess
from firewatch.embedded.tansu import TansuBroker
from tests.ingest.support import KafkaReader, publish_all, stream, telemetry_topic, wait_for

pytestmark = pytest.mark.integration


def _bridge(mosquitto: MosquittoBroker, kafka: TansuBroker, tmp: Path, n: int) -> ManagedProcess:
    ready = tmp / f"ready-{n}"
    flags = f"--mqtt-port {mosquitto.port} --kafka-bootstrap {kafka.bootstrap}"
    flags += f" --kafka-flavour tansu --bridge-id killed --ready-file {ready}"
    argv = [sys.executable, "-m", "firewatch", "ingest", *flags.split()]
    proc = ManagedProcess(f"bridge-{n}", argv, log_path=tmp / f"bridge-{n}.log").start()
    deadline = time.monotonic() + 30
    while not ready.exists():
        assert proc.is_running(), (tmp / f"bridge-{n}.log").read_text()
        assert time.monotonic() < deadline, "bridge not ready"
        time.sleep(0.05)
    return proc


async def test_sigkill_mid_stream_then_restart_loses_nothing(
    mosquitto: MosquittoBroker, kafka: TansuBroker, tmp_path: Path
) -> None:
    first = _bridge(mosquitto, kafka, tmp_path, 1)
    async with KafkaReader(kafka.bootstrap, Topics.READINGS) as reader:
        publishing = asyncio.create_task(
            asyncio.to_thread(publish_all, mosquitto.port, stream(100, 100))
        )
        await wait_for(lambda: reader.count(Topics.READINGS) >= 1000, 60, "1000 on Kafka")
        first.kill()
        killed_at = reader.count(Topics.READINGS)
        await publishing
        assert killed_at < 10_000, "the kill came too late to prove anything"
        second = _bridge(mosquitto, kafka, tmp_path, 2)
        try:
            await wait_for(
                lambda: (
                    all(
                        s == set(range(100))
                        for s in reader.seqs_by_device(Topics.READINGS).values()
                    )
                    and len(reader.seqs_by_device(Topics.READINGS)) == 100
                ),
                120,
                "every device's seq 0..99 on Kafka",
            )
        finally:
            assert second.stop() == 0
    stats = json.loads((tmp_path / "bridge-2.log").read_text().strip().splitlines()[-1])
    assert stats["ingest_stats"]["reconciled"] is True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead too: it only waits for its parent to read its status.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


async def test_up_is_ready_carries_a_reading_to_kafka_and_sigterm_leaves_no_child() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "firewatch",
        "up",
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 60)
        ready = json.loads(line)
        assert ready["ready"] is True
        assert ready["kafka_topics"]["readings"] == Topics.READINGS
        assert ready["mqtt_publish_pattern"].startswith("fw/v1/")
        payload = stream(1, 1)[0][1]
        client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        client.connect(ready["mqtt_host"], ready["mqtt_port"])
        client.loop_start()
        client.publish(telemetry_topic("sd-00000"), payload, qos=1).wait_for_publish(10)
        client.disconnect()
        client.loop_stop()
        async with KafkaReader(ready["kafka_bootstrap"], Topics.READINGS) as reader:
            await wait_for(lambda: reader.count(Topics.READINGS) == 1, 30, "the reading on Kafka")
        children = ready["pids"]
        assert len(children) >= 3  # tansu, mosquitto, the bridge
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 30) == 0
        await wait_for(lambda: not any(_alive(pid) for pid in children), 10, "children gone")
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
