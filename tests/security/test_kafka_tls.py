"""Kafka over TLS with a self-signed CA (issue 12 item 3): clients built by runtime.kafka work
through a TLS-only Kafka, and a client that does not trust our CA, or dials a name the broker's
certificate does not carry, is refused at the handshake."""

from __future__ import annotations

import json
import logging

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError

from alerts.ledger.audit_checkpoints import Checkpoint
from alerts.ledger.audit_kafka import publish_checkpoint, read_kafka_checkpoints
from events.codec import encode_model, kafka_headers
from events.connections import KafkaConnection
from events.topics import Topics
from firewatch.commands.eval import read_kafka_alerts
from firewatch.commands.readback import read_back
from runtime.kafka import producer_settings
from simulators.readback import Readback
from tests.alerts.rig import make_alert
from tests.ingest.support import smoke
from tests.kafka_round_trip import round_trip
from tests.security.conftest import TlsKafka

pytestmark = pytest.mark.integration


async def _refusal(conn: KafkaConnection, caplog: pytest.LogCaptureFixture) -> str:
    """Start a producer that must fail; what aiokafka logged about the failed connection."""
    producer = AIOKafkaProducer(**producer_settings(conn, client_id="fw-refused"))
    with caplog.at_level(logging.ERROR, logger="aiokafka"), pytest.raises(KafkaConnectionError):
        await producer.start()
    await producer.stop()
    return "\n".join(r.getMessage() for r in caplog.records)


async def test_a_producer_and_consumer_work_through_tls(tls_kafka: TlsKafka) -> None:
    got = await round_trip(tls_kafka.connection(), "fw-tls-test", b"over tls")
    assert got == (b"k", b"over tls")
    assert tls_kafka.proxy.connections > 0  # it did go through the TLS side


async def test_a_client_that_does_not_trust_our_ca_is_refused(
    tls_kafka: TlsKafka, caplog: pytest.LogCaptureFixture
) -> None:
    logged = await _refusal(tls_kafka.connection(ssl_ca_file=tls_kafka.pki.stranger_ca), caplog)
    # The broker sends its own certificate; nothing the client trusts issued it.
    assert "certificate verify failed: unable to get local issuer certificate" in logged


async def test_the_system_store_does_not_trust_a_self_signed_ca(
    tls_kafka: TlsKafka, caplog: pytest.LogCaptureFixture
) -> None:
    logged = await _refusal(tls_kafka.connection(ssl_ca_file=None), caplog)
    assert "certificate verify failed" in logged


async def test_the_host_name_is_checked(
    tls_kafka: TlsKafka, caplog: pytest.LogCaptureFixture
) -> None:
    # The broker's certificate names 127.0.0.1 only; localhost reaches the same socket.
    conn = tls_kafka.connection(bootstrap=f"localhost:{tls_kafka.proxy.port}")
    logged = await _refusal(conn, caplog)
    assert "Hostname mismatch, certificate is not valid for 'localhost'" in logged


async def test_a_plaintext_client_gets_no_answer(tls_kafka: TlsKafka) -> None:
    conn = KafkaConnection(bootstrap=tls_kafka.bootstrap, request_timeout_ms=3000)
    producer = AIOKafkaProducer(**producer_settings(conn, client_id="fw-plain"))
    with pytest.raises(KafkaConnectionError):
        await producer.start()
    await producer.stop()


async def test_the_command_line_readers_work_through_tls(tls_kafka: TlsKafka) -> None:
    """`firewatch audit verify --kafka-bootstrap`, `eval --kafka` and the replay read-back
    read through the same TLS settings as the services."""
    conn = tls_kafka.connection()
    checkpoint = Checkpoint(seq=7, hash="ab" * 32, at=1.0, key_id="k1", mac="cd" * 32)
    alert = make_alert()
    reading = json.dumps(smoke("tls-d1", 5)).encode()
    producer = AIOKafkaProducer(**producer_settings(conn, client_id="fw-tls-readers"))
    await producer.start()
    try:
        await publish_checkpoint(producer, checkpoint)
        await producer.send_and_wait(Topics.ALERTS, encode_model(alert), key=b"c001")
        headers = kafka_headers("reading", "tls-d1:5", "fw-tls-readers")
        await producer.send_and_wait(Topics.READINGS, reading, key=b"tls-d1", headers=headers)
    finally:
        await producer.stop()
    assert await read_kafka_checkpoints(conn, idle_s=1.0) == [checkpoint]
    assert [a.alert_id for a in await read_kafka_alerts(conn, idle_s=1.0)] == [alert.alert_id]
    tally = Readback.of([reading], started_ms=0)
    assert await read_back(conn, tally, idle_s=1.0, timeout_s=30)
    assert tally.accepted == 1
