"""Replay of an old recording through a real bridge (issue #14 item 1): rebased by default, every
message accepted; --keep-time warns and the read-back shows them dead-lettered as too old."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from events.topics import Topics, topic_spec
from firewatch.cli import main
from firewatch.embedded.mosquitto import MosquittoBroker
from firewatch.embedded.process import ManagedProcess
from firewatch.embedded.tansu import TansuBroker
from simulators.recording import read_records
from tests.polling import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def bridge(
    mosquitto: MosquittoBroker, kafka: TansuBroker, tmp_path: Path
) -> Iterator[ManagedProcess]:
    ready, log_path = tmp_path / "bridge-ready", tmp_path / "bridge.log"
    argv = [
        sys.executable,
        "-m",
        "firewatch",
        "ingest",
        "--mqtt-port",
        str(mosquitto.port),
        "--kafka-bootstrap",
        kafka.bootstrap,
        "--kafka-flavour",
        "tansu",
        "--ready-file",
        str(ready),
    ]
    proc = ManagedProcess("bridge", argv, log_path=log_path).start()

    def is_ready() -> bool:
        assert proc.is_running(), log_path.read_text()
        return ready.exists()

    wait_until(is_ready, 30, what="bridge ready")
    yield proc
    proc.stop()


def _old_recording(tmp_path: Path) -> Path:
    """Two simulated minutes of the flat-fire scenario, recorded 30 days ago."""
    rec = tmp_path / "old.jsonl.gz"
    start = (datetime.now(UTC) - timedelta(days=30)).replace(microsecond=0).isoformat()
    args = ["simulate", "--scenario", "flat_fire", "--duration-s", "120", "--start-at", start]
    assert main([*args, "--out", str(rec), "--json"]) == 0
    return rec


@pytest.mark.usefixtures("bridge")
def test_an_old_recording_is_rebased_and_accepted_and_keep_time_is_refused(
    mosquitto: MosquittoBroker,
    kafka: TansuBroker,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    rec = _old_recording(tmp_path)
    n = sum(1 for _ in read_records(rec))
    capsys.readouterr()

    args = ["replay", str(rec), "--speed", "max", "--port", str(mosquitto.port), "--json"]
    args += ["--kafka-bootstrap", kafka.bootstrap, "--readback-idle-s", "3"]
    assert main(args) == 0
    rebased = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert rebased["published"] == n
    assert rebased["time_shift_s"] >= 30 * 86400 - 200  # moved forward by the recording's age
    assert rebased["accepted"] == n, rebased
    assert rebased["dead_lettered"] == 0

    assert main([*args, "--keep-time", "--id-prefix", "k-"]) == 0
    out = capsys.readouterr()
    kept = json.loads(out.out.strip().splitlines()[-1])
    warnings = [line for line in out.err.splitlines() if " WARNING " in line]
    assert any("timestamp_too_old" in w and "MAX_AGE_S" in w for w in warnings), out.err
    assert kept["time_shift_s"] == 0
    too_old = kept["dead_letter_reasons"].get("timestamp_too_old", 0)
    retained = n - too_old  # gateway status messages: retained state, never "too old"
    assert too_old > 0.9 * n, kept
    assert kept["accepted"] == retained, kept
    assert kept["unaccounted"] == 0


async def _kafka_counts(bootstrap: str, expected: int, timeout_s: float = 60.0) -> Counter[str]:
    """Records per topic (readings, priority, dead letters) until `expected` readings arrived
    and nothing more came for a second, or the deadline."""
    topics = (Topics.READINGS, Topics.PRIORITY, Topics.DEAD_LETTER)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    counts: Counter[str] = Counter()
    try:
        tps = [TopicPartition(t, p) for t in topics for p in range(topic_spec(t).partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=1000)
            for tp, records in batch.items():
                counts[tp.topic] += len(records)
            accepted = counts[Topics.READINGS] + counts[Topics.PRIORITY]
            if not batch and accepted >= expected:
                return counts
    finally:
        await consumer.stop()
    return counts


@pytest.mark.usefixtures("bridge")
def test_a_past_dated_scenario_at_max_speed_is_accepted(
    mosquitto: MosquittoBroker, kafka: TansuBroker, capsys: pytest.CaptureFixture[str]
) -> None:
    # cooking_smoke is dated March 2026; the README publishes it with --speed max.
    argv = ["simulate", "--scenario", "cooking_smoke", "--speed", "max", "--duration-s", "900"]
    assert main([*argv, "--port", str(mosquitto.port), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert datetime.fromisoformat(summary["end_at"]) <= datetime.now(UTC)
    assert "--start-at" in summary["eval"]
    counts = asyncio.run(_kafka_counts(kafka.bootstrap, summary["messages"]))
    assert counts[Topics.READINGS] + counts[Topics.PRIORITY] >= summary["messages"], counts
    assert counts[Topics.DEAD_LETTER] == 0, counts


@pytest.mark.usefixtures("bridge")
def test_a_2016_data_set_published_live_is_rebased_and_read_back(
    datasets: Path,
    mosquitto: MosquittoBroker,
    kafka: TansuBroker,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = datasets / "ulfsri-residential-gasburner-2016/Two_Story/Gas_Burner_4.csv"
    argv = ["simulate", "--dataset", "ulfsri", "--source", str(source), "--speed", "max"]
    argv += ["--port", str(mosquitto.port), "--kafka-bootstrap", kafka.bootstrap, "--json"]
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["time_shift_s"] > 9 * 365 * 86400  # November 2016 -> now
    assert summary["published"] > 10_000
    assert summary["accepted"] == summary["published"], summary
    assert summary["dead_lettered"] == 0
    start = datetime.fromisoformat(summary["ground_truth_start_at"])
    assert abs((datetime.now(UTC) - start).total_seconds()) < 3600  # t = 0 moved to today
