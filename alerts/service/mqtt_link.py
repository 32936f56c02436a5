"""The dispatch service's MQTT session (paho, callback API v2): commands and terminal pages.

Only the dispatch service publishes on the command topics (the broker ACL in deploy/ grants
`fw/v1/+/+/+/cmd` write to its user alone).
"""

from __future__ import annotations

import logging
import threading

import paho.mqtt.client as mqtt
from paho.mqtt.enums import MQTTProtocolVersion

from events.connections import MqttConnection
from runtime.mqtt import new_client

log = logging.getLogger(__name__)


class MqttLink:
    def __init__(self, conn: MqttConnection, client_id: str, qos: int = 1) -> None:
        self._conn = conn
        self._qos = qos
        self._connected = threading.Event()
        # Credentials and the one TLS policy of runtime.mqtt (CA-only trust, host name checked).
        self.client = new_client(client_id, conn, protocol=MQTTProtocolVersion.MQTTv311)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.max_queued_messages_set(0)  # queue while reconnecting; never drop a page

    def _on_connect(self, _c: object, _u: object, _f: object, reason: object, _p: object) -> None:
        log.info("dispatch MQTT connected to %s: %s", self._conn.endpoint, reason)
        self._connected.set()

    def _on_disconnect(self, *_args: object) -> None:
        log.warning("dispatch MQTT disconnected from %s", self._conn.endpoint)
        self._connected.clear()

    def start(self, timeout_s: float = 10.0) -> None:
        self.client.connect_async(self._conn.host, self._conn.port, self._conn.keepalive_s)
        self.client.loop_start()
        if not self._connected.wait(timeout_s):
            log.warning("dispatch MQTT not connected after %.0f s: pages are queued", timeout_s)

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    @property
    def is_connected(self) -> bool:
        return self._connected.is_set()

    def publish(self, topic: str, payload: bytes) -> bool:
        """Queue a QoS1 publish; False when the session is down (the page counts as failed,
        paho still delivers it after the reconnect)."""
        info = self.client.publish(topic, payload, qos=self._qos)
        return info.rc == mqtt.MQTT_ERR_SUCCESS and self.is_connected
