"""The pipeline over TLS end to end (issue 12 item 3): Mosquitto with a TLS listener only, and a
TLS-only Kafka (tests/security/conftest.py). `firewatch ingest`, `firewatch worker` and
`firewatch sink` run as processes configured from FIREWATCH_* variables alone, the way they
are deployed; a device's readings published over MQTT TLS become a fire alert and a point in
the time-series database."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer

from events.alerts import Alert, AlertKind
from events.connections import MqttConnection
from events.topics import Channel, MqttTopic, Topics
from firewatch.embedded.mosquitto import BrokerTls, MosquittoBroker, start_mosquitto
from firewatch.embedded.process import ManagedProcess
from firewatch.embedded.victoria import VictoriaMetrics
from runtime.kafka import consumer_settings
from runtime.mqtt import SessionOptions, connect, new_client
from tests.pki import Pki
from tests.polling import wait_for
from tests.security.conftest import TlsKafka

pytestmark = pytest.mark.integration

DEVICE = "tls-smoke-1"
COMPOUND, GATEWAY = "c-tls", "gw-tls"
START_S = 120.0  # Faust's import and first group join, on 2 busy cores


@pytest.fixture
def tls_mosquitto(tmp_path: Path, pki: Pki) -> Iterator[MosquittoBroker]:
    tls = BrokerTls(pki.ca, pki.server_cert, pki.server_key)
    broker = start_mosquitto(tmp_path / "mosquitto", log_path=tmp_path / "mosquitto.log", tls=tls)
    try:
        yield broker
    finally:
        broker.process.stop()


@dataclass
class Services:
    """`python -m firewatch ...` children; each named process's log is in `log_dir`."""

    log_dir: Path
    env: dict[str, str]
    procs: dict[str, ManagedProcess] = field(default_factory=dict)

    def start(self, name: str, *argv: str) -> None:
        command = [sys.executable, "-m", "firewatch", name, *argv]
        log = self.log_dir / f"{name}.log"
        self.procs[name] = ManagedProcess(name, command, log, self.env).start()

    async def ready(self, name: str, ready_file: Path) -> None:
        def is_ready() -> bool:
            assert self.procs[name].is_running(), self.log(name)
            return ready_file.exists()

        await wait_for(is_ready, START_S, what=f"{name} ready", every_s=0.2)

    def log(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        for proc in reversed(self.procs.values()):
            proc.stop()


def _readings(now: datetime) -> list[tuple[str, dict[str, Any]]]:
    """A smoke detector's telemetry, then its own alarm (the priority lane)."""
    base: dict[str, Any] = {"device_id": DEVICE, "compound_id": COMPOUND, "gateway_id": GATEWAY}
    base["observed_at"] = now.isoformat()
    telemetry = {
        "kind": "smoke",
        "seq": 1,
        "obscuration_db_per_m": 0.02,
        "temperature_c": 24.5,
        "battery_pct": 90.0,
    }
    alarm = {"kind": "device_alarm", "seq": 2, "alarm_type": "smoke"}
    return [
        (MqttTopic.device(COMPOUND, GATEWAY, DEVICE, Channel.TELEMETRY), {**base, **telemetry}),
        (MqttTopic.device(COMPOUND, GATEWAY, DEVICE, Channel.ALARM), {**base, **alarm}),
    ]


def _publish_over_tls(conn: MqttConnection, messages: list[tuple[str, dict[str, Any]]]) -> None:
    client = new_client("fw-tls-device", conn)
    connect(client, conn, SessionOptions())
    client.loop_start()
    try:
        for topic, body in messages:
            client.publish(topic, json.dumps(body).encode(), qos=1).wait_for_publish(30)
    finally:
        client.disconnect()
        client.loop_stop()


async def _fire_alerts(tls_kafka: TlsKafka) -> list[Alert]:
    """The alerts topic from the beginning, read through TLS like every other client."""
    consumer = AIOKafkaConsumer(
        Topics.ALERTS,
        **consumer_settings(tls_kafka.connection(), client_id="fw-tls-reader", group_id=None),
    )
    await consumer.start()
    try:
        batch = await consumer.getmany(timeout_ms=1000)
    finally:
        await consumer.stop()
    alerts = [Alert.model_validate_json(r.value) for recs in batch.values() for r in recs]
    return [a for a in alerts if a.device_id == DEVICE and a.kind is AlertKind.FIRE]


def _stored_points(victoria: VictoriaMetrics) -> list[dict[str, Any]]:
    return [s for s in victoria.export("smoke_.*") if s["metric"].get("device") == DEVICE]


async def test_a_reading_over_mqtt_tls_reaches_an_alert_and_the_sink(
    tls_kafka: TlsKafka,
    tls_mosquitto: MosquittoBroker,
    victoria: VictoriaMetrics,
    pki: Pki,
    tmp_path: Path,
) -> None:
    mqtt = MqttConnection(port=tls_mosquitto.port, tls_ca_file=pki.ca)
    env = {
        **tls_kafka.env(),
        "FIREWATCH_MQTT__HOST": mqtt.host,
        "FIREWATCH_MQTT__PORT": str(mqtt.port),
        "FIREWATCH_MQTT__TLS_CA_FILE": str(pki.ca),
        "FIREWATCH_STREAMS__DATA_DIR": str(tmp_path / "faust"),
        "FIREWATCH_SINK__URL": victoria.url,
        "FIREWATCH_SINK__FLUSH_INTERVAL_S": "0.2",
    }
    services = Services(tmp_path, env)
    try:
        services.start("ingest", "--ready-file", str(tmp_path / "ingest.ready"))
        services.start("worker", "--ready-file", str(tmp_path / "worker.ready"))
        services.start("sink")
        await services.ready("ingest", tmp_path / "ingest.ready")
        await services.ready("worker", tmp_path / "worker.ready")
        await asyncio.to_thread(_publish_over_tls, mqtt, _readings(datetime.now(UTC)))

        fires = await wait_for(
            lambda: _fire_alerts(tls_kafka), START_S, what="a fire alert", every_s=0.5
        )
        assert fires[0].compound_id == COMPOUND
        points = await wait_for(
            lambda: _stored_points(victoria), START_S, what="the reading in the sink", every_s=0.5
        )
        assert {p["metric"]["__name__"] for p in points} >= {"smoke_obscuration_db_per_m"}
        for name in services.procs:
            assert services.procs[name].is_running(), services.log(name)
    finally:
        services.stop()
