"""One MQTT connection factory, one TLS policy, checked on a real Mosquitto with TLS: the
broker's certificate must chain to our CA (CERT_REQUIRED), the host name is checked unless the
connection says otherwise, a client certificate is presented when one is configured."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from paho.mqtt.enums import MQTTProtocolVersion
from pydantic import SecretStr

from events.connections import MqttConnection
from firewatch.embedded.process import ManagedProcess, free_port, wait_for_port
from runtime.mqtt import SessionOptions, connect, connect_properties, new_client, tls_context
from tests.pki import Pki

USER, PASSWORD = "ingest", "s3cret"


@dataclass(frozen=True)
class TlsBroker:
    port: int
    requires_client_cert: bool


def _start_broker(tmp: Path, pki: Pki, *, require_certificate: bool) -> tuple[ManagedProcess, int]:
    if shutil.which("mosquitto_passwd") is None:
        pytest.skip("mosquitto_passwd is not installed")
    passwd = tmp / "passwd"
    passwd.touch()
    subprocess.run(["mosquitto_passwd", "-b", str(passwd), USER, PASSWORD], check=True)
    port = free_port()
    conf = tmp / "mosquitto.conf"
    conf.write_text(
        # user root: stay the owner of the test files (see firewatch/embedded/mosquitto.py)
        f"user root\nlistener {port} 127.0.0.1\ncafile {pki.ca}\ncertfile {pki.server_cert}\n"
        f"keyfile {pki.server_key}\nrequire_certificate {str(require_certificate).lower()}\n"
        f"allow_anonymous false\npassword_file {passwd}\n",
        encoding="utf-8",
    )
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    proc = ManagedProcess("mosquitto-tls", [binary, "-c", str(conf)]).start()
    assert proc.proc is not None
    wait_for_port("127.0.0.1", port, 10, proc.proc)
    return proc, port


@pytest.fixture
def broker(tmp_path: Path, pki: Pki, request: pytest.FixtureRequest) -> Iterator[TlsBroker]:
    require = bool(getattr(request, "param", False))
    proc, port = _start_broker(tmp_path, pki, require_certificate=require)
    try:
        yield TlsBroker(port, require)
    finally:
        proc.stop()


def _conn(broker: TlsBroker, pki: Pki, **overrides: object) -> MqttConnection:
    fields: dict[str, object] = {
        "host": "127.0.0.1",
        "port": broker.port,
        "username": USER,
        "password": SecretStr(PASSWORD),
        "tls_ca_file": pki.ca,
    }
    return MqttConnection.model_validate({**fields, **overrides})


def _connect(conn: MqttConnection) -> str:
    """Connect with the factory's client on paho's thread: "accepted", the broker's refusal,
    or the TLS error that stopped the handshake."""
    client = new_client("fw-factory-test", conn)
    answered = threading.Event()
    outcome: list[str] = []

    def on_connect(c: object, u: object, f: object, reason: object, p: object) -> None:
        outcome.append(f"refused: {reason}" if getattr(reason, "is_failure", True) else "accepted")
        answered.set()

    client.on_connect = on_connect
    try:
        connect(client, conn, SessionOptions())
    except ssl.SSLCertVerificationError as exc:
        return f"tls: {exc.verify_message}"
    except (ssl.SSLError, OSError) as exc:
        return f"tls: {exc!r}"  # e.g. the broker hung up on a handshake without a certificate
    client.loop_start()
    try:
        return outcome[0] if answered.wait(5) else "no answer"
    finally:
        client.disconnect()
        client.loop_stop()


def test_the_tls_policy_requires_a_certificate_chained_to_our_ca(pki: Pki) -> None:
    conn = MqttConnection(tls_ca_file=pki.ca)
    context = tls_context(conn)
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2
    insecure = tls_context(conn.model_copy(update={"tls_insecure": True}))
    assert insecure.verify_mode is ssl.CERT_REQUIRED  # the chain is still checked
    assert not insecure.check_hostname
    with pytest.raises(ValueError, match="CA file"):
        tls_context(MqttConnection())


def test_credentials_and_protocol_come_from_the_connection(pki: Pki) -> None:
    conn = MqttConnection(username=USER, password=SecretStr(PASSWORD))
    v311 = new_client("c1", conn, protocol=MQTTProtocolVersion.MQTTv311)
    assert v311.protocol == MQTTProtocolVersion.MQTTv311
    assert v311.username == USER
    assert new_client("c2", MqttConnection()).protocol == MQTTProtocolVersion.MQTTv5
    props = connect_properties(SessionOptions(False, session_expiry_s=60, receive_maximum=7))
    # paho sets property attributes dynamically (mypy cannot see them): read them back.
    fields = vars(props)
    assert (fields["SessionExpiryInterval"], fields["ReceiveMaximum"]) == (60, 7)


@pytest.mark.integration
def test_a_broker_signed_by_our_ca_is_accepted(broker: TlsBroker, pki: Pki) -> None:
    assert _connect(_conn(broker, pki)) == "accepted"


@pytest.mark.integration
def test_a_broker_our_ca_did_not_sign_is_refused(broker: TlsBroker, pki: Pki) -> None:
    outcome = _connect(_conn(broker, pki, tls_ca_file=pki.stranger_ca))
    assert outcome == "tls: self-signed certificate in certificate chain"


@pytest.mark.integration
def test_the_host_name_is_checked_unless_the_connection_says_insecure(
    broker: TlsBroker, pki: Pki
) -> None:
    # The certificate names 127.0.0.1, not localhost.
    outcome = _connect(_conn(broker, pki, host="localhost"))
    assert outcome == "tls: Hostname mismatch, certificate is not valid for 'localhost'."
    assert _connect(_conn(broker, pki, host="localhost", tls_insecure=True)) == "accepted"


@pytest.mark.integration
def test_a_wrong_password_is_refused(broker: TlsBroker, pki: Pki) -> None:
    assert _connect(_conn(broker, pki, password=SecretStr("wrong"))).startswith("refused")


@pytest.mark.integration
@pytest.mark.parametrize("broker", [True], indirect=True)
def test_a_client_certificate_is_presented_when_configured(broker: TlsBroker, pki: Pki) -> None:
    assert broker.requires_client_cert
    # TLS 1.3: the broker checks the client certificate after the client's handshake ended,
    # then hangs up; no CONNACK ever comes.
    without = _connect(_conn(broker, pki))
    assert without in {"no answer", "refused: Unspecified error"} or without.startswith("tls: ")
    with_cert = _conn(broker, pki, tls_cert_file=pki.client_cert, tls_key_file=pki.client_key)
    assert _connect(with_cert) == "accepted"
