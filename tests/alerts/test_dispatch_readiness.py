"""Dispatch on runtime's metrics-and-health server: `/readyz` is 503 naming what is missing
until both consumer groups are assigned, the MQTT session is up and the ledger answers, 200
then, and 503 again naming the ledger when it stops answering (real Tansu and Mosquitto)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from alerts.service.factory import build_dispatch_service
from events.connections import KafkaConnection, KafkaFlavour, MqttConnection
from firewatch.embedded.mosquitto import MosquittoBroker
from firewatch.embedded.tansu import TansuBroker
from runtime.metrics_server import MetricsServer
from tests.polling import wait_for

from .conftest import short_config

pytestmark = pytest.mark.integration

CHECKS = {"kafka.alerts.assigned", "kafka.readback.assigned", "mqtt.connected", "ledger.reachable"}


async def _ready(client: httpx.AsyncClient) -> tuple[int, dict[str, Any]]:
    res = await client.get("/readyz")
    return res.status_code, res.json()


async def test_readyz_names_what_dispatch_waits_for(
    kafka: TansuBroker, mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    service = build_dispatch_service(
        short_config(tmp_path, ledger_probe_interval_s=0.2),
        KafkaConnection(
            bootstrap=kafka.bootstrap, flavour=KafkaFlavour.TANSU, session_timeout_ms=6000
        ),
        MqttConnection(port=mosquitto.port),
    )
    server = MetricsServer(0, service.health, host="127.0.0.1", registry=service.metrics.registry)
    server.start()
    client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}")
    try:
        status, body = await _ready(client)
        assert (status, set(body["failing"])) == (503, CHECKS)  # nothing is up yet
        await service.start()
        try:

            async def is_ready() -> bool:
                return (await _ready(client))[0] == 200

            await wait_for(is_ready, 30, what="/readyz 200")
            status, body = await _ready(client)
            assert body["checks"] == dict.fromkeys(CHECKS, True)
            metrics = (await client.get("/metrics")).text
            assert "firewatch_dispatch_open_incidents" in metrics
            # The ledger stops answering (its connection is gone): the next probe says so.
            service.ledger.db.close()

            async def names_the_ledger() -> bool:
                status, body = await _ready(client)
                return status == 503 and body["failing"] == ["ledger.reachable"]

            await wait_for(names_the_ledger, 10, what="/readyz naming the ledger")
        finally:
            await service.stop()
    finally:
        await client.aclose()
        server.stop()
