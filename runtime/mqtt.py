"""One way to build and connect an MQTT client: credentials, one TLS policy, v5 session options.

TLS policy (one for every client of ours): when TLS is on, the broker's certificate must chain
to the configured CA (`CERT_REQUIRED`; only that CA is trusted, not the system store), TLS 1.2
at least, and the host name is checked unless the connection says `tls_insecure` (self-signed
test brokers only: the chain is still verified). A client certificate is presented when one is
configured (brokers with `require_certificate true`).
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import TypeVar, overload

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from events.connections import MqttConnection

ClientT = TypeVar("ClientT", bound=mqtt.Client)


@dataclass(frozen=True, slots=True)
class SessionOptions:
    """The session a client asks for on CONNECT.

    `clean_start` False resumes the broker's session (MQTT v5 §3.1.2.4); `session_expiry_s`
    is how long the broker keeps it while we are away (§3.1.2.11.2); `receive_maximum` is how
    many QoS 1/2 messages the broker may have unacknowledged to us (§3.1.2.11.3): the bound of
    in-flight a subscriber holds. None = the protocol's default (65,535).
    """

    clean_start: bool = True
    session_expiry_s: int = 0
    receive_maximum: int | None = None


def tls_context(conn: MqttConnection) -> ssl.SSLContext:
    """The TLS policy above, as an SSLContext for this connection."""
    if conn.tls_ca_file is None:
        raise ValueError("TLS needs a CA file (tls_ca_file)")
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(conn.tls_ca_file))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = not conn.tls_insecure
    context.verify_mode = ssl.CERT_REQUIRED  # after check_hostname: never relaxed by it
    if conn.tls_cert_file is not None:
        key = str(conn.tls_key_file) if conn.tls_key_file is not None else None
        context.load_cert_chain(str(conn.tls_cert_file), key)
    return context


@overload
def new_client(
    client_id: str,
    conn: MqttConnection,
    *,
    protocol: MQTTProtocolVersion = ...,
    session: SessionOptions | None = ...,
    manual_ack: bool = ...,
) -> mqtt.Client: ...


@overload
def new_client(
    client_id: str,
    conn: MqttConnection,
    *,
    protocol: MQTTProtocolVersion = ...,
    session: SessionOptions | None = ...,
    manual_ack: bool = ...,
    client_class: type[ClientT],
) -> ClientT: ...


def new_client(
    client_id: str,
    conn: MqttConnection,
    *,
    protocol: MQTTProtocolVersion = MQTTProtocolVersion.MQTTv5,
    session: SessionOptions | None = None,
    manual_ack: bool = False,
    client_class: type[mqtt.Client] = mqtt.Client,
) -> mqtt.Client:
    """A paho client (callback API v2) with this connection's credentials and TLS policy.

    `manual_ack` True: QoS 1 PUBACKs go out only when the caller acks (ARCHITECTURE.md: ack
    only after the Kafka write). `client_class` lets the bridge use its buffered subclass.
    """
    is_v5 = protocol is MQTTProtocolVersion.MQTTv5
    session = session or SessionOptions()
    client = client_class(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        # v3.1.1 fixes the session at construction (§3.1.2.4); v5 decides it per CONNECT.
        clean_session=None if is_v5 else session.clean_start,
        protocol=protocol,
        manual_ack=manual_ack,
    )
    if conn.username is not None:
        password = conn.password.get_secret_value() if conn.password is not None else None
        client.username_pw_set(conn.username, password)
    if conn.uses_tls:
        client.tls_set_context(tls_context(conn))
    return client


def connect_properties(session: SessionOptions) -> Properties:
    """CONNECT properties of an MQTT v5 session (§3.1.2.11)."""
    props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]  # paho leaves it unannotated
    props.SessionExpiryInterval = session.session_expiry_s
    if session.receive_maximum is not None:
        props.ReceiveMaximum = session.receive_maximum
    return props


def connect(client: mqtt.Client, conn: MqttConnection, session: SessionOptions) -> None:
    """Open the connection (paho's blocking TCP/TLS connect; the CONNECT goes out at once)."""
    if client.protocol == MQTTProtocolVersion.MQTTv5:
        client.connect(
            conn.host,
            conn.port,
            conn.keepalive_s,
            clean_start=session.clean_start,
            properties=connect_properties(session),
        )
    else:
        client.connect(conn.host, conn.port, conn.keepalive_s)
