"""The dispatch service's MQTT session (paho, callback API v2, MQTT v5): commands and pages.

Only the dispatch service publishes on the command topics (the broker ACL in deploy/ grants
`fw/v1/+/+/+/cmd` write to its user alone).

MQTT v5, not v3.1.1, so a refused page is seen (issue 12.2): a v5 broker answers a QoS 1
PUBLISH it will not deliver with a PUBACK reason code >= 0x80 (MQTT v5 §3.4.2.1, e.g. 0x87
Not authorized when its ACL denies the topic); v3.1.1 has no such code and Mosquitto
acknowledges the denied publish as if it were delivered. Mosquitto 2.0 then closes the
connection: paho's network thread reconnects (within `_RECONNECT_MAX_S`).
"""

from __future__ import annotations

import asyncio
import logging
import threading

import paho.mqtt.client as mqtt
from paho.mqtt.enums import MQTTProtocolVersion
from paho.mqtt.reasoncodes import ReasonCode

from alerts.notify.base import Delivery
from events.connections import MqttConnection
from runtime.mqtt import SessionOptions, connect_properties, new_client

log = logging.getLogger(__name__)

# A page is short: one that the broker has not acknowledged within this is counted failed
# (the next ladder step is pulled in); paho still delivers it after a reconnect.
PAGE_ACK_TIMEOUT_S = 5.0
# Mosquitto drops the session after each refused publish: reconnect quickly, never back off
# for minutes while pages queue (paho's default ceiling is 120 s).
_RECONNECT_MAX_S = 5


class _Acks:
    """PUBACK reason codes by message id, handed from paho's thread to asyncio waiters.

    paho may call on_publish before `publish()` has returned the mid to us, so an early
    reason code is parked until its publisher claims it; one nobody waits for is dropped."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._early: dict[int, ReasonCode] = {}
        self._waiters: dict[int, tuple[asyncio.AbstractEventLoop, asyncio.Future[ReasonCode]]] = {}
        self._unwanted: set[int] = set()

    def arrived(self, mid: int, reason: ReasonCode) -> None:
        with self._lock:
            if mid in self._unwanted:
                self._unwanted.discard(mid)
                return
            waiter = self._waiters.pop(mid, None)
            if waiter is None:
                self._early[mid] = reason
                return
        loop, future = waiter
        loop.call_soon_threadsafe(_settle, future, reason)

    def expect(self, mid: int) -> asyncio.Future[ReasonCode]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[ReasonCode] = loop.create_future()
        with self._lock:
            early = self._early.pop(mid, None)
            if early is None:
                self._waiters[mid] = (loop, future)
        if early is not None:
            future.set_result(early)
        return future

    def forget(self, mid: int) -> None:
        """Nobody waits for this mid (any more): drop its reason code whenever it comes."""
        with self._lock:
            self._waiters.pop(mid, None)
            if self._early.pop(mid, None) is None:
                self._unwanted.add(mid)


def _settle(future: asyncio.Future[ReasonCode], reason: ReasonCode) -> None:
    if not future.done():
        future.set_result(reason)


class MqttLink:
    def __init__(
        self,
        conn: MqttConnection,
        client_id: str,
        qos: int = 1,
        ack_timeout_s: float = PAGE_ACK_TIMEOUT_S,
    ) -> None:
        self._conn = conn
        self._qos = qos
        self._ack_timeout_s = ack_timeout_s
        self._connected = threading.Event()
        self._acks = _Acks()
        self.refused = 0  # publishes the broker answered with a failure reason code
        self.sessions = 0  # CONNACKs received: a reconnect after a refusal counts one more
        # Credentials and the one TLS policy of runtime.mqtt (CA-only trust, host name checked).
        self.client = new_client(client_id, conn, protocol=MQTTProtocolVersion.MQTTv5)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_publish = self._on_publish
        self.client.max_queued_messages_set(0)  # queue while reconnecting; never drop a page
        self.client.reconnect_delay_set(min_delay=1, max_delay=_RECONNECT_MAX_S)

    def _on_connect(self, _c: object, _u: object, _f: object, reason: object, _p: object) -> None:
        log.info("dispatch MQTT connected to %s: %s", self._conn.endpoint, reason)
        self.sessions += 1
        self._connected.set()

    def _on_disconnect(
        self, _c: object, _u: object, _f: object, reason: object, _p: object
    ) -> None:
        log.warning("dispatch MQTT disconnected from %s: %s", self._conn.endpoint, reason)
        self._connected.clear()

    def _on_publish(self, _c: object, _u: object, mid: int, reason: ReasonCode, _p: object) -> None:
        if reason.is_failure:
            self.refused += 1
        self._acks.arrived(mid, reason)

    def start(self, timeout_s: float = 10.0) -> None:
        session = SessionOptions()  # pages are not resumed from a broker session: ledgered
        self.client.connect_async(
            self._conn.host,
            self._conn.port,
            self._conn.keepalive_s,
            clean_start=session.clean_start,
            properties=connect_properties(session),
        )
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
        """Queue a publish without waiting for the broker (device commands: their read-back
        is what confirms them). False when the session is down (paho sends it later)."""
        info = self.client.publish(topic, payload, qos=self._qos)
        if self._qos > 0:
            self._acks.forget(info.mid)
        return info.rc == mqtt.MQTT_ERR_SUCCESS and self.is_connected

    async def publish_acked(self, topic: str, payload: bytes) -> Delivery:
        """Publish and wait for the broker's verdict: a page counts as delivered only when
        the broker accepted it (PUBACK reason code < 0x80, MQTT v5 §3.4.2.1)."""
        is_connected = self.is_connected
        info = self.client.publish(topic, payload, qos=self._qos)
        if info.rc != mqtt.MQTT_ERR_SUCCESS or not is_connected:
            if self._qos > 0:
                self._acks.forget(info.mid)
            return Delivery(False, "MQTT not connected (queued for the reconnect)")
        if self._qos == 0:
            return Delivery(True, "published (QoS 0: the broker does not acknowledge)")
        ack = self._acks.expect(info.mid)
        try:
            async with asyncio.timeout(self._ack_timeout_s):
                reason = await ack
        except TimeoutError:
            self._acks.forget(info.mid)
            return Delivery(False, f"no PUBACK within {self._ack_timeout_s:.0f} s")
        except asyncio.CancelledError:
            self._acks.forget(info.mid)
            raise
        if reason.is_failure:
            log.error("broker refused publish to %s: %s (0x%02x)", topic, reason, reason.value)
            return Delivery(False, f"refused by the broker: {reason} (0x{reason.value:02x})")
        return Delivery(True, "acknowledged by the broker")
