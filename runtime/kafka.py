"""One place that turns a KafkaConnection into client settings: aiokafka producers, consumers
and admin clients, and Faust's broker credentials. No Kafka client of ours is built without it
(tests/security/test_client_construction.py checks every construction site).

Per flavour (ARCHITECTURE.md, running it): acks=all everywhere; the idempotent producer only on
Apache Kafka (the embedded Tansu rejects aiokafka's InitProducerId: STACK-NOTES.md). Security
is passed through as configured: TLS with the CA of the connection (the system store when none
is given), certificate and host name always verified, an optional client certificate, SASL
PLAIN or SCRAM. Callers spread the result into the client: `AIOKafkaProducer(**settings)`.
"""

from __future__ import annotations

import ssl
from typing import Any, Literal, TypedDict

from events.connections import KafkaConnection

# aiokafka's default fetch wait is 500 ms, and Tansu answers a long poll only when it expires
# (STACK-NOTES.md: 222 ms p50): a consumer on an alarm path asks for less.
DEFAULT_FETCH_MAX_WAIT_MS = 500


class SecuritySettings(TypedDict):
    bootstrap_servers: str
    client_id: str
    security_protocol: str
    ssl_context: ssl.SSLContext | None
    sasl_mechanism: str
    sasl_plain_username: str | None
    sasl_plain_password: str | None


class ProducerSettings(SecuritySettings):
    acks: Literal["all"]
    enable_idempotence: bool
    linger_ms: int
    max_batch_size: int
    request_timeout_ms: int


class ConsumerSettings(SecuritySettings):
    group_id: str | None
    enable_auto_commit: bool
    auto_offset_reset: Literal["earliest", "latest"]
    fetch_max_wait_ms: int
    max_poll_records: int | None
    session_timeout_ms: int
    heartbeat_interval_ms: int


class AdminSettings(SecuritySettings):
    request_timeout_ms: int


def ssl_context(conn: KafkaConnection) -> ssl.SSLContext | None:
    """The TLS context of an SSL / SASL_SSL connection (None for plaintext ones)."""
    if not conn.uses_tls:
        return None
    cafile = str(conn.ssl_ca_file) if conn.ssl_ca_file is not None else None
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cafile)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    if conn.ssl_cert_file is not None:
        key = str(conn.ssl_key_file) if conn.ssl_key_file is not None else None
        context.load_cert_chain(str(conn.ssl_cert_file), key)
    return context


def security_settings(conn: KafkaConnection, client_id: str) -> SecuritySettings:
    if conn.uses_sasl and (conn.sasl_username is None or conn.sasl_password is None):
        raise ValueError(f"{conn.security_protocol} needs sasl_username and sasl_password")
    password = conn.sasl_password.get_secret_value() if conn.sasl_password else None
    return SecuritySettings(
        bootstrap_servers=conn.bootstrap,
        client_id=client_id,
        security_protocol=conn.security_protocol,
        ssl_context=ssl_context(conn),
        # aiokafka validates the mechanism even without SASL: PLAIN is its own default.
        sasl_mechanism=conn.sasl_mechanism or "PLAIN",
        sasl_plain_username=conn.sasl_username,
        sasl_plain_password=password,
    )


def producer_settings(
    conn: KafkaConnection,
    *,
    client_id: str,
    linger_ms: int = 0,
    max_batch_bytes: int = 16_384,
    request_timeout_ms: int = 40_000,
) -> ProducerSettings:
    """acks=all always; idempotence where the broker supports it (KafkaConnection)."""
    return ProducerSettings(
        **security_settings(conn, client_id),
        acks="all",
        enable_idempotence=conn.is_idempotent,
        linger_ms=linger_ms,
        max_batch_size=max_batch_bytes,
        request_timeout_ms=request_timeout_ms,
    )


def consumer_settings(
    conn: KafkaConnection,
    *,
    client_id: str,
    group_id: str | None,
    auto_offset_reset: Literal["earliest", "latest"] = "earliest",
    fetch_max_wait_ms: int = DEFAULT_FETCH_MAX_WAIT_MS,
    max_poll_records: int | None = None,
) -> ConsumerSettings:
    """Manual commits always: a consumer commits what it has finished, never on a timer. The
    group timeouts come from the connection (Tansu holds a join for half the session timeout:
    STACK-NOTES.md)."""
    return ConsumerSettings(
        **security_settings(conn, client_id),
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset=auto_offset_reset,
        fetch_max_wait_ms=fetch_max_wait_ms,
        max_poll_records=max_poll_records,
        session_timeout_ms=conn.session_timeout_ms,
        heartbeat_interval_ms=conn.heartbeat_interval_ms,
    )


def admin_settings(
    conn: KafkaConnection, *, client_id: str, request_timeout_ms: int = 10_000
) -> AdminSettings:
    """An admin client (topic creation, cluster checks) with the same security settings."""
    return AdminSettings(
        **security_settings(conn, client_id), request_timeout_ms=request_timeout_ms
    )


def faust_credentials(conn: KafkaConnection) -> Any:
    """Faust's `broker_credentials` for the connection (None for PLAINTEXT): the same TLS
    context and SASL login the aiokafka settings carry. Faust hands them to every client it
    builds (its consumer, producer and topic-creation client)."""
    settings = security_settings(conn, "faust")  # validates SASL like every other client
    from faust.auth import SASLCredentials, SSLCredentials  # noqa: PLC0415 - only the worker loads Faust

    if conn.uses_sasl:
        return SASLCredentials(
            username=settings["sasl_plain_username"],
            password=settings["sasl_plain_password"],
            mechanism=settings["sasl_mechanism"],
            ssl_context=settings["ssl_context"],
        )
    if settings["ssl_context"] is not None:
        return SSLCredentials(settings["ssl_context"])
    return None
