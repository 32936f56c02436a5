"""Is the broker on this port ours, and does it serve? Checks beyond "the port accepts".

A port that accepts connections may belong to another stack's broker (issue 14: a second
`firewatch up` took the first stack's Mosquitto for its own and printed "ready"). Our Kafka
carries the stack's cluster id; our Mosquitto accepts the stack's generated probe login,
which no other broker knows.
"""

from __future__ import annotations

import threading

import paho.mqtt.client as mqtt
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from events.connections import KafkaConnection
from firewatch.embedded.credentials import Credential
from firewatch.embedded.errors import StackError
from runtime.kafka import admin_settings


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


def check_mqtt_login(host: str, port: int, login: Credential, timeout_s: float = 10.0) -> None:
    """Our broker accepts the probe login and refuses it with a wrong password; another
    broker refuses the login (it does not know it) or accepts both (it is open)."""
    if _connack(host, port, login, timeout_s).is_failure:
        raise StackError(
            f"MQTT at {host}:{port} refused this stack's login: it is another broker, not this"
            " stack's"
        )
    wrong = Credential(login.username, login.password + "-wrong")
    if not _connack(host, port, wrong, timeout_s).is_failure:
        raise StackError(f"MQTT at {host}:{port} accepts any password: it is not this stack's")


def _connack(host: str, port: int, login: Credential, timeout_s: float) -> ReasonCode:
    answered = threading.Event()
    outcome: list[ReasonCode] = []

    def on_connect(_c: object, _u: object, _f: object, rc: ReasonCode, _p: object) -> None:
        outcome.append(rc)
        answered.set()

    client = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=login.username, protocol=mqtt.MQTTv5
    )
    client.username_pw_set(login.username, login.password)
    client.on_connect = on_connect
    try:
        client.connect(host, port, keepalive=10)
    except OSError as exc:
        raise StackError(f"MQTT at {host}:{port} does not answer: {exc}") from None
    client.loop_start()
    try:
        if not answered.wait(timeout_s):
            raise StackError(f"MQTT at {host}:{port} did not answer a CONNECT in {timeout_s} s")
    finally:
        client.disconnect()
        client.loop_stop()
    return outcome[0]
