"""The bridge as a process: SIGKILL and restart lose nothing (`firewatch up` as a process:
tests/firewatch/test_up.py)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

from events.topics import Topics
from firewatch.embedded.mosquitto import MosquittoBroker
from firewatch.embedded.process import ManagedProcess
from firewatch.embedded.tansu import TansuBroker
from tests.ingest.support import KafkaReader, publish_all, stream, wait_for
from tests.polling import wait_until

pytestmark = pytest.mark.integration

# 30,000 readings: the kill comes after the first 1,000 are on Kafka, and must come before the
# last (a bridge writing larger batches, its telemetry hold, got 10,000 through once first).
DEVICES, PER_DEVICE = 100, 300


def _bridge(mosquitto: MosquittoBroker, kafka: TansuBroker, tmp: Path, n: int) -> ManagedProcess:
    ready = tmp / f"ready-{n}"
    flags = f"--mqtt-port {mosquitto.port} --kafka-bootstrap {kafka.bootstrap}"
    flags += f" --kafka-flavour tansu --bridge-id killed --ready-file {ready}"
    argv = [sys.executable, "-m", "firewatch", "ingest", *flags.split()]
    proc = ManagedProcess(f"bridge-{n}", argv, log_path=tmp / f"bridge-{n}.log").start()
    wait_until(lambda: ready.exists() or not proc.is_running(), 30, what="bridge ready")
    assert proc.is_running(), (tmp / f"bridge-{n}.log").read_text()
    return proc


async def test_sigkill_mid_stream_then_restart_loses_nothing(
    mosquitto: MosquittoBroker, kafka: TansuBroker, tmp_path: Path
) -> None:
    first = _bridge(mosquitto, kafka, tmp_path, 1)
    async with KafkaReader(kafka.bootstrap, Topics.READINGS) as reader:
        publishing = asyncio.create_task(
            asyncio.to_thread(publish_all, mosquitto.port, stream(DEVICES, PER_DEVICE))
        )
        await wait_for(lambda: reader.count(Topics.READINGS) >= 1000, 60, "1000 on Kafka")
        first.kill()
        killed_at = reader.count(Topics.READINGS)
        await publishing
        assert killed_at < DEVICES * PER_DEVICE, "the kill came too late to prove anything"
        second = _bridge(mosquitto, kafka, tmp_path, 2)
        try:
            await wait_for(
                lambda: (
                    all(
                        s == set(range(PER_DEVICE))
                        for s in reader.seqs_by_device(Topics.READINGS).values()
                    )
                    and len(reader.seqs_by_device(Topics.READINGS)) == DEVICES
                ),
                120,
                "every device's every seq on Kafka",
            )
        finally:
            assert second.stop() == 0
    stats = json.loads((tmp_path / "bridge-2.log").read_text().strip().splitlines()[-1])
    assert stats["ingest_stats"]["reconciled"] is True
