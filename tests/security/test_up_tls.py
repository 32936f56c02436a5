"""`firewatch up --tls` (issue 12 item 3): the embedded Mosquitto has a TLS listener only, with a
CA the stack made for itself; the ready line names the CA file, every service and simulated
gateway connects with it, and a client speaking plain MQTT, or trusting another CA, gets
nothing. Plus the certificate life cycle of firewatch/embedded/tls.py."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import ssl
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from events.connections import MqttConnection
from events.topics import Topics
from firewatch.embedded.tls import CA_KEY_FILE, load_or_create_tls
from simulators import runner, scenarios
from simulators.mqtt.fastpub import connect_packet
from tests.ingest.support import KafkaReader
from tests.pki import Pki
from tests.polling import wait_for


@pytest.fixture
async def up_tls(tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    argv = [sys.executable, "-m", "firewatch", "up", "--tls", "--data-dir", str(tmp_path / "st")]
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 120)
        assert line, (await proc.stderr.read()).decode() if proc.stderr else "no ready line"
        yield json.loads(line)
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(proc.wait(), 60)


def _answer_to_plain_mqtt(host: str, port: int) -> str:
    """What the listener does with a plain-text CONNECT: a CONNACK would start with 0x20."""
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(connect_packet("fw-plain", MqttConnection(), keepalive_s=30))
        try:
            answer = sock.recv(4)
        except ConnectionResetError:
            return "dropped"
        return "dropped" if answer == b"" else f"answered {answer.hex()}"


def _handshake_error(host: str, port: int, ca_file: Path, name: str | None = None) -> str:
    """The certificate check of a TLS handshake to host:port, dialling it as `name`."""
    context = ssl.create_default_context(cafile=str(ca_file))
    with socket.create_connection((host, port), timeout=10) as sock:
        try:
            context.wrap_socket(sock, server_hostname=name or host).close()
        except ssl.SSLCertVerificationError as exc:
            return str(exc.verify_message)
    return "accepted"


@pytest.mark.integration
async def test_up_tls_serves_mqtt_over_tls_only(up_tls: dict[str, Any], pki: Pki) -> None:
    ready = up_tls
    host, port = ready["mqtt_host"], ready["mqtt_port"]
    ca = Path(ready["credentials"]["mqtt_ca"])
    assert ready["mqtt"] == f"mqtts://{host}:{port}"
    assert ready["simulator_env"]["FIREWATCH_MQTT__TLS_CA_FILE"] == str(ca)
    assert _answer_to_plain_mqtt(host, port) == "dropped"
    # Mosquitto sends the stack's CA along; a client trusting another CA refuses the chain.
    stranger = _handshake_error(host, port, pki.stranger_ca)
    assert stranger == "self-signed certificate in certificate chain"
    assert _handshake_error(host, port, ca) == "accepted"
    misnamed = _handshake_error(host, port, ca, name="localhost")  # the certificate names the IP
    assert misnamed == "Hostname mismatch, certificate is not valid for 'localhost'."
    # The services got there (the bridge subscribed, dispatch's MQTT session up: "ready"),
    # and a simulated gateway configured from the ready line reaches Kafka through the bridge.
    env = ready["simulator_env"]
    conn = MqttConnection(
        host=env["FIREWATCH_MQTT__HOST"],
        port=int(env["FIREWATCH_MQTT__PORT"]),
        gateway_credentials=Path(env["FIREWATCH_MQTT__GATEWAY_CREDENTIALS"]),
        tls_ca_file=Path(env["FIREWATCH_MQTT__TLS_CA_FILE"]),
    )
    async with KafkaReader(ready["kafka_bootstrap"], Topics.READINGS) as reader:
        # Timestamps end now: inside the bridge's window of accepted readings.
        start_at = datetime.now(UTC) - timedelta(seconds=10)
        sim = scenarios.load_named("flat_fire").build(start_at=start_at)
        result = await runner.run_simulation(sim, conn, until_s=5)
        assert result.messages > 0
        await wait_for(
            lambda: reader.count(Topics.READINGS) >= result.messages,
            30,
            what="every reading published over TLS on Kafka",
        )


def _pem(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_the_certificate_is_reused_reissued_for_a_new_address_and_rotated(
    tmp_path: Path,
) -> None:
    first = load_or_create_tls(tmp_path, "127.0.0.1")
    ca, cert = _pem(first.ca_file), _pem(first.cert_file)
    again = load_or_create_tls(tmp_path, "127.0.0.1")
    assert (_pem(again.ca_file), _pem(again.cert_file)) == (ca, cert)  # a restart keeps both
    moved = load_or_create_tls(tmp_path, "127.0.0.2")
    assert _pem(moved.ca_file) == ca  # clients keep the CA file they were given
    assert _pem(moved.cert_file) != cert
    rotated = load_or_create_tls(tmp_path, "127.0.0.2", rotate=True)
    assert _pem(rotated.ca_file) != ca
    for key in (tmp_path / CA_KEY_FILE, rotated.key_file):
        assert key.stat().st_mode & 0o077 == 0, key  # keys readable by their owner only


def test_the_certificate_names_the_listen_address_and_chains_to_the_ca(tmp_path: Path) -> None:
    tls = load_or_create_tls(tmp_path, "127.0.0.1")
    strict = ["openssl", "verify", "-x509_strict", "-CAfile", str(tls.ca_file)]
    verified = subprocess.run(
        [*strict, str(tls.cert_file)], capture_output=True, text=True, check=False
    )
    assert verified.stdout.strip() == f"{tls.cert_file}: OK", verified.stderr
    text = ["openssl", "x509", "-noout", "-ext", "subjectAltName", "-in", str(tls.cert_file)]
    shown = subprocess.run(text, capture_output=True, text=True, check=True).stdout
    assert "IP Address:127.0.0.1" in shown
