"""The bridge over TLS with a password, on a real Mosquitto: the production connection path
(and the buffered reader's handling of bytes the TLS layer already decrypted)."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from pydantic import SecretStr

from events.connections import KafkaConnection, KafkaFlavour, MqttConnection
from events.topics import Topics
from firewatch.embedded.process import ManagedProcess, free_port, wait_for_port
from firewatch.embedded.tansu import TansuBroker
from ingest.bridge import Bridge, BridgeOptions
from ingest.config import IngestConfig
from tests.ingest.support import KafkaReader, stream, wait_for

pytestmark = pytest.mark.integration


@dataclass
class TlsBroker:
    port: int
    ca_file: Path


@pytest.fixture
def tls_broker(tmp_path: Path) -> Iterator[TlsBroker]:
    if shutil.which("openssl") is None or shutil.which("mosquitto_passwd") is None:
        pytest.skip("openssl or mosquitto_passwd is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    # pytest's temporary paths hold no spaces: one command line, split.
    command = f"req -x509 -newkey rsa:2048 -nodes -days 1 -keyout {key} -out {cert}"
    command += " -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1"
    subprocess.run(["openssl", *command.split()], check=True, capture_output=True)
    passwd = tmp_path / "passwd"
    passwd.touch()
    # The publisher logs in as `ingest`; the bridge's two sessions as ingest-priority and
    # ingest-telemetry (ingest/bridge.py lane_login: one user per session).
    for user in ("ingest", "ingest-priority", "ingest-telemetry"):
        subprocess.run(["mosquitto_passwd", "-b", str(passwd), user, "s3cret"], check=True)
    port = free_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(
        # user root: stay the owner of the test files (see firewatch/embedded/mosquitto.py)
        f"user root\nlistener {port} 127.0.0.1\ncafile {cert}\ncertfile {cert}\n"
        f"keyfile {key}\nallow_anonymous false\npassword_file {passwd}\n",
        encoding="utf-8",
    )
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    with ManagedProcess("mosquitto-tls", [binary, "-c", str(conf)]) as proc:
        assert proc.proc is not None
        wait_for_port("127.0.0.1", port, 10, proc.proc)
        yield TlsBroker(port, cert)


def _publish_tls(broker: TlsBroker, messages: list[tuple[str, bytes]]) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.username_pw_set("ingest", "s3cret")
    client.tls_set(ca_certs=str(broker.ca_file))
    client.max_inflight_messages_set(500)
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    try:
        infos = [client.publish(t, p, qos=1) for t, p in messages]
        for info in infos:
            info.wait_for_publish(30)
    finally:
        client.disconnect()
        client.loop_stop()


async def test_the_bridge_reads_over_tls_with_a_password(
    tls_broker: TlsBroker, kafka: TansuBroker
) -> None:
    conn = MqttConnection(
        port=tls_broker.port,
        username="ingest",
        password=SecretStr("s3cret"),
        tls_ca_file=tls_broker.ca_file,
    )
    options = BridgeOptions(
        conn, KafkaConnection(bootstrap=kafka.bootstrap, flavour=KafkaFlavour.TANSU), IngestConfig()
    )
    bridge = Bridge(options)
    await bridge.start()
    try:
        await asyncio.wait_for(bridge.wait_subscribed(), 10)
        await asyncio.to_thread(_publish_tls, tls_broker, stream(20, 100))
        await wait_for(lambda: bridge.stats.acked == 2000, 60, "2000 acked over TLS")
        async with KafkaReader(kafka.bootstrap, Topics.READINGS) as reader:
            await wait_for(lambda: reader.count(Topics.READINGS) >= 2000, 30, "2000 on Kafka")
            got = reader.seqs_by_device(Topics.READINGS)
        assert len(got) == 20
        assert all(seqs == set(range(100)) for seqs in got.values())
    finally:
        await bridge.stop()
