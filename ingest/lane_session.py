"""The MQTT side of one lane: a persistent, flow-controlled session that re-subscribes on every
connect, reconnects with back-off, and says whether it is ready (connected, subscriptions
confirmed by the broker). The lane (ingest/lane.py) reads and acknowledges through it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.subscribeoptions import SubscribeOptions

from events.connections import MqttConnection
from events.topics import Channel
from ingest.paho_compat import BufferedClient
from ingest.stats import LaneStats
from runtime.health import Health
from runtime.mqtt import SessionOptions, connect, new_client
from runtime.mqtt_asyncio import AsyncioDriver

log = logging.getLogger(__name__)

# Reconnect back-off: fast and capped low. Until the bridge has re-subscribed, a restarted
# broker that lost our session (a crash before its autosave) acknowledges device traffic
# with nobody subscribed; a back-off grown to 3.2 s lost 5,055 readings that way (issue 19).
# A refused local connect costs well under a millisecond, so two attempts a second during a
# long outage cost nothing.
_FIRST_RETRY_S = 0.05
_MAX_RETRY_S = 0.5


@dataclass
class LaneSpec:
    name: str
    client_id: str
    subscriptions: list[str]
    receive_maximum: int
    session_expiry_s: int
    retry_backoff_s: float
    # The uplink channels this lane forwards; others reaching it are the other lane's.
    channels: frozenset[Channel] = frozenset()
    # How long read messages wait for more before they are written (IngestConfig).
    hold_s: float = 0.0


class LaneSession:
    """`on_lost` runs when the connection drops (before reconnecting): the lane forgets the
    packet ids of the old connection there."""

    def __init__(
        self,
        spec: LaneSpec,
        conn: MqttConnection,
        *,
        health: Health,
        stats: LaneStats,
        on_lost: Callable[[], None],
    ) -> None:
        self.spec, self.conn, self.stats = spec, conn, stats
        self._on_lost = on_lost
        # The broker queues for us while we are away (v5 §3.1.2.11.2) and stops sending at
        # receive_maximum unacknowledged (§3.1.2.11.3): the lane's bounded in-flight window.
        self.session = SessionOptions(
            clean_start=False,
            session_expiry_s=spec.session_expiry_s,
            receive_maximum=spec.receive_maximum,
        )
        self.client = new_client(
            spec.client_id,
            conn,
            session=self.session,
            manual_ack=True,  # PUBACK only after the Kafka write (ARCHITECTURE.md)
            client_class=BufferedClient,
        )
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_disconnect = self._on_disconnect
        self.is_connected = health.ready_flag(f"mqtt.{spec.name}.connected")
        self.is_subscribed = health.ready_flag(f"mqtt.{spec.name}.subscribed")
        self.subscribed = asyncio.Event()
        self._stopping = False
        self._driver: AsyncioDriver | None = None
        self._reconnect: asyncio.Task[None] | None = None

    def start(self, on_readable: Callable[[], None]) -> None:
        loop = asyncio.get_running_loop()
        self._driver = AsyncioDriver(loop, self.client, on_readable=on_readable)
        self._reconnect = loop.create_task(self._connect_loop(first=True))

    def hold_reading(self) -> None:
        """Stop watching the socket while the lane's window is full (paho_compat item 5)."""
        if self._driver is not None and not self._stopping:
            self._driver.pause_reading()

    def resume_reading(self) -> None:
        if self._driver is not None and not self._stopping:
            self._driver.resume_reading()

    def stop_reading(self) -> None:
        """Read nothing more, and do not reconnect if the connection drops (draining)."""
        self._stopping = True
        if self._driver is not None:
            self._driver.pause_reading()

    async def close(self) -> None:
        """Disconnect and keep the session (expiry > 0): the broker queues until we return."""
        self._stopping = True
        if self._reconnect is not None:
            self._reconnect.cancel()
        self.client.disconnect()
        for _ in range(100):  # let the loop write the DISCONNECT packet
            if self.client.socket() is None:
                break
            await asyncio.sleep(0.01)

    # --- paho callbacks (all on the event-loop thread) ----------------------------------------

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        if reason.is_failure:
            log.error("%s: broker refused the connection: %s", self.spec.name, reason)
            return
        self.stats.connects += 1
        self.stats.is_connected = True
        self.is_connected.set()
        # Re-subscribe on every connect, session present or not: a broker that lost the
        # session (restart without persistence) would otherwise never send again.
        client.subscribe([(f, _options(f)) for f in self.spec.subscriptions])
        log.info(
            "%s: connected (session present: %s), subscribing %s",
            self.spec.name,
            flags.session_present,
            self.spec.subscriptions,
        )

    def _on_subscribe(
        self, client: mqtt.Client, userdata: Any, mid: int, reasons: list[Any], props: Any
    ) -> None:
        pairs = zip(self.spec.subscriptions, reasons, strict=False)
        refused = [(f, str(r)) for f, r in pairs if r.is_failure]
        if refused:  # an ACL refusal: never ready, and the log names the filter
            log.error("%s: broker refused subscriptions %s", self.spec.name, refused)
            return
        self.is_subscribed.set()
        self.subscribed.set()

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        self.stats.is_connected = False
        self.is_connected.clear()
        self.is_subscribed.clear()
        self.subscribed.clear()
        self._on_lost()
        if self._stopping:
            return
        log.warning("%s: disconnected (%s); reconnecting", self.spec.name, reason)
        self._reconnect = asyncio.get_running_loop().create_task(self._connect_loop(first=False))

    def publish(self, topic: str, payload: bytes) -> None:
        """QoS 1 from this session (the bridge's resend requests); paho keeps it until the
        broker acknowledges it, across a reconnect."""
        self.client.publish(topic, payload, qos=1)

    async def _connect_loop(self, first: bool) -> None:
        delays = reconnect_delays()
        while not self._stopping:
            try:
                if first:
                    connect(self.client, self.conn, self.session)
                else:
                    self.client.reconnect()
                return
            except OSError as exc:
                delay_s = next(delays)
                log.warning(
                    "%s: MQTT connect failed (%s); retry in %.2f s", self.spec.name, exc, delay_s
                )
                await asyncio.sleep(delay_s)


def reconnect_delays() -> Iterator[float]:
    """0.05, 0.1, 0.2, 0.4, then 0.5 s for ever: fast, and never the 3.2 s of issue 19."""
    delay_s = _FIRST_RETRY_S
    while True:
        yield delay_s
        delay_s = min(delay_s * 2, _MAX_RETRY_S)


def _options(topic_filter: str) -> SubscribeOptions:
    # No Local (MQTT v5 §3.8.3.1): the bridge's own resend requests, published on gateway
    # command topics inside its `fw/v1/#` filter, never come back to it. A shared subscription
    # must not set it (same section); the core skips command topics anyway.
    is_shared = topic_filter.startswith("$share/")
    return SubscribeOptions(qos=1, noLocal=not is_shared)
