"""`firewatch sink` as a process: configured from FIREWATCH_* variables, logs its masked config
once, serves metrics and probes, writes what it consumes, stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from firewatch.embedded.process import free_port
from firewatch.embedded.tansu import TansuBroker
from firewatch.embedded.victoria import VictoriaMetrics
from tests.polling import wait_until
from tests.telemetry.producing import produce_readings
from tests.telemetry.scenario import compound_telemetry

pytestmark = pytest.mark.integration


def _points_written(metrics_text: str) -> float:
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics_text.splitlines()
        if line.startswith("firewatch_sink_points_written_total{")
    )


def test_sink_command_runs_from_environment_and_stops_cleanly(
    kafka: TansuBroker, victoria: VictoriaMetrics, tmp_path: Path
) -> None:
    readings = compound_telemetry(seed=9, seconds=300)
    asyncio.run(produce_readings(kafka.bootstrap, readings))
    metrics_port = free_port()
    env = {
        **os.environ,
        "FIREWATCH_KAFKA__BOOTSTRAP": kafka.bootstrap,
        "FIREWATCH_KAFKA__FLAVOUR": "tansu",
        "FIREWATCH_SINK__URL": victoria.url,
        "FIREWATCH_SINK__TOKEN": "token-that-must-not-be-logged",
        "FIREWATCH_SINK__FLUSH_INTERVAL_S": "0.2",
        "FIREWATCH_LOG_JSON": "true",
    }
    stderr_path = tmp_path / "sink.err"
    with stderr_path.open("wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "firewatch", "sink", "--metrics-port", str(metrics_port)],
            env=env,
            stderr=stderr,
            stdout=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{metrics_port}"

            def written_once_all_are() -> float:
                assert proc.poll() is None, stderr_path.read_text()
                try:
                    written = _points_written(httpx.get(f"{base}/metrics").text)
                except httpx.TransportError:
                    return 0.0  # not listening yet
                return written if written >= len(readings) else 0.0

            written = wait_until(
                written_once_all_are, 60, what=f"{len(readings)} points written", every_s=0.1
            )
            alive = httpx.get(f"{base}/healthz")
            assert (alive.status_code, alive.json()["checks"]) == (200, {"sink.loop_ticking": True})
            ready = httpx.get(f"{base}/readyz")
            assert ready.status_code == 200
            checks = ("sink.started", "kafka.reachable", "kafka.assigned", "influx.writing")
            assert ready.json()["checks"] == dict.fromkeys(checks, True)
        finally:
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(30)
    assert code == 0
    assert written == len(readings)
    logged = [json.loads(line) for line in stderr_path.read_text().splitlines()]
    configs = [e["msg"] for e in logged if e["msg"].startswith("effective config: ")]
    assert len(configs) == 1
    assert f"sink.url={victoria.url}" in configs[0]  # the short line; the full dump is DEBUG
    assert "token-that-must-not-be-logged" not in stderr_path.read_text()
