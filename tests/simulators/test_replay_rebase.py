"""Replay of an old recording through a real bridge (issue #14 item 1): rebased by default, every
message accepted; --keep-time warns and the read-back shows them dead-lettered as too old."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from firewatch.cli import main
from firewatch.embedded.mosquitto import MosquittoBroker
from firewatch.embedded.process import ManagedProcess
from firewatch.embedded.tansu import TansuBroker
from simulators.recording import read_records

pytestmark = pytest.mark.integration


@pytest.fixture
def bridge(
    mosquitto: MosquittoBroker, kafka: TansuBroker, tmp_path: Path
) -> Iterator[ManagedProcess]:
    ready, log_path = tmp_path / "bridge-ready", tmp_path / "bridge.log"
    argv = [
        sys.executable, "-m", "firewatch", "ingest",
        "--mqtt-port", str(mosquitto.port),
        "--kafka-bootstrap", kafka.bootstrap,
        "--kafka-flavour", "tansu",
        "--ready-file", str(ready),
    ]  # fmt: skip
    proc = ManagedProcess("bridge", argv, log_path=log_path).start()
    deadline = time.monotonic() + 30
    while not ready.exists():
        assert proc.is_running(), log_path.read_text()
        assert time.monotonic() < deadline, "bridge not ready within 30 s"
        time.sleep(0.05)
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
