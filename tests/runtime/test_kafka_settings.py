"""One Kafka client configuration: acks and idempotence per flavour, manual commits, group
timeouts from the connection, and security settings passed through (TLS policy, SASL)."""

from __future__ import annotations

import ssl

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from pydantic import SecretStr, ValidationError

from events.connections import KafkaConnection, KafkaFlavour
from events.topics import Topics
from firewatch.embedded.tansu import TansuBroker
from runtime.kafka import consumer_settings, producer_settings, security_settings
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
    producer = AIOKafkaProducer(**producer_settings(conn, client_id="settings-test"))
    await producer.start()
    try:
        await producer.send_and_wait(Topics.DEAD_LETTER, b"x", key=b"k")
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        Topics.DEAD_LETTER,
        **consumer_settings(conn, client_id="settings-test", group_id="settings-test"),
    )
    await consumer.start()
    try:
        got = await consumer.getone()
        assert (got.key, got.value) == (b"k", b"x")
    finally:
        await consumer.stop()
