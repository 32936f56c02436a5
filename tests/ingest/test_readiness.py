"""The bridge's /readyz reflects its dependencies: ready once both lanes are connected, their
subscriptions confirmed and Kafka takes writes; not ready, naming the check, when the MQTT
broker goes away or Kafka refuses writes; ready again when the broker is back."""

from __future__ import annotations

import asyncio
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from firewatch.embedded.mosquitto import MosquittoBroker, start_mosquitto
from firewatch.embedded.process import ManagedProcess, free_port
from firewatch.embedded.tansu import TansuBroker
from runtime.metrics_server import MetricsServer
from tests.ingest.conftest import BridgeFactory
from tests.ingest.support import publish_all, stream
from tests.polling import wait_for

pytestmark = pytest.mark.integration

LANE_CHECKS = [
    f"{side}.{lane}.{what}"
    for lane in ("priority", "telemetry")
    for side, what in (("mqtt", "connected"), ("mqtt", "subscribed"), ("kafka", "writable"))
]


def _readyz(port: int) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())
    except OSError:
        return 0, {}  # not listening yet


async def test_readiness_follows_the_mqtt_broker_away_and_back(
    make_bridge: BridgeFactory, mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    bridge = await make_bridge()
    server = MetricsServer(0, bridge.health, host="127.0.0.1").start()
    try:
        status, report = await asyncio.to_thread(_readyz, server.port)
        assert status == 200
        expected = ["ingest.lanes_started", "kafka.intact", *LANE_CHECKS]
        assert sorted(report["checks"]) == sorted(expected)
        mosquitto.process.stop()
        failing = await wait_for(
            lambda: set(bridge.health.readiness().failing), 20, what="the bridge notices"
        )
        assert {"mqtt.priority.connected", "mqtt.telemetry.connected"} <= failing
        status, report = await asyncio.to_thread(_readyz, server.port)
        assert status == 503
        assert "mqtt.telemetry.subscribed" in report["failing"]
        back = start_mosquitto(mosquitto.data_dir, port=mosquitto.port)
        try:
            await wait_for(lambda: bridge.health.readiness().ok, 30, what="ready again")
        finally:
            await bridge.stop()
            back.process.stop()
    finally:
        server.stop()


async def test_kafka_refusing_writes_makes_the_lane_not_ready(
    make_bridge: BridgeFactory, mosquitto: MosquittoBroker, kafka: TansuBroker
) -> None:
    bridge = await make_bridge(kafka_request_timeout_ms=1000, retry_backoff_s=0.1)
    assert bridge.health.readiness().ok
    kafka.process.pause()  # frozen: every write times out (SIGSTOP)
    try:
        await asyncio.to_thread(publish_all, mosquitto.port, stream(1, 1))
        await wait_for(
            lambda: "kafka.telemetry.writable" in bridge.health.readiness().failing,
            30,
            what="the failed write noticed",
        )
        assert bridge.stats.acked == 0  # never acked before Kafka took it
    finally:
        kafka.process.resume()
    await wait_for(lambda: bridge.health.readiness().ok, 30, what="writable again")
    # Then acked, once the write is vouched for (for a first write to a partition, one
    # metadata round trip after it).
    await wait_for(lambda: bridge.stats.acked == 1, 30, what="acked after the thaw")


async def test_the_ingest_command_serves_readiness_on_its_metrics_port(
    mosquitto: MosquittoBroker, kafka: TansuBroker, tmp_path: Path
) -> None:
    port = free_port()
    flags = f"--mqtt-port {mosquitto.port} --kafka-bootstrap {kafka.bootstrap}"
    flags += f" --kafka-flavour tansu --bridge-id ready-test --metrics-port {port}"
    argv = [sys.executable, "-m", "firewatch", "ingest", *flags.split()]
    with ManagedProcess("bridge", argv, log_path=tmp_path / "bridge.log"):

        async def ready() -> dict[str, Any] | None:
            status, report = await asyncio.to_thread(_readyz, port)
            return report if status == 200 else None

        report = await wait_for(ready, 30, what="the bridge process ready")
        assert report["failing"] == []
        assert all(report["checks"].values())
        assert "kafka.reachable" in report["checks"]
        # Kafka frozen with no traffic: no write fails, so it is the probe that says so.
        kafka.process.pause()
        try:

            async def names_kafka() -> bool:
                status, report = await asyncio.to_thread(_readyz, port)
                return status == 503 and report["failing"] == ["kafka.reachable"]

            await wait_for(names_kafka, 30, what="503 naming Kafka")
        finally:
            kafka.process.resume()
        await wait_for(ready, 30, what="ready once Kafka answers")
