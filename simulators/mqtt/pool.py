"""One paho client per gateway (MQTT v5, QoS 1), all on one asyncio loop.

Each client connects with the gateway's last will (retained "offline"); a DROP emission
disconnects with reason 0x04 "disconnect with will message" (MQTT v5 §3.14.2.1), so the broker
publishes the will exactly as on a lost link; RECONNECT connects again. Commands arriving on the
gateway's cmd topics are handed to `on_command`. Publishing is bounded: at most
`max_outstanding` unacknowledged messages in total, then `send` waits for PUBACKs.

Like a real gateway, each keeps its devices' recent readings (gateway_buffer.py) and publishes
again what the bridge asks for on the gateway's own command topic (a ResendRequest). A broker
that is away is waited for: connecting is retried until `connect_timeout_s`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import paho.mqtt.client as mqtt
from paho.mqtt.enums import MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.reasoncodes import ReasonCode

from events.commands import ResendRequest, parse_downlink
from events.connections import MqttConnection
from events.topics import MQTT_ROOT, MqttTopic
from runtime.mqtt import SessionOptions, connect, new_client
from runtime.mqtt_asyncio import AsyncioDriver
from simulators.delivery import Action, Emission, GatewayKey
from simulators.mqtt.gateway_buffer import ReadingBuffer
from simulators.mqtt.logins import gateway_connection
from simulators.readback import event_id_of

log = logging.getLogger(__name__)

# A gateway starts afresh on every connect: what it missed while down is not its to receive.
_CLEAN = SessionOptions(clean_start=True)
WillProvider = Callable[[GatewayKey], tuple[str, bytes] | None]
CommandHandler = Callable[[GatewayKey, bytes], None]


class MqttPublishError(RuntimeError):
    """The broker refused a connection or a publish could not be queued."""


class _Gateway:
    def __init__(self, client: mqtt.Client, driver: AsyncioDriver, buffer_capacity: int) -> None:
        self.client = client
        self.driver = driver
        self.connected: asyncio.Future[None] | None = None
        self.is_up = False
        self.is_dropped = False  # disconnected on purpose (a DROP emission), not lost
        self.buffer = ReadingBuffer(buffer_capacity)


class GatewayPool:
    def __init__(
        self,
        conn: MqttConnection,
        *,
        client_prefix: str = "fwsim",
        will_for: WillProvider | None = None,
        on_command: CommandHandler | None = None,
        max_outstanding: int = 5000,
        max_inflight: int = 64,
        is_v5: bool = True,
        buffer_capacity: int = 20_000,
        connect_timeout_s: float = 60.0,
    ) -> None:
        self.conn = conn
        self.client_prefix = client_prefix
        self.will_for = will_for
        self.on_command = on_command
        self.max_outstanding = max_outstanding
        # Small per-client windows: paho scans its in-flight table on every PUBACK, so a deep
        # window costs O(window) per message; depth comes from many clients and paho's queue.
        self.max_inflight = max_inflight
        self.is_v5 = is_v5
        self.buffer_capacity = buffer_capacity
        self.connect_timeout_s = connect_timeout_s
        self.gateways: dict[GatewayKey, _Gateway] = {}
        self._connecting: dict[GatewayKey, asyncio.Future[None]] = {}
        self.outstanding = 0
        self.published = 0
        self.acked = 0
        self.resent = 0  # readings published again on a resend request
        self.resend_requests = 0
        self._capacity = asyncio.Event()
        self._capacity.set()
        self._drained = asyncio.Event()
        self._drained.set()

    # --- connections ---------------------------------------------------------------------
    def _make(self, gw: GatewayKey) -> _Gateway:
        loop = asyncio.get_running_loop()
        conn = gateway_connection(self.conn, gw)
        # MQTT v5 where its features are needed (disconnect with will); v3.1.1 costs paho
        # about half the CPU per PUBACK (no properties or reason-code objects): replays use it.
        protocol = MQTTProtocolVersion.MQTTv5 if self.is_v5 else MQTTProtocolVersion.MQTTv311
        client = new_client(
            f"{self.client_prefix}-{gw[0]}-{gw[1]}", conn, protocol=protocol, session=_CLEAN
        )
        client.max_inflight_messages_set(self.max_inflight)
        client.max_queued_messages_set(0)
        state = _Gateway(client, AsyncioDriver(loop, client), self.buffer_capacity)
        client.on_connect = lambda c, u, f, rc, p: self._on_connect(gw, state, rc)
        client.on_publish = lambda c, u, mid, rc, p: self._on_publish()
        client.on_message = lambda c, u, m: self._on_message(gw, m)
        client.on_disconnect = lambda c, u, f, rc, p: setattr(state, "is_up", False)
        return state

    def _on_connect(self, gw: GatewayKey, state: _Gateway, rc: ReasonCode) -> None:
        if rc.is_failure:
            if state.connected and not state.connected.done():
                state.connected.set_exception(MqttPublishError(f"{gw}: connect refused: {rc}"))
            return
        state.is_up = True
        # Re-subscribe on every (re)connect: a clean session forgets subscriptions.
        state.client.subscribe(MqttTopic.gateway_command(*gw), qos=1)
        if self.on_command is not None:
            state.client.subscribe(f"{MQTT_ROOT}/{gw[0]}/{gw[1]}/+/cmd", qos=1)
        if state.connected and not state.connected.done():
            state.connected.set_result(None)

    async def connect(self, gw: GatewayKey, timeout_s: float = 10.0) -> None:
        state = self.gateways.get(gw) or self._make(gw)
        self.gateways[gw] = state
        will = self.will_for(gw) if self.will_for else None
        state.client.will_clear()
        if will is not None:
            state.client.will_set(will[0], will[1], qos=1, retain=True)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.connect_timeout_s
        while True:
            state.connected = loop.create_future()
            state.is_dropped = False
            await self._connect_retrying(gw, state)
            try:
                await asyncio.wait_for(state.connected, timeout_s)
                return
            except TimeoutError:
                # Accepted but never answered (a broker restarting under load: a full run here
                # failed on it). CONNECT again, as a gateway does, until connect_timeout_s.
                if loop.time() + timeout_s > deadline:
                    raise
                log.warning("%s: no CONNACK within %.0f s; connecting again", gw, timeout_s)

    async def _shared_connect(self, gw: GatewayKey) -> None:
        """One connect per gateway at a time: publishers that find the link down together
        wait for the same CONNACK (a second CONNECT would take the first one's place)."""
        pending = self._connecting.get(gw)
        if pending is None or pending.done():
            pending = asyncio.ensure_future(self.connect(gw))
            self._connecting[gw] = pending
        await asyncio.shield(pending)

    async def reconnect_lost(self) -> None:
        """Connect again every gateway whose link was lost (not dropped on purpose): paho then
        sends what the broker never acknowledged, as a gateway does when its link returns."""
        for gw, state in list(self.gateways.items()):
            if not state.is_up and not state.is_dropped:
                await self._shared_connect(gw)

    async def _connect_retrying(self, gw: GatewayKey, state: _Gateway) -> None:
        """A broker that is restarting is waited for, as a gateway would (bounded back-off)."""
        deadline = asyncio.get_running_loop().time() + self.connect_timeout_s
        delay_s = 0.05
        while True:
            try:
                connect(state.client, self.conn, _CLEAN)
                return
            except OSError as exc:
                if asyncio.get_running_loop().time() + delay_s > deadline:
                    raise MqttPublishError(f"{gw}: broker unreachable: {exc}") from exc
                await asyncio.sleep(delay_s)
                delay_s = min(delay_s * 2, 1.0)

    async def drop(self, gw: GatewayKey) -> None:
        """Lose the link the way the broker must answer with the last will."""
        state = self.gateways[gw]
        await self.drain()
        with_will = ReasonCode(PacketTypes.DISCONNECT, identifier=4)
        state.client.disconnect(reasoncode=with_will)
        state.is_up = False
        state.is_dropped = True

    # --- publishing ----------------------------------------------------------------------
    def _on_publish(self) -> None:
        self.outstanding -= 1
        self.acked += 1
        if self.outstanding <= self.max_outstanding // 2:
            self._capacity.set()
        if self.outstanding == 0:
            self._drained.set()

    def _on_message(self, gw: GatewayKey, msg: mqtt.MQTTMessage) -> None:
        if msg.topic == MqttTopic.gateway_command(*gw):
            request = parse_downlink(bytes(msg.payload))
            if isinstance(request, ResendRequest):
                self.resend_requests += 1
                asyncio.get_running_loop().create_task(self._resend(gw, request))
            else:
                log.warning("%s: ignoring an unknown gateway command", gw)
        elif self.on_command is not None and msg.topic.endswith("/cmd"):
            self.on_command(gw, bytes(msg.payload))

    async def _resend(self, gw: GatewayKey, request: ResendRequest) -> None:
        """Publish again what the buffer holds of the range: the same bytes, same event ids."""
        for held in self.gateways[gw].buffer.take(request):
            await self._publish(gw, held.topic, held.payload, held.qos, retain=False)
            self.resent += 1

    async def publish(
        self, gw: GatewayKey, topic: str, payload: bytes, qos: int, retain: bool
    ) -> None:
        await self._publish(gw, topic, payload, qos, retain)
        self.published += 1
        event = event_id_of(payload) if not retain else None
        if event is not None:
            device_id, seq = event.rsplit(":", 1)
            self.gateways[gw].buffer.keep(device_id, int(seq), topic, payload, qos)

    async def _publish(
        self, gw: GatewayKey, topic: str, payload: bytes, qos: int, retain: bool
    ) -> None:
        if self.outstanding >= self.max_outstanding:
            self._capacity.clear()
            await self._capacity.wait()
        state = self.gateways.get(gw)
        if state is None or not state.is_up:
            await self._shared_connect(gw)
            state = self.gateways[gw]
        info = state.client.publish(topic, payload, qos=qos, retain=retain)
        # Not connected (the link just dropped): paho keeps a QoS1 message and sends it after
        # the reconnect, so only a QoS0 one is lost here, as on a real link.
        if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN) or (
            info.rc == mqtt.MQTT_ERR_NO_CONN and qos == 0
        ):
            raise MqttPublishError(f"publish to {topic} failed: {mqtt.error_string(info.rc)}")
        if qos > 0:
            self.outstanding += 1
            self._drained.clear()

    async def send(self, e: Emission) -> None:
        """Perform one emission: a publish, or a connection action of the gateway."""
        if e.action is Action.DROP:
            if e.gateway in self.gateways:
                await self.drop(e.gateway)
            return
        if e.action is Action.RECONNECT:
            state = self.gateways.get(e.gateway)
            if state is None or not state.is_up:
                await self.connect(e.gateway)
        await self.publish(e.gateway, e.topic, e.payload, qos=e.qos, retain=e.retain)

    async def drain(self, timeout_s: float = 60.0) -> None:
        """Wait until every QoS1 message has its PUBACK (links lost meanwhile come back)."""
        await self.reconnect_lost()
        await asyncio.wait_for(self._drained.wait(), timeout_s)

    async def close(self) -> None:
        await self.drain()
        for state in self.gateways.values():
            state.client.disconnect()
            state.driver.stop()
        await asyncio.sleep(0)
