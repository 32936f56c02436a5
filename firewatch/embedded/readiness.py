"""Is the broker on this port ours, and does it serve? Checks beyond "the port accepts".

A port that accepts connections may belong to another stack's broker (issue 14: a second
`firewatch up` took the first stack's Mosquitto for its own and printed "ready"). Our Kafka
carries the stack's cluster id; our Mosquitto accepts the stack's generated probe login,
which no other broker knows.
"""

from __future__ import annotations

import threading

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from paho.mqtt.reasoncodes import ReasonCode
from pydantic import SecretStr

from events.connections import KafkaConnection, MqttConnection
from firewatch.embedded.credentials import Credential
from firewatch.embedded.errors import StackError
from runtime.kafka import admin_settings
from runtime.mqtt import SessionOptions, connect, new_client


async def check_kafka_cluster(bootstrap: str, cluster_id: str) -> None:
    # The embedded Kafka (Tansu) has no TLS listener: plaintext on loopback (docs/SECURITY.md).
    admin = AIOKafkaAdminClient(
        **admin_settings(KafkaConnection(bootstrap=bootstrap), client_id="fw-readiness")
    )
    try:
        await admin.start()
        found = (await admin.describe_cluster()).get("cluster_id")
    except KafkaError as exc:
        raise StackError(f"Kafka at {bootstrap} does not answer: {exc}") from None
    finally:
        await admin.close()
    if found != cluster_id:
        raise StackError(
            f"Kafka at {bootstrap} is another broker (cluster {found!r}), not this stack's"
        )


def check_mqtt_login(conn: MqttConnection, login: Credential, timeout_s: float = 10.0) -> None:
    """Our broker accepts the probe login and refuses it with a wrong password; another
    broker refuses the login (it does not know it) or accepts both (it is open). `conn` says
    where and how (TLS with the stack's CA under `firewatch up --tls`)."""
    where = f"MQTT at {conn.host}:{conn.port}"
    if _connack(conn, login, timeout_s).is_failure:
        raise StackError(
            f"{where} refused this stack's login: it is another broker, not this stack's"
        )
    wrong = Credential(login.username, login.password + "-wrong")
    if not _connack(conn, wrong, timeout_s).is_failure:
        raise StackError(f"{where} accepts any password: it is not this stack's")


def _connack(conn: MqttConnection, login: Credential, timeout_s: float) -> ReasonCode:
    answered = threading.Event()
    outcome: list[ReasonCode] = []

    def on_connect(_c: object, _u: object, _f: object, rc: ReasonCode, _p: object) -> None:
        outcome.append(rc)
        answered.set()

    as_login = conn.model_copy(
        update={"username": login.username, "password": SecretStr(login.password)}
    )
    client = new_client(login.username, as_login)
    client.on_connect = on_connect
    where = f"MQTT at {conn.host}:{conn.port}"
    try:
        connect(client, as_login, SessionOptions())
    except OSError as exc:  # a refused TLS handshake (ssl.SSLError) is one too
        raise StackError(f"{where} does not answer: {exc}") from None
    client.loop_start()
    try:
        if not answered.wait(timeout_s):
            raise StackError(f"{where} did not answer a CONNECT in {timeout_s} s")
    finally:
        client.disconnect()
        client.loop_stop()
    return outcome[0]
