"""Dispatch's /readyz follows each dependency away and back (issue #16 item 3): the MQTT broker
killed and restarted, the SQLite ledger file moved away and back, the PostgreSQL ledger server
stopped and started, Kafka frozen and resumed. Each time: 503 naming exactly the failing
check, then 200 again, with no restart of dispatch (real Tansu, Mosquitto and PostgreSQL)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from alerts.config import DispatchConfig
from alerts.registry import EXAMPLE_DIR
from alerts.service.factory import build_dispatch_service
from events.connections import KafkaConnection, KafkaFlavour, MqttConnection
from firewatch.embedded.mosquitto import MosquittoBroker, start_mosquitto
from firewatch.embedded.process import ManagedProcess, free_port
from firewatch.embedded.tansu import TansuBroker
from runtime.metrics_server import MetricsServer
from tests import postgres
from tests.polling import wait_for

from .conftest import short_config

pytestmark = pytest.mark.integration

Probe = Callable[[], Awaitable[tuple[int, list[str]]]]


@asynccontextmanager
async def _dispatch(
    config: DispatchConfig, kafka: TansuBroker, mqtt_port: int
) -> AsyncIterator[Probe]:
    service = build_dispatch_service(
        config,
        KafkaConnection(
            bootstrap=kafka.bootstrap, flavour=KafkaFlavour.TANSU, session_timeout_ms=6000
        ),
        MqttConnection(port=mqtt_port, keepalive_s=5),
    )
    server = MetricsServer(0, service.health, host="127.0.0.1", registry=service.metrics.registry)
    server.start()
    client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}")

    async def probe() -> tuple[int, list[str]]:
        res = await client.get("/readyz")
        body: dict[str, Any] = res.json()
        return res.status_code, body["failing"]

    await service.start()
    try:
        await _until(probe, (200, []), "/readyz 200 at the start")
        yield probe
    finally:
        await service.stop()
        await client.aclose()
        server.stop()


async def _until(probe: Probe, expected: tuple[int, list[str]], what: str) -> None:
    async def is_now() -> bool:
        return await probe() == expected

    await wait_for(is_now, 45, what=what)


async def test_the_mqtt_broker_killed_and_restarted(
    kafka: TansuBroker, mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    config = short_config(tmp_path, ledger_probe_interval_s=0.2)
    async with _dispatch(config, kafka, mosquitto.port) as probe:
        mosquitto.process.kill()
        await _until(probe, (503, ["mqtt.connected"]), "503 naming the MQTT session")
        again = start_mosquitto(tmp_path / "mosquitto", port=mosquitto.port)
        try:
            await _until(probe, (200, []), "200 once the broker is back")
        finally:
            again.process.stop()


async def test_the_sqlite_ledger_moved_away_and_back(
    kafka: TansuBroker, mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    """The open connection would go on writing to a file nobody will find again: a restarted
    dispatch would open a new, empty ledger there. Not ready while the file is gone."""
    config = short_config(tmp_path, ledger_probe_interval_s=0.2)
    ledger, aside = tmp_path / "ledger.db", tmp_path / "ledger.db.aside"
    async with _dispatch(config, kafka, mosquitto.port) as probe:
        ledger.rename(aside)
        await _until(probe, (503, ["ledger.reachable"]), "503 naming the ledger")
        aside.rename(ledger)
        await _until(probe, (200, []), "200 once the file is back")


async def test_the_postgresql_ledger_stopped_and_started(
    kafka: TansuBroker, mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    reason = postgres.missing_reason()
    if reason is not None:
        pytest.skip(reason)
    with postgres.postgres_server() as admin:
        url = postgres.fresh_database(admin)
        config = short_config(tmp_path, ledger_probe_interval_s=0.2, database_url=SecretStr(url))
        async with _dispatch(config, kafka, mosquitto.port) as probe:
            with postgres.stopped(admin):
                await _until(probe, (503, ["ledger.reachable"]), "503 naming the ledger")
            # The connection the server dropped is replaced: no dispatch restart needed.
            await _until(probe, (200, []), "200 once the server is back")


async def test_the_dispatch_command_names_a_frozen_kafka(
    kafka: TansuBroker, mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    """Consumers keep their assignment while the cluster is frozen (SIGSTOP): the command's
    own probe, `kafka.reachable`, is what says 503."""
    port = free_port()
    flags = f"--bootstrap {kafka.bootstrap} --kafka-flavour tansu --mqtt-port {mosquitto.port}"
    flags += f" --console-port 0 --database-url sqlite:///{tmp_path}/ledger.db"
    flags += f" --registry {EXAMPLE_DIR} --metrics-port {port}"
    argv = [sys.executable, "-m", "firewatch", "dispatch", *flags.split()]

    async def probe() -> tuple[int, list[str]]:
        try:
            async with httpx.AsyncClient() as client:
                res = await client.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
        except httpx.HTTPError:
            return 0, []  # not listening yet
        return res.status_code, res.json()["failing"]

    with ManagedProcess("dispatch", argv, log_path=tmp_path / "dispatch.log"):
        await _until(probe, (200, []), "the dispatch process ready")
        kafka.process.pause()
        try:
            await _until(probe, (503, ["kafka.reachable"]), "503 naming Kafka")
        finally:
            kafka.process.resume()
        await _until(probe, (200, []), "ready once Kafka answers")
