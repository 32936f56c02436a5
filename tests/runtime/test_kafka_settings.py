"""One Kafka client configuration: acks and idempotence per flavour, manual commits, group
timeouts from the connection, and security settings passed through (TLS policy, SASL) to
aiokafka's producers, consumers and admin clients and to Faust alike."""

from __future__ import annotations

import ssl

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth
from pydantic import SecretStr, ValidationError

from events.connections import KafkaConnection, KafkaFlavour, MqttConnection
from firewatch.embedded.tansu import TansuBroker
from firewatch.settings import Settings
from runtime.kafka import (
    admin_settings,
    consumer_settings,
    faust_credentials,
    producer_settings,
    security_settings,
)
from tests.kafka_round_trip import round_trip
from tests.pki import Pki


def test_acks_all_everywhere_and_idempotence_only_on_apache_kafka() -> None:
    apache = producer_settings(KafkaConnection(), client_id="p")
    tansu = producer_settings(KafkaConnection(flavour=KafkaFlavour.TANSU), client_id="p")
    assert apache["acks"] == tansu["acks"] == "all"
    assert apache["enable_idempotence"] is True
    assert tansu["enable_idempotence"] is False  # Tansu rejects aiokafka's InitProducerId


def test_consumers_commit_by_hand_with_the_connections_group_timeouts() -> None:
    conn = KafkaConnection(session_timeout_ms=8_000, heartbeat_interval_ms=500)
    settings = consumer_settings(conn, client_id="c", group_id="g", fetch_max_wait_ms=20)
    assert settings["enable_auto_commit"] is False
    assert (settings["session_timeout_ms"], settings["heartbeat_interval_ms"]) == (8_000, 500)
    assert (settings["group_id"], settings["fetch_max_wait_ms"]) == ("g", 20)


def test_plaintext_has_no_tls_context_and_sasl_needs_its_credentials() -> None:
    assert security_settings(KafkaConnection(), "x")["ssl_context"] is None
    with pytest.raises(ValueError, match="sasl_username"):
        security_settings(KafkaConnection(security_protocol="SASL_PLAINTEXT"), "x")
    with pytest.raises(ValidationError):
        KafkaConnection.model_validate({"security_protocol": "TLS"})  # a typo is refused


def test_sasl_over_tls_passes_credentials_and_the_tls_policy(pki: Pki) -> None:
    conn = KafkaConnection(
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username="ingest",
        sasl_password=SecretStr("s3cret"),
        ssl_ca_file=pki.ca,
        ssl_cert_file=pki.client_cert,
        ssl_key_file=pki.client_key,
    )
    settings = security_settings(conn, "ingest-1")
    context = settings["ssl_context"]
    assert context is not None
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname
    assert (settings["sasl_mechanism"], settings["sasl_plain_password"]) == (
        "SCRAM-SHA-512",
        "s3cret",
    )
    assert "s3cret" not in repr(conn)  # a SecretStr until the client needs it


async def test_aiokafka_accepts_the_settings_as_they_are(pki: Pki) -> None:
    conn = KafkaConnection(security_protocol="SSL", ssl_ca_file=pki.ca, bootstrap="127.0.0.1:1")
    producer = AIOKafkaProducer(**producer_settings(conn, client_id="p"))
    consumer = AIOKafkaConsumer(**consumer_settings(conn, client_id="c", group_id="g"))
    assert producer.client._security_protocol == "SSL"  # built, never started
    assert consumer._client._ssl_context is not None


@pytest.mark.integration
async def test_a_producer_and_consumer_built_from_the_settings_work_on_tansu(
    kafka: TansuBroker,
) -> None:
    conn = KafkaConnection(bootstrap=kafka.bootstrap, flavour=KafkaFlavour.TANSU)
    assert await round_trip(conn, "settings-test", b"x") == (b"k", b"x")


def test_faust_gets_the_same_security_as_every_aiokafka_client(pki: Pki) -> None:
    """The worker's credentials, put through Faust's own translation to aiokafka arguments,
    equal what runtime.kafka gives every other client."""
    plain = KafkaConnection()
    tls = KafkaConnection(security_protocol="SSL", ssl_ca_file=pki.ca)
    sasl = KafkaConnection(
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-256",
        sasl_username="worker",
        sasl_password=SecretStr("s3cret"),
        ssl_ca_file=pki.ca,
    )
    assert faust_credentials(plain) is None
    for conn in (tls, sasl):
        faust_side = credentials_to_aiokafka_auth(faust_credentials(conn))
        ours: dict[str, object] = dict(security_settings(conn, "w"))
        for key, value in faust_side.items():
            if key == "ssl_context":
                assert value.verify_mode is ssl.CERT_REQUIRED
                assert value.check_hostname
            else:
                assert value == ours[key], key
    assert credentials_to_aiokafka_auth(faust_credentials(sasl))["sasl_plain_password"] == "s3cret"


async def test_admin_clients_take_the_same_security_settings(pki: Pki) -> None:
    conn = KafkaConnection(security_protocol="SSL", ssl_ca_file=pki.ca, bootstrap="127.0.0.1:1")
    settings = admin_settings(conn, client_id="fw-topics")
    admin = AIOKafkaAdminClient(**settings)  # built, never started
    assert admin._client._security_protocol == "SSL"
    assert settings["ssl_context"] is not None
    assert settings["ssl_context"].verify_mode is ssl.CERT_REQUIRED


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"ssl_ca_file": "ca.pem"}, "ssl_ca_file set but security_protocol PLAINTEXT has no TLS"),
        (
            {"security_protocol": "SSL", "sasl_username": "u", "sasl_password": "p"},
            "sasl_username, sasl_password set but security_protocol SSL has no SASL",
        ),
        ({"security_protocol": "SASL_SSL"}, "SASL_SSL needs sasl_username and sasl_password"),
        (
            {"security_protocol": "SSL", "ssl_key_file": "k.pem"},
            "ssl_key_file set without ssl_cert_file",
        ),
    ],
)
def test_settings_the_protocol_would_ignore_are_refused(fields: dict[str, str], named: str) -> None:
    """A CA or a login the protocol does not use means protection the operator believes in
    and does not have: refused when the settings load, not discovered in production."""
    with pytest.raises(ValidationError, match=named):
        KafkaConnection.model_validate(fields)


def test_an_mqtt_client_certificate_without_a_ca_is_refused() -> None:
    with pytest.raises(ValidationError, match="tls_cert_file given without tls_ca_file"):
        MqttConnection.model_validate({"tls_cert_file": "client.pem"})
    with pytest.raises(ValidationError, match="tls_insecure given without tls_ca_file"):
        MqttConnection(tls_insecure=True)


def test_the_environment_configures_kafka_security(
    monkeypatch: pytest.MonkeyPatch, pki: Pki
) -> None:
    for name, value in {
        "FIREWATCH_KAFKA__SECURITY_PROTOCOL": "SASL_SSL",
        "FIREWATCH_KAFKA__SASL_MECHANISM": "SCRAM-SHA-512",
        "FIREWATCH_KAFKA__SASL_USERNAME": "ingest",
        "FIREWATCH_KAFKA__SASL_PASSWORD": "from-the-environment",
        "FIREWATCH_KAFKA__SSL_CA_FILE": str(pki.ca),
    }.items():
        monkeypatch.setenv(name, value)
    kafka = Settings().kafka
    assert (kafka.security_protocol, kafka.sasl_mechanism) == ("SASL_SSL", "SCRAM-SHA-512")
    assert kafka.ssl_ca_file == pki.ca
    assert "from-the-environment" not in Settings().masked_json()
    monkeypatch.setenv("FIREWATCH_KAFKA__SECURITY_PROTOCOL", "PLAINTEXT")
    with pytest.raises(ValidationError, match="has no TLS"):
        Settings()
